"""Writes: a to-do PUT sends every field, completion and moves use their own endpoints, removal sets status."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bridge.core.model import Section
from bridge.core.ports import NewTask
from bridge.errors import Invalid
from connectors.basecamp import BasecampConnector, BasecampEmulator, BasecampSandbox
from connectors.basecamp.emulator.store import Comment as StoredComment
from connectors.basecamp.emulator.store import Todo, Todolist

from .conftest import Raw


def _todo(emulator: BasecampEmulator, todo_id: str) -> Todo:
    todo = emulator.store.recordings[int(todo_id)]
    assert isinstance(todo, Todo)
    return todo


def _writes(emulator: BasecampEmulator) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, json.loads(r.body) if r.body else None) for r in emulator.writes()]


def test_assignees_survive_a_title_change(
    bot: BasecampConnector, project: str, sandbox: BasecampSandbox, emulator: BasecampEmulator, raw: Raw
) -> None:
    anna, carla = sandbox.user_ids["human"], sandbox.user_ids["client"]
    list_id = raw.lists(project)[0]["id"]
    raw.json("POST", f"todolists/{list_id}/todos.json", json={"content": "seed"})
    created = raw.json("POST", f"todolists/{list_id}/todos.json", json={
        "content": "Write the copy", "description": "<div>Two <strong>pages</strong></div>", "due_on": "2031-05-20",
        "starts_on": "2031-05-02", "assignee_ids": [int(anna), int(carla)], "completion_subscriber_ids": [int(carla)]})
    current = bot.pull(project).snapshot.tasks[str(created["id"])]
    emulator.clear_requests()
    updated = bot.update_task(project, current, {"title": "Write the copy, v2"})
    [(method, path, body)] = _writes(emulator)
    assert (method, path) == ("PUT", f"/todos/{created['id']}.json")
    assert body == {"content": "Write the copy, v2", "description": "<div>Two <strong>pages</strong></div>",
                    "assignee_ids": [int(anna), int(carla)], "completion_subscriber_ids": [int(carla)], "notify": False,
                    "due_on": "2031-05-20", "starts_on": "2031-05-02"}
    stored = _todo(emulator, str(created["id"]))
    assert (stored.assignee_ids, stored.completion_subscriber_ids) == ([int(anna), int(carla)], [int(carla)])
    assert (stored.due_on, stored.description) == (dt.date(2031, 5, 20), "<div>Two <strong>pages</strong></div>")
    assert updated.assignees == [anna, carla] and updated.title == "Write the copy, v2" and updated.notes == "Two **pages**"
    assert not [r for r in emulator.requests if r.method == "GET"], "subscribers came from the pull: no extra read"


def test_unseen_todo_reads_its_subscribers_before_the_put(
    bot: BasecampConnector, anna: BasecampConnector, project: str, sandbox: BasecampSandbox, emulator: BasecampEmulator
) -> None:
    task = anna.create_task(project, NewTask(title="Made by Anna"))
    emulator.store.recordings[int(task.id)].completion_subscriber_ids = [int(sandbox.user_ids["human"])]  # type: ignore[attr-defined]
    emulator.clear_requests()
    bot.update_task(project, task, {"notes": "Now with notes"})
    sent = [(r.method, r.path) for r in emulator.requests]
    assert sent == [("GET", f"/todos/{task.id}.json"), ("PUT", f"/todos/{task.id}.json")]
    assert _todo(emulator, task.id).completion_subscriber_ids == [int(sandbox.user_ids["human"])]


def test_done_moves_and_position_use_their_own_endpoints(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator
) -> None:
    snapshot = bot.pull(project).snapshot
    sections = {s.name: s.id for s in snapshot.sections.values()}
    first = bot.create_task(project, NewTask(title="First", section_id=sections["To do"]))
    second = bot.create_task(project, NewTask(title="Second", section_id=sections["To do"]))
    emulator.clear_requests()
    done = bot.update_task(project, first, {"done": True})
    assert done.done and _writes(emulator) == [("POST", f"/todos/{first.id}/completion.json", None)]
    emulator.clear_requests()
    bot.update_task(project, done, {"done": False})
    assert _writes(emulator) == [("DELETE", f"/todos/{first.id}/completion.json", None)]
    emulator.clear_requests()
    moved = bot.update_task(project, second, {"section_id": sections["Doing"]})
    move = {"position": 1, "parent_id": int(sections["Doing"])}
    assert _writes(emulator) == [("PUT", f"/todos/{second.id}/position.json", move)]
    assert moved.section_id == sections["Doing"] and _todo(emulator, second.id).parent == int(sections["Doing"])
    third = bot.create_task(project, NewTask(title="Third", section_id=sections["To do"]))
    bot.update_task(project, third, {"position": 0.0})
    order = sorted(bot.pull(project).snapshot.tasks.values(), key=lambda t: (t.section_id or "", t.position))
    assert [t.title for t in order if t.section_id == sections["To do"]] == ["Third", "First"]


def test_an_unchanged_value_writes_nothing(bot: BasecampConnector, project: str, emulator: BasecampEmulator) -> None:
    task = bot.create_task(project, NewTask(title="Same"))
    emulator.clear_requests()
    assert bot.update_task(project, task, {"title": "Same", "done": False}) == task
    assert emulator.writes() == []


@pytest.mark.parametrize(("mode", "status"), [("archive", "archived"), ("delete", "trashed")])
def test_remove_task_sets_the_recording_status(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator, mode: str, status: str
) -> None:
    task = bot.create_task(project, NewTask(title="Goes away"))
    bot.remove_task(project, task, mode)  # type: ignore[arg-type]
    assert _todo(emulator, task.id).status == status


def test_create_task_defaults_to_the_first_list_and_completes(bot: BasecampConnector, project: str, raw: Raw) -> None:
    task = bot.create_task(project, NewTask(title="Loose", done=True, due=dt.date(2031, 1, 1)))
    assert task.section_id == str(raw.lists(project)[0]["id"]) and task.done
    pulled = bot.pull(project).snapshot.tasks[task.id]
    assert (pulled.done, pulled.due, pulled.section_id) == (True, dt.date(2031, 1, 1), task.section_id)


def test_sections_create_rename_keeping_the_description_and_remove(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator, raw: Raw
) -> None:
    emulator.clear_requests()
    created = bot.create_section(project, "Client review")
    assert json.loads(emulator.writes()[0].body) == {"name": "Client review", "visible_to_clients": True}
    assert emulator.store.recordings[int(created.id)].visible_to_clients is True
    raw.json("PUT", f"todolists/{created.id}.json", json={"name": "Client review", "description": "<div>For Carla</div>"})
    renamed = bot.update_section(project, created, "Review")
    stored = emulator.store.recordings[int(created.id)]
    assert isinstance(stored, Todolist) and (stored.name, stored.description) == ("Review", "<div>For Carla</div>")
    assert renamed == Section(id=created.id, name="Review", position=renamed.position, version=renamed.version)
    bot.remove_section(project, renamed, "archive")
    assert stored.status == "archived"
    other = bot.create_section(project, "Scratch")
    bot.remove_section(project, other, "delete")
    assert emulator.store.recordings[int(other.id)].status == "trashed"


def test_link_attachments_are_comments_and_a_lookalike_comment_stays_a_comment(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator
) -> None:
    task = bot.create_task(project, NewTask(title="Share the spec"))
    attachment = bot.create_attachment(project, task.id, "Spec <v3> & notes", "https://files.example/spec?v=3&x=1")
    stored = emulator.store.recordings[int(attachment.id)]
    assert isinstance(stored, StoredComment) and "\N{PAPERCLIP}" in stored.content
    assert (attachment.name, attachment.url) == ("Spec <v3> & notes", "https://files.example/spec?v=3&x=1")
    lookalike = bot.create_comment(project, task.id, "\N{PAPERCLIP} [Spec](https://files.example/spec)")
    snapshot = bot.pull(project).snapshot
    assert set(snapshot.attachments) == {attachment.id}
    assert snapshot.comments[lookalike.id].text == lookalike.text == "\N{PAPERCLIP} [Spec](https://files.example/spec)"
    bot.remove_attachment(project, attachment)
    assert stored.status == "trashed"


def test_comment_edit_and_removal(bot: BasecampConnector, project: str, emulator: BasecampEmulator) -> None:
    task = bot.create_task(project, NewTask(title="Discuss"))
    comment = bot.create_comment(project, task.id, "First *draft*")
    stored = emulator.store.recordings[int(comment.id)]
    assert isinstance(stored, StoredComment) and stored.content == "<div>First <em>draft</em></div>"
    edited = bot.update_comment(project, comment, "Second draft")
    assert edited.text == "Second draft" and stored.content == "<div>Second draft</div>"
    bot.remove_comment(project, edited)
    assert stored.status == "trashed"


# Custom fields are held, as the notes' footer (tests/basecamp/test_basecamp_custom_fields.py).
@pytest.mark.parametrize("changes", [{"labels": ["urgent"]}, {"parent_id": "123"}, {"colour": "red"}])
def test_fields_basecamp_cannot_hold_are_refused_before_any_request(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator, changes: dict[str, Any]
) -> None:
    task = bot.create_task(project, NewTask(title="Plain"))
    emulator.clear_requests()
    with pytest.raises(Invalid):
        bot.update_task(project, task, changes)
    assert emulator.requests == []
    with pytest.raises(Invalid):
        bot.create_task(project, NewTask(title="Sub", parent_id=task.id))
