"""The Trello emulator against the official reference: auth, errors, ids, rate limits, write parameters."""

from __future__ import annotations

import httpx
import pytest

from bridge.clock import VirtualClock
from connectors.emulation import Fault
from connectors.emulation.sandbox import USERS
from connectors.trello import SANDBOX_KEY, TrelloEmulator
from tests.spec.reference import reference


def _first_list(raw: httpx.Client, board: str) -> str:
    return str(raw.get(f"/boards/{board}/lists").json()[0]["id"])


def test_ids_are_object_ids_stamped_with_the_emulator_clock(raw: httpx.Client, board: str, clock: VirtualClock) -> None:
    first = raw.post("/cards", params={"idList": _first_list(raw, board), "name": "A"}).json()["id"]
    clock.advance(3600)
    second = raw.post("/cards", params={"idList": _first_list(raw, board), "name": "B"}).json()["id"]
    assert len(first) == 24 and int(first, 16) >= 0
    assert int(second[:8], 16) - int(first[:8], 16) == 3600
    assert second > first


@pytest.mark.parametrize("prefix", ["/1", ""])
def test_mounted_with_or_without_the_version_prefix(emulator: TrelloEmulator, board: str, prefix: str) -> None:
    with httpx.Client(base_url=f"https://trello.emulator.invalid{prefix}", transport=emulator.transport()) as client:
        got = client.get(f"/boards/{board}", params={"key": SANDBOX_KEY, "token": USERS["bridge"].token})
    assert got.status_code == 200 and got.json()["name"] == "Client site"


def test_missing_key_and_bad_token_answer_trello_text(emulator: TrelloEmulator, board: str) -> None:
    with httpx.Client(base_url="https://trello.emulator.invalid/1", transport=emulator.transport()) as client:
        no_key = client.get(f"/boards/{board}", params={"token": USERS["bridge"].token})
        bad_token = client.get(f"/boards/{board}", params={"key": SANDBOX_KEY, "token": "nope"})
        oauth = client.get(f"/boards/{board}", headers={
            "Authorization": f'OAuth oauth_consumer_key="{SANDBOX_KEY}", oauth_token="{USERS["client"].token}"'})
    assert (no_key.status_code, no_key.text) == (401, "invalid key")
    assert (bad_token.status_code, bad_token.text) == (401, "invalid token")
    assert no_key.headers["content-type"].startswith("text/plain")
    assert oauth.status_code == 200


def test_unknown_and_malformed_ids(raw: httpx.Client) -> None:
    missing = raw.get("/boards/5abbe4b7ddc1b351ef961414")
    assert (missing.status_code, missing.text) == (404, "The requested resource was not found.")
    bad = raw.get("/cards/not-an-id")
    assert (bad.status_code, bad.text) == (400, "invalid id")


def test_token_limit_is_100_per_10_seconds_with_the_documented_body(raw: httpx.Client, board: str, clock: VirtualClock) -> None:
    statuses = [raw.get(f"/boards/{board}").status_code for _ in range(100)]
    refused = raw.get(f"/boards/{board}")
    assert statuses == [200] * 100
    assert refused.status_code == 429
    assert refused.json() == reference("trello").example("error_429_token.json")
    assert "retry-after" not in refused.headers  # the guide documents none
    clock.advance(10.0)
    assert raw.get(f"/boards/{board}").status_code == 200


def test_key_limit_is_300_per_10_seconds_across_tokens(emulator: TrelloEmulator, board: str) -> None:
    tokens = [USERS[who].token for who in ("bridge", "human", "client")]
    extra = emulator.add_member("Dora Designer", "dora", "dora@agency.example", "tok-dora-0004")
    emulator.world.boards[board].members.append(extra)
    with httpx.Client(base_url="https://trello.emulator.invalid/1", transport=emulator.transport()) as client:
        for token in tokens:
            for _ in range(100):
                assert client.get(f"/boards/{board}", params={"key": SANDBOX_KEY, "token": token}).status_code == 200
        refused = client.get(f"/boards/{board}", params={"key": SANDBOX_KEY, "token": "tok-dora-0004"})
    assert refused.status_code == 429
    assert refused.json() == reference("trello").example("error_429_key.json")


def test_write_parameters_in_query_form_or_json(raw: httpx.Client, board: str) -> None:
    list_id = _first_list(raw, board)
    by_query = raw.post("/cards", params={"idList": list_id, "name": "query"}).json()
    by_form = raw.post("/cards", data={"idList": list_id, "name": "form", "dueComplete": "true"}).json()
    by_json = raw.post("/cards", json={"idList": list_id, "name": "json", "dueComplete": True,
                                       "due": "2031-05-20T12:00:00.000Z"}).json()
    assert [by_query["name"], by_form["name"], by_json["name"]] == ["query", "form", "json"]
    assert by_form["dueComplete"] is True and by_json["dueComplete"] is True
    assert by_json["due"] == "2031-05-20T12:00:00.000Z"
    cleared = raw.put(f"/cards/{by_json['id']}", json={"due": None}).json()
    assert cleared["due"] is None


def test_card_without_list_is_refused(raw: httpx.Client) -> None:
    answer = raw.post("/cards", params={"name": "nowhere"})
    assert (answer.status_code, answer.text) == (400, "invalid value for idList")


def test_every_write_logs_the_board_action_trello_would(raw: httpx.Client, board: str, sandbox: object) -> None:
    anna = raw.get("/members/me").json()["id"]
    list_id = _first_list(raw, board)
    card = raw.post("/cards", params={"idList": list_id, "name": "Logo"}).json()
    raw.put(f"/cards/{card['id']}", params={"name": "Logo v2", "dueComplete": "true"})
    label = raw.post("/labels", params={"idBoard": board, "name": "urgent", "color": "red"}).json()
    raw.put(f"/cards/{card['id']}", params={"idLabels": label["id"], "idMembers": anna})
    checklist = raw.post(f"/cards/{card['id']}/checklists", params={"name": "Subtasks"}).json()
    item = raw.post(f"/checklists/{checklist['id']}/checkItems", params={"name": "step"}).json()
    raw.put(f"/cards/{card['id']}/checkItem/{item['id']}", params={"state": "complete", "name": "step 1"})
    raw.delete(f"/checklists/{checklist['id']}/checkItems/{item['id']}")
    comment = raw.post(f"/cards/{card['id']}/actions/comments", params={"text": "hello"}).json()
    raw.put(f"/cards/{card['id']}/actions/{comment['id']}/comments", params={"text": "hello again"})
    raw.delete(f"/cards/{card['id']}/actions/{comment['id']}/comments")
    link = raw.post(f"/cards/{card['id']}/attachments", params={"url": "https://example.com/a", "name": "A"}).json()
    raw.delete(f"/cards/{card['id']}/attachments/{link['id']}")
    new_list = raw.post("/lists", params={"idBoard": board, "name": "Later"}).json()
    raw.put(f"/lists/{new_list['id']}", params={"name": "Much later"})
    raw.put(f"/lists/{new_list['id']}/closed", params={"value": "true"})
    raw.delete(f"/cards/{card['id']}")
    actions = raw.get(f"/boards/{board}/actions", params={"limit": 1000}).json()
    mine = [a for a in actions if a["idMemberCreator"] == anna]
    kinds = [a["type"] for a in reversed(mine)]
    assert kinds == [
        "createCard", "updateCard", "updateCard", "createLabel", "addMemberToCard", "addLabelToCard", "addChecklistToCard",
        "createCheckItem", "updateCheckItem", "updateCheckItemStateOnCard", "deleteCheckItem", "updateComment",
        "deleteComment", "addAttachmentToCard", "deleteAttachmentFromCard", "createList", "updateList", "updateList",
        "deleteCard",
    ]
    # The deleted comment's own commentCard action is gone, as on Trello; its update/delete actions stay.
    renamed = next(a for a in mine if a["type"] == "updateCard" and "name" in a["data"]["old"])
    assert renamed["data"]["old"] == {"name": "Logo"} and renamed["data"]["card"]["name"] == "Logo v2"
    edited = next(a for a in mine if a["type"] == "updateComment")
    assert edited["data"]["action"] == {"id": comment["id"], "text": "hello again"} and edited["data"]["old"] == {"text": "hello"}
    assert all(a["memberCreator"]["id"] == anna for a in mine)
    assert [a["id"] for a in actions] == sorted((a["id"] for a in actions), reverse=True), "newest first"


def test_actions_listing_limit_before_since_and_filter(raw: httpx.Client, board: str, clock: VirtualClock) -> None:
    list_id = _first_list(raw, board)
    for n in range(60):
        raw.post("/cards", params={"idList": list_id, "name": f"card {n}"})
        clock.advance(1)
    default = raw.get(f"/boards/{board}/actions").json()
    assert len(default) == 50
    middle = default[20]["id"]
    newer = raw.get(f"/boards/{board}/actions", params={"since": middle, "limit": 1000}).json()
    assert [a["id"] for a in newer] == [a["id"] for a in default[:20]]
    older = raw.get(f"/boards/{board}/actions", params={"before": middle, "limit": 5}).json()
    assert [a["id"] for a in older] == [a["id"] for a in default[21:26]]
    since_date = raw.get(f"/boards/{board}/actions", params={"since": default[5]["date"][:19] + "Z", "limit": 1000}).json()
    assert {a["id"] for a in since_date} >= {a["id"] for a in default[:5]}
    assert raw.get(f"/boards/{board}/actions", params={"limit": 1001}).status_code == 400
    only_lists = raw.get(f"/boards/{board}/actions", params={"filter": "createList", "limit": 1000}).json()
    assert {a["type"] for a in only_lists} == {"createList"} and len(only_lists) == 3
    assert raw.get(f"/boards/{board}/actions", params={"since": "yesterday"}).status_code == 400


def test_lagging_listing_omits_the_newest_actions(raw: httpx.Client, emulator: TrelloEmulator, board: str,
                                                  clock: VirtualClock) -> None:
    list_id = _first_list(raw, board)
    clock.advance(60)
    raw.post("/cards", params={"idList": list_id, "name": "fresh"})
    emulator.inject(Fault.LAG, "GET", r"/actions$")
    lagging = raw.get(f"/boards/{board}/actions", params={"limit": 1000}).json()
    current = raw.get(f"/boards/{board}/actions", params={"limit": 1000}).json()
    assert current[0]["type"] == "createCard"
    assert [a["id"] for a in lagging] == [a["id"] for a in current[1:]]


def test_comment_edits_are_the_authors_own(raw: httpx.Client, emulator: TrelloEmulator, board: str) -> None:
    card = raw.post("/cards", params={"idList": _first_list(raw, board), "name": "c"}).json()
    comment = raw.post(f"/cards/{card['id']}/actions/comments", params={"text": "mine"}).json()
    with httpx.Client(base_url="https://trello.emulator.invalid/1", transport=emulator.transport(),
                      params={"key": SANDBOX_KEY, "token": USERS["client"].token}) as carla:
        refused = carla.put(f"/cards/{card['id']}/actions/{comment['id']}/comments", params={"text": "theirs"})
    assert refused.status_code == 401


def test_non_member_cannot_read_the_board(emulator: TrelloEmulator, board: str) -> None:
    emulator.add_member("Eve Outsider", "eve", "eve@elsewhere.example", "tok-eve-0005")
    with httpx.Client(base_url="https://trello.emulator.invalid/1", transport=emulator.transport(),
                      params={"key": SANDBOX_KEY, "token": "tok-eve-0005"}) as eve:
        answer = eve.get(f"/boards/{board}")
    assert (answer.status_code, answer.text) == (401, "unauthorized permission requested")
