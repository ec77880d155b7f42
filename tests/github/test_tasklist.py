"""Subtasks as a Markdown task list under the connector-owned heading."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from connectors.github.tasklist import Body, Subtask, derived_key, join_body, split_body

TITLE = (
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30)
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: bool(t) and "<!--" not in t)
)
NOTES = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r"), max_size=80).filter(
    lambda t: "### subtasks" not in t.casefold()
)


def test_body_without_heading_is_all_notes() -> None:
    assert split_body("Just notes\n- [ ] not a subtask") == Body("Just notes\n- [ ] not a subtask")
    assert split_body(None) == Body("")


def test_join_then_split_round_trips() -> None:
    items = (Subtask("k1", "Draft copy", False), Subtask("k2", "Pick photos", True))
    body = join_body("Scope: **two** pages.", items)
    assert body == "Scope: **two** pages.\n\n### Subtasks\n- [ ] Draft copy <!-- pm:k1 -->\n- [x] Pick photos <!-- pm:k2 -->\n"
    assert split_body(body) == Body("Scope: **two** pages.", items)


def test_lines_people_write_get_title_keys() -> None:
    body = (
        "Notes\r\n\r\n### Subtasks\r\n- [X] Ship it\r\n* [ ] Ship it\r\n"
        "- [ ] Tell Carla <!-- pm:abc -->\r\n\r\n## Later\r\nMore notes"
    )
    parsed = split_body(body)
    assert parsed.notes == "Notes\n\n## Later\nMore notes"
    first, second, third = parsed.subtasks
    assert (first.title, first.done, second.title, second.done) == ("Ship it", True, "Ship it", False)
    assert first.key == derived_key("Ship it", set()) and second.key == first.key + "-2"
    assert third == Subtask("abc", "Tell Carla", False)


def test_rename_keeps_the_key_once_marked() -> None:
    parsed = split_body("### Subtasks\n- [ ] Old name\n")
    key = parsed.subtasks[0].key
    marked = join_body(parsed.notes, [Subtask(key, "New name", False)])
    assert split_body(marked).subtasks == (Subtask(key, "New name", False),)


def test_titles_cannot_break_the_list() -> None:
    body = join_body("", [Subtask("k", "two\nlines <!-- pm:evil -->", False)])
    assert split_body(body).subtasks == (Subtask("k", "two lines", False),)


@given(NOTES, st.lists(st.tuples(TITLE, st.booleans()), max_size=6))
def test_round_trip_property(notes: str, raw: list[tuple[str, bool]]) -> None:
    taken: set[str] = set()
    items = []
    for title, done in raw:
        key = derived_key(title, taken)
        taken.add(key)
        items.append(Subtask(key, title, done))
    parsed = split_body(join_body(notes, items))
    assert parsed.subtasks == tuple(items)
    assert parsed.notes == notes
