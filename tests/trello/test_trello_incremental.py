"""Incremental pulls from ``GET /boards/{id}/actions?since=``: cost, other people's changes, own writes, lag."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bridge.clock import VirtualClock
from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, PullResult, PullState
from bridge.errors import Transient
from connectors.emulation import Fault
from connectors.trello import TrelloConnector, TrelloEmulator, TrelloSandbox
from connectors.trello.incremental import MAX_COMMENT_READS


def _next(connector: TrelloConnector, board: str, previous: PullResult) -> PullResult:
    return connector.pull(board, PullState(cursor=previous.cursor, snapshot=previous.snapshot))


def _view(snapshot: Snapshot) -> dict[str, Any]:
    stamps = {"__all__": {"version", "modified_at"}}
    return snapshot.model_dump(exclude={"people": True, "tasks": stamps, "archived": stamps})


def test_nothing_new_costs_exactly_one_request(bridge: TrelloConnector, human: TrelloConnector, board: str) -> None:
    task = human.create_task(board, NewTask(title="Steady"))
    human.create_comment(board, task.id, "quiet")
    first = bridge.pull(board)
    for _ in range(3):
        bridge.stats.reset()
        again = _next(bridge, board, first)
        assert bridge.stats.total == 1 and bridge.stats.writes == 0
        assert list(bridge.stats.by_route) == [f"GET /1/boards/{board}/actions"]
        assert not again.full and again.snapshot == first.snapshot and again.cursor == first.cursor
        first = again


def test_another_members_changes_are_seen(
    bridge: TrelloConnector, human: TrelloConnector, sandbox: TrelloSandbox, board: str, clock: VirtualClock
) -> None:
    card = bridge.create_task(board, NewTask(title="Homepage"))
    keep = bridge.create_task(board, NewTask(title="Untouched"))
    gone = bridge.create_task(board, NewTask(title="Gone"))
    archived = bridge.create_task(board, NewTask(title="Archived"))
    first = bridge.pull(board)
    done = next(s.id for s in first.snapshot.sections.values() if s.name == "Done")
    clock.advance(30)
    human.update_task(board, first.snapshot.tasks[card.id], {"title": "Homepage v2", "section_id": done, "done": True,
                                                              "due": dt.date(2031, 2, 3), "labels": ["approved"]})
    step = human.create_task(board, NewTask(title="Check copy", parent_id=card.id))
    note = human.create_comment(board, card.id, "Ship it")
    link = human.create_attachment(board, card.id, "Proof", "https://files.example.com/proof.png")
    fresh = human.create_task(board, NewTask(title="New request"))
    human.remove_task(board, first.snapshot.tasks[gone.id], "delete")
    human.remove_task(board, first.snapshot.tasks[archived.id], "archive")
    bridge.stats.reset()
    second = _next(bridge, board, first)
    seen = second.snapshot.tasks[card.id]
    assert (seen.title, seen.section_id, seen.done) == ("Homepage v2", done, True)
    assert (seen.due, seen.labels) == (dt.date(2031, 2, 3), ["approved"])
    assert second.snapshot.tasks[step.id].parent_id == card.id
    assert second.snapshot.comments[note.id].author.id == sandbox.user_ids["human"]  # type: ignore[union-attr]
    assert link.id in second.snapshot.attachments and fresh.id in second.snapshot.tasks
    assert gone.id not in second.snapshot.tasks and archived.id not in second.snapshot.tasks
    assert second.snapshot.tasks[keep.id] == first.snapshot.tasks[keep.id]
    # one actions page, then the board's cards in one read (for the card and the new request)
    assert bridge.stats.total == 2, bridge.stats.by_route
    assert list(bridge.stats.by_route) == [f"GET /1/boards/{board}/actions", f"GET /1/boards/{board}/cards"]
    assert _view(second.snapshot) == _view(bridge.pull(board).snapshot)


def test_comment_edits_and_deletions_apply_from_the_actions(bridge: TrelloConnector, human: TrelloConnector, board: str) -> None:
    card = bridge.create_task(board, NewTask(title="Logo"))
    edited = human.create_comment(board, card.id, "darker?")
    removed = human.create_comment(board, card.id, "typo")
    first = bridge.pull(board)
    human.update_comment(board, edited, "darker blue?")
    human.remove_comment(board, removed)
    bridge.stats.reset()
    second = _next(bridge, board, first)
    assert bridge.stats.total == 1, "comment actions carry everything: no re-read"
    assert second.snapshot.comments[edited.id].text == "darker blue?" and removed.id not in second.snapshot.comments


def test_list_changes_are_seen(bridge: TrelloConnector, human: TrelloConnector, board: str) -> None:
    first = bridge.pull(board)
    doing = next(s for s in first.snapshot.sections.values() if s.name == "Doing")
    todo = next(s for s in first.snapshot.sections.values() if s.name == "To do")
    card = bridge.create_task(board, NewTask(title="In To do", section_id=todo.id))
    first = bridge.pull(board)
    human.update_section(board, doing, "In progress")
    human.remove_section(board, todo, "archive")
    added = human.create_section(board, "Review")
    second = _next(bridge, board, first)
    names = {s.name for s in second.snapshot.sections.values()}
    assert names == {"In progress", "Done", "Review"} and added.id in second.snapshot.sections
    assert card.id not in second.snapshot.tasks, "cards of an archived list leave with it"
    assert _view(second.snapshot) == _view(bridge.pull(board).snapshot)


def test_own_writes_cost_no_reads_but_own_removals_apply(bridge: TrelloConnector, board: str) -> None:
    card = bridge.create_task(board, NewTask(title="Mine"))
    doomed = bridge.create_task(board, NewTask(title="Doomed"))
    first = bridge.pull(board)
    bridge.update_task(board, first.snapshot.tasks[card.id], {"title": "Mine, renamed"})
    bridge.remove_task(board, first.snapshot.tasks[doomed.id], "archive")
    bridge.stats.reset()
    second = _next(bridge, board, first)
    assert bridge.stats.total == 1
    assert doomed.id not in second.snapshot.tasks
    assert second.snapshot.tasks[card.id].title == "Mine", "own edits are the engine's to record"


def test_own_create_whose_answer_was_lost_is_fetched(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    holder = bridge.create_task(board, NewTask(title="Holder"))
    first = bridge.pull(board)
    emulator.inject(Fault.LOSE_RESPONSE, "POST", r"^/cards$")
    with pytest.raises(Transient):  # the create took effect; its answer never arrived
        bridge.create_task(board, NewTask(title="Lost answer"))
    emulator.inject(Fault.LOSE_RESPONSE, "POST", r"/checkItems$")
    with pytest.raises(Transient):
        bridge.create_task(board, NewTask(title="Lost step", parent_id=holder.id))
    second = _next(bridge, board, first)
    titles = {t.title for t in second.snapshot.tasks.values()}
    assert {"Lost answer", "Lost step"} <= titles


def test_lagging_feed_is_caught_up_next_time(
    bridge: TrelloConnector, human: TrelloConnector, emulator: TrelloEmulator, board: str, clock: VirtualClock
) -> None:
    first = bridge.pull(board)
    clock.advance(60)
    task = human.create_task(board, NewTask(title="Late"))
    emulator.inject(Fault.LAG, "GET", r"/actions$")
    lagged = _next(bridge, board, first)
    assert task.id not in lagged.snapshot.tasks
    caught = _next(bridge, board, lagged)
    assert task.id in caught.snapshot.tasks


def test_one_changed_card_is_read_alone(bridge: TrelloConnector, human: TrelloConnector, board: str) -> None:
    card = bridge.create_task(board, NewTask(title="Alone"))
    first = bridge.pull(board)
    human.update_task(board, first.snapshot.tasks[card.id], {"title": "Alone, renamed"})
    bridge.stats.reset()
    second = _next(bridge, board, first)
    assert list(bridge.stats.by_route) == [f"GET /1/boards/{board}/actions", f"GET /1/cards/{card.id}"]
    assert second.snapshot.tasks[card.id].title == "Alone, renamed"


def test_many_changed_cards_cost_two_requests(
    bridge: TrelloConnector, emulator: TrelloEmulator, sandbox: TrelloSandbox, board: str
) -> None:
    first = bridge.pull(board)
    list_id = next(iter(first.snapshot.sections))
    for n in range(60):
        emulator.seed_card(list_id, f"Bulk {n}", sandbox.user_ids["human"])
    bridge.stats.reset()
    second = _next(bridge, board, first)
    assert not second.full and len(second.snapshot.tasks) == 60
    assert bridge.stats.total == 2, bridge.stats.by_route
    assert _view(second.snapshot) == _view(bridge.pull(board).snapshot)


def test_many_reappearing_cards_fall_back_to_a_full_pull(
    bridge: TrelloConnector, human: TrelloConnector, raw: Any, board: str, clock: VirtualClock
) -> None:
    cards = [human.create_task(board, NewTask(title=f"Back {n}")) for n in range(MAX_COMMENT_READS + 1)]
    human.create_comment(board, cards[0].id, "older than the cursor")
    for card in cards:
        human.remove_task(board, card, "archive")
    first = bridge.pull(board)
    for card in cards:  # each brings comments older than the cursor: one read per card, or a full pull
        clock.advance(1)  # within the token's 100 requests per 10 s
        assert raw.put(f"/cards/{card.id}", params={"closed": "false"}).status_code == 200
    second = _next(bridge, board, first)
    assert second.full and len(second.snapshot.tasks) == len(cards)
    assert _view(second.snapshot) == _view(bridge.pull(board).snapshot)


def test_invalid_or_foreign_cursor_means_a_full_pull(bridge: TrelloConnector, sandbox: TrelloSandbox, board: str) -> None:
    other = sandbox.create_project("Other", ["A"])
    first = bridge.pull(board)
    assert bridge.pull(board, PullState(cursor="garbage", snapshot=first.snapshot)).full
    foreign = bridge.pull(other)
    assert bridge.pull(board, PullState(cursor=foreign.cursor, snapshot=first.snapshot)).full


def test_label_rename_by_a_person_is_seen(bridge: TrelloConnector, raw: Any, emulator: TrelloEmulator, board: str) -> None:
    card = bridge.create_task(board, NewTask(title="Tagged", labels=["urgent"]))
    first = bridge.pull(board)
    label_id = next(lb.id for lb in emulator.world.labels.values() if lb.name == "urgent")
    raw.put(f"/labels/{label_id}", params={"name": "asap"})
    second = _next(bridge, board, first)
    assert second.snapshot.tasks[card.id].labels == ["asap"]
