"""Mentions on Trello: ``@username`` of a board member <-> the canonical ``@[Name](person:trello:<id>)``."""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask, PullResult, PullState
from connectors.trello import TrelloConnector, TrelloEmulator, TrelloSandbox

OUTSIDER = "@[Zed Outsider](person:zed@elsewhere.example)"


def _carla(sandbox: TrelloSandbox) -> str:
    return f"@[Carla Client](person:trello:{sandbox.user_ids['client']})"


def _first_list(emulator: TrelloEmulator, board: str) -> str:
    return next(x.id for x in emulator.world.lists.values() if x.id_board == board)


def _typed_card(raw: httpx.Client, list_id: str, desc: str) -> dict[str, Any]:
    """A card Anna types in Trello herself."""
    response = raw.post("/cards", params={"idList": list_id, "name": "Hero", "desc": desc})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _typed_comment(raw: httpx.Client, card_id: str, text: str) -> str:
    response = raw.post(f"/cards/{card_id}/actions/comments", params={"text": text})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _sent(emulator: TrelloEmulator, method: str, path_part: str) -> dict[str, str]:
    """The form fields of the last write the connector sent to a path containing ``path_part``."""
    found = [r for r in emulator.writes() if r.method == method and path_part in r.path]
    assert found, f"no {method} {path_part}"
    return {k: v[-1] for k, v in urllib.parse.parse_qs(found[-1].body.decode(), keep_blank_values=True).items()}


def _next(connector: TrelloConnector, board: str, previous: PullResult) -> PullResult:
    return connector.pull(board, PullState(cursor=previous.cursor, snapshot=previous.snapshot))


def test_a_mention_typed_in_trello_reads_as_a_canonical_mention(
    bridge: TrelloConnector, raw: httpx.Client, emulator: TrelloEmulator, sandbox: TrelloSandbox, board: str
) -> None:
    card = _typed_card(raw, _first_list(emulator, board), "Ping @carla about the hero, not @nobody or `@carla`")
    note = _typed_comment(raw, card["id"], "@CARLA please check")
    snapshot = bridge.pull(board).snapshot
    assert snapshot.tasks[card["id"]].notes == f"Ping {_carla(sandbox)} about the hero, not @nobody or `@carla`"
    assert snapshot.comments[note].text == f"{_carla(sandbox)} please check"


def test_writing_a_mention_sends_the_username_and_a_stranger_as_a_plain_name(
    bridge: TrelloConnector, emulator: TrelloEmulator, sandbox: TrelloSandbox, board: str
) -> None:
    dave = emulator.add_member("Dave Dev", "dave", "dave@agency.example", "tok-dave-0004")  # not on the board
    bridge.pull(board)
    off_board = f"@[Dave Dev](person:trello:{dave})"
    card = bridge.create_task(board, NewTask(title="Copy", notes=f"For {_carla(sandbox)}, {OUTSIDER} and {off_board}"))
    assert _sent(emulator, "POST", "/cards")["desc"] == "For @carla, Zed Outsider and Dave Dev"
    assert card.notes == f"For {_carla(sandbox)}, Zed Outsider and Dave Dev"
    bridge.update_task(board, card, {"notes": f"Now {_carla(sandbox)}"})
    assert _sent(emulator, "PUT", f"/cards/{card.id}")["desc"] == "Now @carla"
    note = bridge.create_comment(board, card.id, f"Thanks {_carla(sandbox)}!")
    assert _sent(emulator, "POST", "/actions/comments")["text"] == "Thanks @carla!"
    assert note.text == f"Thanks {_carla(sandbox)}!"
    bridge.update_comment(board, note, f"Thanks {OUTSIDER}")
    assert _sent(emulator, "PUT", f"/actions/{note.id}/comments")["text"] == "Thanks Zed Outsider"


def test_read_write_read_is_stable(
    bridge: TrelloConnector, raw: httpx.Client, emulator: TrelloEmulator, board: str
) -> None:
    typed = "**Hero** for @carla:\n\n- ask @anna\n- not @nobody"
    card = _typed_card(raw, _first_list(emulator, board), typed)
    note = _typed_comment(raw, card["id"], "@carla see above")
    first = bridge.pull(board).snapshot
    task, comment = first.tasks[card["id"]], first.comments[note]
    bridge.update_task(board, task, {"notes": task.notes, "title": "Hero v2"})
    copy = bridge.create_comment(board, card["id"], comment.text)  # only its author can edit Anna's comment
    assert emulator.world.cards[card["id"]].desc == typed
    assert _sent(emulator, "POST", "/actions/comments")["text"] == "@carla see above"
    again = bridge.pull(board).snapshot
    assert again.tasks[card["id"]].notes == task.notes
    assert again.comments[copy.id].text == comment.text == copy.text


def test_incremental_pull_reads_mentions_and_a_member_who_joined_in_the_same_pass(
    bridge: TrelloConnector, raw: httpx.Client, emulator: TrelloEmulator, sandbox: TrelloSandbox, board: str,
    clock: VirtualClock,
) -> None:
    dave = emulator.add_member("Dave Dev", "dave", "dave@agency.example", "tok-dave-0004")
    card = _typed_card(raw, _first_list(emulator, board), "Hero")
    first = bridge.pull(board)
    clock.advance(30)
    early = _typed_comment(raw, card["id"], "@dave will you join? @carla knows")
    emulator.add_board_member(board, dave, by=sandbox.user_ids["human"])
    raw.put(f"/cards/{card['id']}", params={"desc": "Owner: @dave"})
    second = _next(bridge, board, first)
    assert second.snapshot.comments[early].text == (
        f"@[Dave Dev](person:trello:{dave}) will you join? {_carla(sandbox)} knows"
    )
    assert second.snapshot.tasks[card["id"]].notes == f"Owner: @[Dave Dev](person:trello:{dave})"
    assert second.snapshot.comments[early].text == bridge.pull(board).snapshot.comments[early].text
    # ...and the connector now writes Dave's mention as @dave
    bridge.create_comment(board, card["id"], f"Hi @[Dave Dev](person:trello:{dave})")
    assert _sent(emulator, "POST", "/actions/comments")["text"] == "Hi @dave"


def test_an_edited_comment_is_read_as_canonical_markdown_on_incremental_pulls(
    bridge: TrelloConnector, raw: httpx.Client, emulator: TrelloEmulator, sandbox: TrelloSandbox, board: str,
    clock: VirtualClock,
) -> None:
    card = _typed_card(raw, _first_list(emulator, board), "Hero")
    note = _typed_comment(raw, card["id"], "draft")
    first = bridge.pull(board)
    clock.advance(30)
    response = raw.put(f"/cards/{card['id']}/actions/{note}/comments", params={"text": "ask @carla\nnow"})
    assert response.status_code == 200, response.text
    second = _next(bridge, board, first)
    assert second.snapshot.comments[note].text == f"ask {_carla(sandbox)}\nnow"
    assert second.snapshot.comments[note].text == bridge.pull(board).snapshot.comments[note].text
