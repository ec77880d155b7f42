"""Trello's Custom Fields: board definitions and card items read canonical, written one item at a time."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bridge.core.fields import FieldDef, FieldKind
from bridge.core.ports import NewTask, PullState
from bridge.errors import Invalid
from connectors.trello import TrelloConnector, TrelloEmulator, TrelloSandbox

KINDS: list[tuple[FieldKind, tuple[str, ...], str, dict[str, Any]]] = [
    ("text", (), "Call before noon", {"value": {"text": "Call before noon"}}),
    ("number", (), "2.5", {"value": {"number": 2.5}}),
    ("date", (), "2026-05-01", {"value": {"date": "2026-05-01T12:00:00.000Z"}}),
    ("checkbox", (), "true", {"value": {"checked": True}}),
    ("enum", ("P1", "P3"), "P1", {"idValue": "option:P1"}),
]


@pytest.fixture
def fields(sandbox: TrelloSandbox, board: str) -> dict[str, Any]:
    for kind, options, _, _ in KINDS:
        sandbox.add_custom_field(board, f"F {kind}", kind, options)
    return dict(sandbox.trello.world.custom_fields)


def field_named(emulator: TrelloEmulator, name: str) -> Any:
    return next(f for f in emulator.world.custom_fields.values() if f.name == name)


@pytest.mark.parametrize(("kind", "options", "value", "wire"), KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_is_one_item_write_and_reads_back_canonical(
    bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any],
    kind: FieldKind, options: tuple[str, ...], value: str, wire: dict[str, Any],
) -> None:
    bridge.pull(board)
    card = bridge.create_task(board, NewTask(title="Poster"))
    name = f"F {kind}"
    found = field_named(emulator, name)
    emulator.clear_requests()
    written = bridge.update_task(board, card, {"custom_fields": {name: value}})
    (request,) = emulator.writes()
    assert request.path == f"/cards/{card.id}/customField/{found.id}/item"
    expected = {"idValue": found.options[0][0]} if kind == "enum" else wire
    assert json.loads(request.body or b"{}") == expected
    assert written.custom_fields == {name: value}
    assert bridge.pull(board).snapshot.tasks[card.id].custom_fields == {name: value}
    cleared = bridge.update_task(board, written, {"custom_fields": {name: None}})
    assert cleared.custom_fields == {} and bridge.pull(board).snapshot.tasks[card.id].custom_fields == {}


def test_the_snapshot_holds_the_boards_field_definitions(bridge: TrelloConnector, board: str, fields: dict[str, Any]) -> None:
    defs = bridge.pull(board).snapshot.fields
    assert defs["F enum"] == FieldDef(name="F enum", kind="enum", options=("P1", "P3"))
    assert {d.kind for d in defs.values()} == {"text", "number", "date", "checkbox", "enum"}


def test_a_new_card_takes_its_fields(bridge: TrelloConnector, board: str, fields: dict[str, Any]) -> None:
    card = bridge.create_task(board, NewTask(title="Flyer", custom_fields={"F enum": "P3", "F text": "hi"}))
    assert card.custom_fields == {"F enum": "P3", "F text": "hi"}
    assert bridge.pull(board).snapshot.tasks[card.id].custom_fields == card.custom_fields


def test_an_incremental_pull_sees_a_persons_field_change(
    bridge: TrelloConnector, human: TrelloConnector, board: str, fields: dict[str, Any]
) -> None:
    card = bridge.create_task(board, NewTask(title="Flyer"))
    first = bridge.pull(board)
    human.pull(board)
    human.update_task(board, first.snapshot.tasks[card.id], {"custom_fields": {"F number": "7"}})
    later = bridge.pull(board, PullState(cursor=first.cursor, snapshot=first.snapshot))
    assert not later.full and later.snapshot.tasks[card.id].custom_fields == {"F number": "7"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("F enum", "P2", "'P2' is not an option"), ("F number", "lots", "takes a number"),
     ("F nothing", "x", "no custom field named 'F nothing'")],
)
def test_a_value_trello_would_refuse_is_refused_before_any_write(
    bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any], name: str, value: str, message: str
) -> None:
    card = bridge.create_task(board, NewTask(title="Banner"))
    emulator.clear_requests()
    with pytest.raises(Invalid, match=message):
        bridge.update_task(board, card, {"custom_fields": {name: value}})
    assert [r for r in emulator.writes() if "customField" in r.path] == []


def test_the_emulator_refuses_what_trello_refuses(raw: httpx.Client, bridge: TrelloConnector, emulator: TrelloEmulator,
                                                  board: str, fields: dict[str, Any]) -> None:
    card = bridge.create_task(board, NewTask(title="Sign"))
    listed = raw.get(f"boards/{board}/customFields").json()
    assert {f["type"] for f in listed} == {"text", "number", "date", "checkbox", "list"}
    enum, number = field_named(emulator, "F enum"), field_named(emulator, "F number")
    assert raw.put(f"cards/{card.id}/customField/{enum.id}/item", json={"idValue": "5ab10be237846c43015f1091"}).status_code == 400
    assert raw.put(f"cards/{card.id}/customField/{number.id}/item", json={"value": {"text": "x"}}).status_code == 400
    assert raw.put(f"cards/{card.id}/customField/{number.id}/item", json={"value": {"number": "42"}}).status_code == 200
    items = raw.get(f"cards/{card.id}/customFieldItems").json()
    assert items[0]["value"] == {"number": "42"} and items[0]["idCustomField"] == number.id


def test_a_card_write_answers_with_the_fields_it_holds(bridge: TrelloConnector, board: str, fields: dict[str, Any]) -> None:
    # Trello's card answers carry no customFieldItems: what the bridge caches must still hold the fields.
    card = bridge.create_task(board, NewTask(title="Flyer", custom_fields={"F enum": "P3"}))
    renamed = bridge.update_task(board, card, {"title": "Flyer v2"})
    relabelled = bridge.update_task(board, renamed, {"labels": ["urgent"]})
    assert renamed.custom_fields == relabelled.custom_fields == {"F enum": "P3"}


def test_a_board_field_is_created_and_read_as_the_reference_describes(raw: httpx.Client, board: str) -> None:
    made = raw.post("customFields", json={"idModel": board, "modelType": "board", "name": "Stage", "type": "list",
                                          "pos": "bottom", "options": [{"value": {"text": "Draft"}}]})
    assert made.status_code == 200
    field = raw.get(f"customFields/{made.json()['id']}").json()
    assert (field["name"], field["type"], [o["value"]["text"] for o in field["options"]]) == ("Stage", "list", ["Draft"])
    assert raw.post("customFields", json={"idModel": board, "modelType": "board", "name": "X", "type": "colour",
                                          "pos": "bottom"}).status_code == 400
