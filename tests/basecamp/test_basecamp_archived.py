"""Archived and trashed to-dos are read (Snapshot.archived) only when they can matter, and restored on request."""

from __future__ import annotations

import pytest

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask, PullResult, PullState
from connectors.basecamp import BasecampConnector, BasecampEmulator
from connectors.emulation.toolkit import Fault

from .conftest import Raw

STATUS_LISTING = "GET /999999999/projects/recordings.json"


def _next(bot: BasecampConnector, project: str, previous: PullResult) -> PullResult:
    result = bot.pull(project, PullState(cursor=previous.cursor, snapshot=previous.snapshot))
    assert not result.full
    return result


def _status_reads(emulator: BasecampEmulator) -> list[str]:
    return [r.query["status"][-1] for r in emulator.requests if "status" in r.query]


@pytest.mark.parametrize("mode", ["archive", "delete"])  # "delete" trashes the to-do
def test_a_vanished_todo_is_looked_up_once_and_held_as_archived(
    bot: BasecampConnector, anna: BasecampConnector, project: str, emulator: BasecampEmulator, mode: str
) -> None:
    todo = bot.create_task(project, NewTask(title="Homepage", notes="Hero"))
    bot.create_comment(project, todo.id, "kept")
    first = bot.pull(project)
    quiet = _next(bot, project, first)
    anna.remove_task(project, todo, mode)  # type: ignore[arg-type]
    emulator.clear_requests()
    result = _next(bot, project, quiet)
    assert todo.id not in result.snapshot.tasks
    assert list(result.snapshot.archived) == [todo.id] and result.snapshot.archived[todo.id].title == "Homepage"
    assert len([r for r in emulator.requests if r.path.endswith(f"/todos/{todo.id}.json")]) == 1, "one GET of it"
    assert _status_reads(emulator) == [], "no status listing for a single to-do"
    full = bot.pull(project)
    assert {k: v.title for k, v in full.snapshot.archived.items()} == {todo.id: "Homepage"}

    emulator.clear_requests()
    idle = _next(bot, project, result)
    assert idle.snapshot.archived == result.snapshot.archived
    assert [r.status for r in emulator.requests] == [304, 304, 304], "an idle cycle costs what it did"


def test_many_vanished_todos_are_read_from_the_two_status_listings(
    bot: BasecampConnector, anna: BasecampConnector, project: str, emulator: BasecampEmulator
) -> None:
    todos = [bot.create_task(project, NewTask(title=f"T{n}")) for n in range(4)]
    first = bot.pull(project)
    anna.remove_task(project, todos[0], "archive")
    anna.remove_task(project, todos[1], "delete")
    anna.remove_task(project, todos[2], "delete")
    emulator.clear_requests()
    result = _next(bot, project, first)
    assert sorted(result.snapshot.archived) == sorted(t.id for t in todos[:3])
    assert sorted(_status_reads(emulator)) == ["archived", "trashed"]
    assert not [r for r in emulator.requests if "/todos/" in r.path], "no per-to-do GET"


def test_a_todo_in_an_archived_list_or_deleted_for_good_is_not_archived(
    bot: BasecampConnector, project: str, emulator: BasecampEmulator, raw: Raw
) -> None:
    lists = raw.lists(project)
    inside = bot.create_task(project, NewTask(title="In a list archived later", section_id=str(lists[1]["id"])))
    purged = bot.create_task(project, NewTask(title="Purged from the trash", section_id=str(lists[0]["id"])))
    first = bot.pull(project)
    raw("PUT", f"recordings/{lists[1]['id']}/status/archived.json")
    del emulator.store.recordings[int(purged.id)]  # what Basecamp's trash does after 30 days
    emulator.clear_requests()
    incremental = _next(bot, project, first)
    assert sorted(_status_reads(emulator)) == ["archived", "trashed"], "a 404 is checked in the status listings"
    for result in (incremental, bot.pull(project)):
        assert inside.id not in result.snapshot.tasks and purged.id not in result.snapshot.tasks
        assert result.snapshot.archived == {}, "comes back with its list / is gone: mirrored anew"


def test_restore_puts_the_same_todo_back_with_its_comments(
    bot: BasecampConnector, anna: BasecampConnector, project: str, emulator: BasecampEmulator, clock: VirtualClock
) -> None:
    todo = bot.create_task(project, NewTask(title="Homepage"))
    bot.create_comment(project, todo.id, "kept")
    anna.remove_task(project, todo, "delete")
    first = bot.pull(project)
    archived = first.snapshot.archived[todo.id]
    emulator.clear_requests()
    restored = bot.update_task(project, archived, {"archived": False})
    assert restored.id == todo.id
    assert [(r.method, r.path.split("/999999999")[-1]) for r in emulator.requests] == [
        ("PUT", f"/recordings/{todo.id}/status/active.json")]
    clock.advance(5)
    again = _next(bot, project, first)
    assert todo.id in again.snapshot.tasks and again.snapshot.archived == {}
    assert [c.text for c in again.snapshot.comments.values()] == ["kept"]


def test_a_todo_the_client_unarchives_leaves_archived(
    bot: BasecampConnector, anna: BasecampConnector, project: str, raw: Raw
) -> None:
    todo = bot.create_task(project, NewTask(title="Back"))
    anna.remove_task(project, todo, "archive")
    first = bot.pull(project)
    assert list(first.snapshot.archived) == [todo.id]
    raw("PUT", f"recordings/{todo.id}/status/active.json")
    result = _next(bot, project, first)
    assert list(result.snapshot.tasks) == [todo.id] and result.snapshot.archived == {}


def test_a_trashed_todo_whose_get_answers_404_is_found_in_the_trashed_listing(
    bot: BasecampConnector, anna: BasecampConnector, project: str, emulator: BasecampEmulator
) -> None:
    todo = bot.create_task(project, NewTask(title="Trashed"))
    first = bot.pull(project)
    anna.remove_task(project, todo, "delete")
    emulator.inject(Fault.NOT_FOUND, method="GET", path=rf"/todos/{todo.id}\.json$")  # should Basecamp hide it
    result = _next(bot, project, first)
    assert list(result.snapshot.archived) == [todo.id]
