"""Property tests: any canonical document survives every format and every A -> B -> A trip unchanged.

Images are the one node only some formats hold: GitHub and Trello keep them, Asana
and Basecamp show each as a link to the image named by its alt text.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings

from bridge.richtext import from_document, parse_markdown, render_markdown, to_document
from bridge.richtext.ast import Document, Image, image_link, normalize
from bridge.richtext.mentions import map_inlines

from .strategies import FORMATS, PEOPLE, documents

MARKDOWN_FORMATS = ("github", "trello")


def images_as_links(doc: Document) -> Document:
    """What a format without images holds of ``doc``."""
    return normalize(map_inlines(doc, lambda n: [image_link(n)] if isinstance(n, Image) else [n]))


@settings(deadline=None, max_examples=60)
@given(documents(pictures=True))
def test_canonical_markdown_round_trips(doc: Document) -> None:
    text = render_markdown(doc)
    assert parse_markdown(text) == doc
    assert render_markdown(parse_markdown(text)) == text


@settings(deadline=None, max_examples=60)
@given(documents(pictures=True))
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


@pytest.mark.parametrize("tool", [*FORMATS, "asana_story"])
@settings(deadline=None, max_examples=30)
@given(doc=documents(headings=False, pictures=True))
def test_images_survive_where_the_format_has_them_and_are_links_elsewhere(tool: str, doc: Document) -> None:
    people = PEOPLE[tool]
    back = to_document(tool, from_document(tool, doc, people), people)  # type: ignore[arg-type]
    assert back == (doc if tool in MARKDOWN_FORMATS else images_as_links(doc))


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(FORMATS, 2)))
@settings(deadline=None, max_examples=8)
@given(doc=documents(pictures=True))
def test_images_a_to_b_to_a(first: str, second: str, doc: Document) -> None:
    via = to_document(first, from_document(first, doc, PEOPLE[first]), PEOPLE[first])  # type: ignore[arg-type]
    back = to_document(second, from_document(second, via, PEOPLE[second]), PEOPLE[second])  # type: ignore[arg-type]
    both_markdown = first in MARKDOWN_FORMATS and second in MARKDOWN_FORMATS
    assert back == (doc if both_markdown else images_as_links(doc))
