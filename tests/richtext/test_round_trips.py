"""Property tests: any canonical document survives every format and every A -> B -> A trip unchanged."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings

from bridge.richtext import from_document, parse_markdown, render_markdown, to_document
from bridge.richtext.ast import Document, normalize

from .strategies import FORMATS, PEOPLE, documents


@settings(deadline=None, max_examples=60)
@given(documents())
def test_canonical_markdown_round_trips(doc: Document) -> None:
    text = render_markdown(doc)
    assert parse_markdown(text) == doc
    assert render_markdown(parse_markdown(text)) == text


@settings(deadline=None, max_examples=60)
@given(documents())
def test_normalize_is_idempotent(doc: Document) -> None:
    assert normalize(doc) == doc


@pytest.mark.parametrize("tool", [*FORMATS, "asana_story"])
@settings(deadline=None, max_examples=30)
@given(doc=documents(headings=False))
def test_every_format_round_trips(tool: str, doc: Document) -> None:
    people = PEOPLE[tool]
    raw = from_document(tool, doc, people)  # type: ignore[arg-type]
    assert to_document(tool, raw, people) == doc  # type: ignore[arg-type]


@pytest.mark.parametrize("tool", FORMATS)
@settings(deadline=None, max_examples=20)
@given(doc=documents())
def test_headings_of_level_one_round_trip_in_notes(tool: str, doc: Document) -> None:
    people = PEOPLE[tool]
    assert to_document(tool, from_document(tool, doc, people), people) == doc  # type: ignore[arg-type]


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(FORMATS, 2)))
@settings(deadline=None, max_examples=8)
@given(doc=documents())
def test_a_to_b_to_a_leaves_a_unchanged(first: str, second: str, doc: Document) -> None:
    a = from_document(first, doc, PEOPLE[first])  # type: ignore[arg-type]
    via = to_document(first, a, PEOPLE[first])  # type: ignore[arg-type]
    b = from_document(second, via, PEOPLE[second])  # type: ignore[arg-type]
    back = to_document(second, b, PEOPLE[second])  # type: ignore[arg-type]
    assert back == doc
    assert from_document(first, back, PEOPLE[first]) == a  # type: ignore[arg-type]
