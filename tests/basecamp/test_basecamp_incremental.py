"""Incremental pulls from the recordings listings: cost when nothing changed, and every kind of change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bridge.clock import VirtualClock
from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, PullResult, PullState
from connectors.basecamp import BasecampConnector, BasecampEmulator, BasecampSandbox, build
from connectors.emulation.toolkit import Fault

from .conftest import Raw


def _next(bot: BasecampConnector, project: str, previous: PullResult) -> PullResult:
    result = bot.pull(project, PullState(cursor=previous.cursor, snapshot=previous.snapshot))
    assert not result.full and result.snapshot.complete
    return result


def _view(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "sections": {s.id: s.name for s in snapshot.sections.values()},
        "tasks": {t.id: t.model_dump(exclude={"position", "version", "modified_at", "created_at"})
                  for t in snapshot.tasks.values()},
        "comments": {c.id: (c.task_id, c.text) for c in snapshot.comments.values()},
        "attachments": {a.id: (a.task_id, a.name, a.url) for a in snapshot.attachments.values()},
        "archived": {t.id: (t.title, t.section_id) for t in snapshot.archived.values()},
    }


def _same_as_full(bot: BasecampConnector, project: str, result: PullResult) -> None:
    assert _view(result.snapshot) == _view(bot.pull(project).snapshot)


@pytest.fixture
def seeded(bot: BasecampConnector, project: str, clock: VirtualClock) -> PullResult:
    task = bot.create_task(project, NewTask(title="Steady", notes="Calm *notes*"))
    bot.create_comment(project, task.id, "Nothing new here.")
    first = bot.pull(project)
    clock.advance(30)
    return first


def test_no_change_costs_three_conditional_requests(
    bot: BasecampConnector, project: str, seeded: PullResult, emulator: BasecampEmulator
) -> None:
    previous = seeded
    for _ in range(3):
        bot.stats.reset()
        emulator.clear_requests()
        result = _next(bot, project, previous)
        assert result.snapshot == previous.snapshot and result.cursor == previous.cursor
        assert (bot.stats.reads, bot.stats.writes, bot.stats.not_modified) == (3, 0, 3)
        assert [(r.status, r.headers.get("if-none-match") is not None) for r in emulator.requests] == [(304, True)] * 3
        previous = result


def test_without_polling_comments_and_lists_a_quiet_cycle_is_one_request(
    sandbox: BasecampSandbox, project: str, clock: VirtualClock, anna: BasecampConnector
) -> None:
    config = sandbox.connection("bridge")
    lean = build("basecamp-lean", config, transport=sandbox.emulator.transport(), clock=clock,
                 mapping={"poll_comments": False, "poll_sections": False})
    task = lean.create_task(project, NewTask(title="Steady"))
    first = lean.pull(project)
    lean.stats.reset()
    quiet = _next(lean, project, first)
    assert (lean.stats.reads, lean.stats.not_modified) == (1, 1)
    comment = anna.create_comment(project, task.id, "Only a comment")
    anna.update_task(project, quiet.snapshot.tasks[task.id], {"title": "Steady, renamed"})
    caught_up = _next(lean, project, quiet)
    assert comment.id in caught_up.snapshot.comments, "a to-do change brings the comments along"
    lean.close()


def test_person_edits_every_field(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, sandbox: BasecampSandbox
) -> None:
    task = seeded.snapshot.tasks[next(iter(seeded.snapshot.tasks))]
    doing = next(s.id for s in seeded.snapshot.sections.values() if s.name == "Doing")

    changes: dict[str, Any] = {"title": "Steady, v2", "notes": "New **notes**", "done": True, "section_id": doing,
                               "due": dt.date(2031, 1, 2), "start": dt.date(2031, 1, 1),
                               "assignees": [sandbox.user_ids["client"]]}
    anna.update_task(project, task, changes)
    result = _next(bot, project, seeded)
    seen = result.snapshot.tasks[task.id]
    for name, value in changes.items():
        assert getattr(seen, name) == value, name
    assert sandbox.user_ids["client"] in result.snapshot.people
    _same_as_full(bot, project, result)


def test_new_todos_by_a_person_and_by_the_bot_itself(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult
) -> None:
    theirs = anna.create_task(project, NewTask(title="Please add a contact page"))
    mine = bot.create_task(project, NewTask(title="Created, answer lost"))
    result = _next(bot, project, seeded)
    assert {theirs.id, mine.id} <= set(result.snapshot.tasks)
    _same_as_full(bot, project, result)


@pytest.mark.parametrize("mode", ["archive", "delete"])
def test_removed_todo_is_noticed_by_the_count_and_dropped(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, mode: str
) -> None:
    keep = bot.create_task(project, NewTask(title="Keep"))
    first = bot.pull(project)
    doomed = next(t for t in first.snapshot.tasks.values() if t.title == "Steady")
    anna.remove_task(project, doomed, mode)  # type: ignore[arg-type]
    bot.stats.reset()
    result = _next(bot, project, first)
    assert doomed.id not in result.snapshot.tasks and keep.id in result.snapshot.tasks
    assert not [c for c in result.snapshot.comments.values() if c.task_id == doomed.id], "its comments go too"
    _same_as_full(bot, project, result)
    quiet = _next(bot, project, result)
    assert quiet.snapshot == result.snapshot, "the cursor now expects the smaller total"


def test_comments_new_edited_trashed_and_foreign(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, raw: Raw
) -> None:
    task_id = next(iter(seeded.snapshot.tasks))
    old = next(iter(seeded.snapshot.comments.values()))
    new = anna.create_comment(project, task_id, "Can we try a darker blue?")
    anna.update_comment(project, old, "Edited by Anna")
    link = anna.create_attachment(project, task_id, "Spec", "https://files.example/spec.pdf")
    result = _next(bot, project, seeded)
    assert result.snapshot.comments[new.id].text == "Can we try a darker blue?"
    assert result.snapshot.comments[old.id].text == "Edited by Anna"
    assert result.snapshot.attachments[link.id].url == "https://files.example/spec.pdf"
    # A comment on a to-do list is not the snapshot's, and must not make every later cycle re-read all comments.
    list_id = raw.lists(project)[0]["id"]
    raw.json("POST", f"recordings/{list_id}/comments.json", json={"content": "<div>On the list</div>"})
    after_foreign = _next(bot, project, result)
    bot.stats.reset()
    assert _next(bot, project, after_foreign).snapshot == after_foreign.snapshot
    assert bot.stats.reads == 3 and bot.stats.not_modified == 3
    anna.remove_comment(project, result.snapshot.comments[new.id])
    gone = _next(bot, project, after_foreign)
    assert new.id not in gone.snapshot.comments and old.id in gone.snapshot.comments
    _same_as_full(bot, project, gone)


def test_list_renamed_added_archived_and_grouped(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, raw: Raw
) -> None:
    sections = {s.name: s for s in seeded.snapshot.sections.values()}
    anna.update_section(project, sections["Doing"], "In progress")
    added = anna.create_section(project, "Client review")
    task_id = next(iter(seeded.snapshot.tasks))
    result = _next(bot, project, seeded)
    assert result.snapshot.sections[sections["Doing"].id].name == "In progress"
    assert added.id in result.snapshot.sections
    group = raw.json("POST", f"todolists/{added.id}/groups.json", json={"name": "Round 1"})
    grouped = raw.json("POST", f"todolists/{group['id']}/todos.json", json={"content": "In the group"})
    with_group = _next(bot, project, result)
    assert with_group.snapshot.tasks[str(grouped["id"])].section_id == added.id
    anna.remove_section(project, with_group.snapshot.sections[sections["To do"].id], "archive")
    archived = _next(bot, project, with_group)
    assert sections["To do"].id not in archived.snapshot.sections
    assert task_id not in archived.snapshot.tasks, "the to-dos of an archived list are archived with it"
    _same_as_full(bot, project, archived)
    raw("PUT", f"recordings/{sections['To do'].id}/status/active.json")
    back = _next(bot, project, archived)
    assert task_id in back.snapshot.tasks and sections["To do"].id in back.snapshot.sections
    _same_as_full(bot, project, back)


def test_many_changes_page_until_older_than_the_cursor(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, clock: VirtualClock
) -> None:
    for n in range(120):
        clock.advance(0.2)
        anna.create_task(project, NewTask(title=f"Burst {n}"))
    bot.stats.reset()
    result = _next(bot, project, seeded)
    assert len(result.snapshot.tasks) == 121
    todo_pages = bot.stats.by_route["GET /999999999/projects/recordings.json"] - 1  # minus the comment probe
    assert todo_pages == 3, "121 recent to-dos: three pages of 50, no more"
    _same_as_full(bot, project, result)


def test_lagging_listing_is_caught_up_next_cycle(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, emulator: BasecampEmulator
) -> None:
    task = anna.create_task(project, NewTask(title="Listed late"))
    emulator.inject(Fault.LAG, path="recordings")
    lagged = _next(bot, project, seeded)
    assert task.id not in lagged.snapshot.tasks
    assert task.id in _next(bot, project, lagged).snapshot.tasks


@pytest.mark.parametrize("cursor", ["not-a-valid-cursor", '{"v": 99}', '{"v": 1, "project": "1"}'])
def test_unusable_cursor_falls_back_to_a_full_pull(bot: BasecampConnector, project: str, seeded: PullResult, cursor: str) -> None:
    result = bot.pull(project, PullState(cursor=cursor, snapshot=seeded.snapshot))
    assert result.full and set(result.snapshot.tasks) == set(seeded.snapshot.tasks)


def test_cursor_of_another_project_falls_back(bot: BasecampConnector, sandbox: BasecampSandbox, seeded: PullResult) -> None:
    other = sandbox.create_project("Other", ["A"])
    result = bot.pull(other, PullState(cursor=seeded.cursor, snapshot=seeded.snapshot))
    assert result.full and result.snapshot.project_id == other and not result.snapshot.tasks


def test_cursor_survives_a_new_connector(sandbox: BasecampSandbox, project: str, seeded: PullResult, clock: VirtualClock) -> None:
    # The ETags live in the cursor, not in the client: a restarted process still gets 304s.
    fresh = build("basecamp-restarted", sandbox.connection("bridge"), transport=sandbox.emulator.transport(), clock=clock)
    result = _next(fresh, project, seeded)
    assert result.snapshot == seeded.snapshot and fresh.stats.not_modified == 3
    fresh.close()


def test_emulator_changes_by_time_only_with_virtual_clock(clock: VirtualClock) -> None:
    # Timestamps come from the emulator's clock and never repeat, so "updated after" is well defined.
    emulator = BasecampEmulator(clock=clock)
    a, b = emulator.store.now(), emulator.store.now()
    clock.advance(1)
    assert a < b < emulator.store.now()
