"""The Trello connector end to end on the emulator: full pulls and every write."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from bridge.core.ports import NewTask
from bridge.errors import Invalid
from connectors.trello import TrelloConnector, TrelloEmulator, TrelloSandbox


def _list_named(connector: TrelloConnector, board: str, name: str) -> str:
    return next(s.id for s in connector.pull(board).snapshot.sections.values() if s.name == name)


def test_full_pull_maps_lists_cards_checkitems_comments_links_people(
    bridge: TrelloConnector, human: TrelloConnector, sandbox: TrelloSandbox, board: str
) -> None:
    doing = _list_named(bridge, board, "Doing")
    anna = sandbox.user_ids["human"]
    card = human.create_task(board, NewTask(title="Homepage", notes="# Scope\n\n- hero", section_id=doing, done=True,
                                            due=dt.date(2031, 5, 20), start=dt.date(2031, 5, 2), assignees=[anna],
                                            labels=["urgent"]))
    step = human.create_task(board, NewTask(title="Sketch", parent_id=card.id, done=True))
    note = human.create_comment(board, card.id, "Hero image?")
    link = human.create_attachment(board, card.id, "Brief", "https://files.example.com/brief.pdf")
    snapshot = bridge.pull(board).snapshot
    assert snapshot.project_name == "Client site" and snapshot.complete
    assert [s.name for s in sorted(snapshot.sections.values(), key=lambda s: s.position)] == ["To do", "Doing", "Done"]
    got = snapshot.tasks[card.id]
    assert (got.title, got.notes, got.done, got.section_id) == ("Homepage", "# Scope\n\n- hero", True, doing)
    assert (got.due, got.start, got.assignees, got.labels) == (dt.date(2031, 5, 20), dt.date(2031, 5, 2), [anna], ["urgent"])
    sub = snapshot.tasks[step.id]
    assert (sub.parent_id, sub.title, sub.done) == (card.id, "Sketch", True)
    assert snapshot.comments[note.id].text == "Hero image?" and snapshot.comments[note.id].author.id == anna  # type: ignore[union-attr]
    assert snapshot.attachments[link.id].url == "https://files.example.com/brief.pdf"
    assert set(snapshot.people) == set(sandbox.user_ids.values())
    assert snapshot.people[anna].name == "Anna Agency"


def test_archived_cards_and_lists_stay_out(bridge: TrelloConnector, board: str) -> None:
    gone = bridge.create_task(board, NewTask(title="Archived"))
    bridge.remove_task(board, gone, "archive")
    later = bridge.create_section(board, "Later")
    hidden = bridge.create_task(board, NewTask(title="In an archived list", section_id=later.id))
    bridge.remove_section(board, later, "archive")
    snapshot = bridge.pull(board).snapshot
    assert gone.id not in snapshot.tasks and hidden.id not in snapshot.tasks and later.id not in snapshot.sections


def test_first_pull_of_100_cards_costs_a_fixed_handful_of_requests(
    emulator: TrelloEmulator, sandbox: TrelloSandbox, bridge: TrelloConnector, board: str
) -> None:
    list_id = next(x.id for x in emulator.world.lists.values() if x.id_board == board)
    for n in range(100):
        emulator.seed_card(list_id, f"Card {n}", sandbox.user_ids["human"])
    bridge.stats.reset()
    result = bridge.pull(board)
    assert len(result.snapshot.tasks) == 100
    # members/me, newest action (cursor), board, lists, cards+checklists+attachments, members, comments
    assert bridge.stats.total == 7, bridge.stats.by_route


def test_create_task_without_section_goes_to_the_first_list(bridge: TrelloConnector, board: str) -> None:
    task = bridge.create_task(board, NewTask(title="Anywhere"))
    assert task.section_id == _list_named(bridge, board, "To do")


def test_update_task_fields_and_labels_by_name(
    bridge: TrelloConnector, emulator: TrelloEmulator, sandbox: TrelloSandbox, board: str
) -> None:
    task = bridge.create_task(board, NewTask(title="Pricing"))
    done_list = _list_named(bridge, board, "Done")
    updated = bridge.update_task(board, task, {"title": "Pricing v2", "notes": "*soon*", "done": True, "section_id": done_list,
                                               "due": dt.date(2031, 1, 2), "assignees": [sandbox.user_ids["client"]],
                                               "labels": ["client-review", "urgent"]})
    assert (updated.title, updated.notes, updated.done, updated.section_id) == ("Pricing v2", "*soon*", True, done_list)
    assert updated.due == dt.date(2031, 1, 2) and updated.assignees == [sandbox.user_ids["client"]]
    assert sorted(updated.labels) == ["client-review", "urgent"]
    assert sorted(lb.name for lb in emulator.world.labels.values() if lb.id_board == board) == ["client-review", "urgent"]
    cleared = bridge.update_task(board, updated, {"due": None, "labels": [], "assignees": []})
    assert (cleared.due, cleared.labels, cleared.assignees) == (None, [], [])
    again = bridge.update_task(board, cleared, {"labels": ["urgent"]})
    assert again.labels == ["urgent"]
    assert len([lb for lb in emulator.world.labels.values() if lb.id_board == board]) == 2, "an existing label is reused"
    with pytest.raises(Invalid):
        bridge.update_task(board, again, {"parent_id": task.id + "x"})


def test_label_deleted_behind_our_back_is_recreated(
    bridge: TrelloConnector, emulator: TrelloEmulator, raw: httpx.Client, board: str
) -> None:
    task = bridge.create_task(board, NewTask(title="Tagged", labels=["urgent"]))
    label_id = next(lb.id for lb in emulator.world.labels.values() if lb.name == "urgent")
    assert raw.delete(f"/labels/{label_id}").status_code == 200
    again = bridge.update_task(board, task, {"labels": ["urgent"]})
    assert again.labels == ["urgent"]
    assert label_id not in emulator.world.cards[task.id].id_labels


def test_position_moves_before_another_card(bridge: TrelloConnector, board: str) -> None:
    a = bridge.create_task(board, NewTask(title="A"))
    b = bridge.create_task(board, NewTask(title="B"))
    moved = bridge.update_task(board, b, {"position": a.position / 2})
    assert moved.position < a.position
    top = bridge.update_task(board, a, {"position": -5.0})
    assert 0 < top.position < moved.position


def test_subtasks_are_check_items_on_a_subtasks_checklist(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    parent = bridge.create_task(board, NewTask(title="Launch"))
    first = bridge.create_task(board, NewTask(title="DNS", parent_id=parent.id))
    second = bridge.create_task(board, NewTask(title="TLS", parent_id=parent.id, done=True))
    card = emulator.world.cards[parent.id]
    assert [c.name for c in card.checklists] == ["Subtasks"], "one checklist, created on demand and reused"
    assert [(i.name, i.state) for i in card.checklists[0].items] == [("DNS", "incomplete"), ("TLS", "complete")]
    assert second.done and second.parent_id == parent.id
    renamed = bridge.update_task(board, first, {"title": "DNS records", "done": True})
    assert (renamed.title, renamed.done, renamed.parent_id) == ("DNS records", True, parent.id)
    with pytest.raises(Invalid):
        bridge.update_task(board, renamed, {"due": dt.date(2031, 1, 1)})
    bridge.remove_task(board, renamed, "archive")  # a check item cannot be archived: it is deleted
    subtasks = [t for t in bridge.pull(board).snapshot.tasks.values() if t.parent_id == parent.id]
    assert [t.id for t in subtasks] == [second.id]


def test_subtask_checklist_learnt_from_pull_saves_a_read(bridge: TrelloConnector, human: TrelloConnector, board: str) -> None:
    parent = human.create_task(board, NewTask(title="Launch"))
    human.create_task(board, NewTask(title="DNS", parent_id=parent.id))
    bridge.pull(board)
    bridge.stats.reset()
    bridge.create_task(board, NewTask(title="TLS", parent_id=parent.id))
    [(route, count)] = bridge.stats.by_route.items()
    assert route.startswith("POST /1/checklists/") and route.endswith("/checkItems") and count == 1


def test_remove_task_archive_and_delete(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    archived = bridge.create_task(board, NewTask(title="Archive"))
    deleted = bridge.create_task(board, NewTask(title="Delete"))
    bridge.remove_task(board, archived, "archive")
    bridge.remove_task(board, deleted, "delete")
    assert emulator.world.cards[archived.id].closed is True
    assert deleted.id not in emulator.world.cards


def test_sections_create_rename_and_both_removals_archive(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    created = bridge.create_section(board, "Review")
    assert created.position > max(x.pos for x in emulator.world.lists.values() if x.id != created.id)
    renamed = bridge.update_section(board, created, "Client review")
    assert (renamed.id, renamed.name) == (created.id, "Client review")
    bridge.remove_section(board, renamed, "delete")
    assert emulator.world.lists[created.id].closed is True, "Trello cannot delete a list: delete archives it"


def test_comments_and_attachments(bridge: TrelloConnector, sandbox: TrelloSandbox, board: str) -> None:
    task = bridge.create_task(board, NewTask(title="Copy"))
    note = bridge.create_comment(board, task.id, "Draft attached")
    assert note.author is not None and note.author.id == sandbox.user_ids["bridge"]
    edited = bridge.update_comment(board, note, "Second draft attached")
    assert (edited.id, edited.text) == (note.id, "Second draft attached")
    link = bridge.create_attachment(board, task.id, "Draft", "https://files.example.com/draft.pdf")
    assert (link.task_id, link.name, link.url) == (task.id, "Draft", "https://files.example.com/draft.pdf")
    snapshot = bridge.pull(board).snapshot
    assert snapshot.comments[note.id].text == "Second draft attached" and link.id in snapshot.attachments
    bridge.remove_comment(board, edited)
    bridge.remove_attachment(board, link)
    snapshot = bridge.pull(board).snapshot
    assert note.id not in snapshot.comments and link.id not in snapshot.attachments


def test_check_names_user_and_board(bridge: TrelloConnector, board: str) -> None:
    result = bridge.check(board)
    assert (result.user, result.project_name) == ("pm-bridge", "Client site")


def test_comments_beyond_one_page_are_paged_with_before(
    bridge: TrelloConnector, emulator: TrelloEmulator, sandbox: TrelloSandbox, board: str
) -> None:
    card = bridge.create_task(board, NewTask(title="Busy thread"))
    world = emulator.world
    trello_board, trello_card = world.boards[board], world.cards[card.id]
    for n in range(1205):
        world.record(trello_board, "commentCard", sandbox.user_ids["client"], text=f"comment {n}", card=trello_card.ref())
    bridge.stats.reset()
    snapshot = bridge.pull(board).snapshot
    assert len(snapshot.comments) == 1205
    assert bridge.stats.by_route[f"GET /1/boards/{board}/actions"] == 1 + 2, "cursor anchor + two pages of 1000"
