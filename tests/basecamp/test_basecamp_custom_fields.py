"""Custom fields on Basecamp, which has none: a footer of "Name: value" lines under a rule at the end of the notes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.ports import NewTask
from connectors.basecamp import BasecampConnector, BasecampEmulator
from connectors.basecamp.footer import split_footer, with_footer


def description(emulator: BasecampEmulator, todo_id: str) -> str:
    return str(emulator.store.recordings[int(todo_id)].description)  # type: ignore[attr-defined]


def test_a_new_todo_carries_its_fields_as_a_footer_apart_from_its_notes(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator
) -> None:
    task = bot.create_task(project, NewTask(title="Hero", notes="Big *image*", custom_fields={"Priority": "P1"}))
    assert description(emulator, task.id) == "<div>Big <em>image</em></div><div>———</div><div>Priority: P1</div>"
    assert (task.notes, task.custom_fields) == ("Big *image*", {"Priority": "P1"})
    pulled = bot.pull(project).snapshot.tasks[task.id]
    assert (pulled.notes, pulled.custom_fields) == ("Big *image*", {"Priority": "P1"})


def test_a_field_change_rewrites_the_footer_once_and_keeps_the_notes(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator
) -> None:
    task = bot.create_task(project, NewTask(title="Hero", notes="Big image", custom_fields={"Priority": "P1"}))
    changed = bot.update_task(project, task, {"custom_fields": {"Priority": "P3", "Size": "S"}})
    assert description(emulator, task.id).count("———") == 1
    assert (changed.notes, changed.custom_fields) == ("Big image", {"Priority": "P3", "Size": "S"})
    renoted = bot.update_task(project, changed, {"notes": "Bigger image"})
    assert renoted.custom_fields == {"Priority": "P3", "Size": "S"} and renoted.notes == "Bigger image"
    cleared = bot.update_task(project, renoted, {"custom_fields": {"Priority": None, "Size": None}})
    assert description(emulator, task.id) == "<div>Bigger image</div>" and cleared.custom_fields == {}


def test_a_footer_a_person_retyped_reads_back_tolerantly() -> None:
    typed = "Hero\n\n\\---\n\n**Size :**  S  \npriority: P2\n\nPriority: P1"
    assert split_footer(typed) == ("Hero", {"Size": "S", "Priority": "P1"})


def test_notes_that_only_look_like_fields_stay_notes() -> None:
    for notes in ("Owner: Carla", "Hero\n\n---\n\nnot a field", "See https://x.example/a", "Hero\n\n---\n\nWell. Call: Bob"):
        assert split_footer(notes) == (notes, {})


NAME = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12)
VALUE = st.text(st.characters(categories=["L", "N"], include_characters=" -/"), min_size=1, max_size=20)


@given(st.text(st.characters(categories=["L", "N", "Zs"]), max_size=30), st.dictionaries(NAME, VALUE, max_size=4))
def test_notes_and_fields_round_trip_through_the_footer(notes: str, fields: dict[str, str]) -> None:
    notes = " ".join(notes.split())
    fields = {k: " ".join(v.split()) for k, v in fields.items() if v.strip()}
    unique = {k: v for k, v in fields.items() if sum(1 for o in fields if o.casefold() == k.casefold()) == 1}
    assert split_footer(with_footer(notes, unique)) == (notes, unique)
