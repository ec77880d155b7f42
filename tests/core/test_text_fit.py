"""Shortening and splitting text to a tool's limit (bridge/core/text_fit.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.text_fit import SHORTENED_FOR_CLIENT, SHORTENED_TITLE, is_shortened, join, shorten, split

TEXT = st.text(alphabet=st.sampled_from(list("ab cé\n😀")), max_size=600)


@given(TEXT, st.integers(min_value=80, max_value=400), st.sampled_from([SHORTENED_FOR_CLIENT, SHORTENED_TITLE]))
def test_shortened_text_fits_and_says_so(text: str, limit: int, note: str) -> None:
    fitted = shorten(text, limit, note)
    assert len(fitted) <= limit
    if len(text) <= limit:
        assert fitted == text
    else:
        assert fitted.endswith(note)
        assert is_shortened(fitted, text)
        assert shorten(fitted, limit, note) == fitted  # fitting twice changes nothing


@given(TEXT, st.integers(min_value=20, max_value=300))
def test_split_parts_fit_and_join_to_the_original(text: str, limit: int) -> None:
    parts = split(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert join(parts) == text
    if len(parts) > 1:
        assert [p.split("\n\n", 1)[0] for p in parts] == [f"({i}/{len(parts)})" for i in range(1, len(parts) + 1)]
        # A part starts with whitespace only inside a whitespace run longer than half a part's room.
        room = limit - len(f"({len(parts)}/{len(parts)})\n\n")
        for before, part in zip(parts, parts[1:], strict=False):
            body, previous = part.split("\n\n", 1)[1], before.split("\n\n", 1)[1]
            if body[:1] in (" ", "\n") and body.strip():
                run = len(previous) - len(previous.rstrip(" \n")) + len(body) - len(body.lstrip(" \n"))
                assert run > room // 2, (previous, body)


def test_a_cut_falls_on_a_paragraph_break() -> None:
    text = "First paragraph.\n\n" + "word " * 100
    fitted = shorten(text, 200, SHORTENED_FOR_CLIENT)
    assert fitted == "First paragraph.\n\n" + SHORTENED_FOR_CLIENT or fitted.startswith("First paragraph.\n\nword")
    assert split("a" * 30 + "\n\n" + "b" * 30, 40) == ["(1/2)\n\n" + "a" * 30 + "\n\n", "(2/2)\n\n" + "b" * 30]


def test_an_unrelated_text_is_not_a_shortened_form() -> None:
    assert not is_shortened("Other" + SHORTENED_FOR_CLIENT, "Original text that is long")
    assert not is_shortened("same", "same")
