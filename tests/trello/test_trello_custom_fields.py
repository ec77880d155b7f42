"""Trello's Custom Fields: board definitions and card items read canonical; one field written as its item,
two or more in one ``PUT /cards/{id}/customFields``."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bridge.clock import VirtualClock
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


# -- several fields in one request: PUT /cards/{idCard}/customFields ------------------------------------


def field_actions(emulator: TrelloEmulator, card_id: str) -> list[str]:
    """The fields named by the card's ``updateCustomFieldItem`` actions, oldest first."""
    return [a.data["customField"]["name"] for a in emulator.world.actions
            if a.type == "updateCustomFieldItem" and a.data["card"]["id"] == card_id]


def test_the_batch_route_sets_several_fields_and_logs_each(
    raw: httpx.Client, bridge: TrelloConnector, emulator: TrelloEmulator, clock: VirtualClock, board: str,
    fields: dict[str, Any],
) -> None:
    card = bridge.create_task(board, NewTask(title="Sign"))
    text, number, enum = (field_named(emulator, f"F {k}") for k in ("text", "number", "enum"))
    before = raw.get(f"cards/{card.id}").json()["dateLastActivity"]
    clock.advance(60)
    answer = raw.put(f"cards/{card.id}/customFields", json={"customFieldItems": [
        {"idCustomField": text.id, "value": {"text": "hi"}},
        {"idCustomField": number.id, "value": {"number": 7}},
        {"idCustomField": enum.id, "idValue": enum.options[1][0]},
    ]})
    assert answer.status_code == 200
    listed = raw.get(f"cards/{card.id}/customFieldItems").json()
    assert sorted(answer.json(), key=lambda i: i["idCustomField"]) == sorted(listed, key=lambda i: i["idCustomField"])
    held = {i["idCustomField"]: {k: i[k] for k in ("value", "idValue") if k in i} for i in listed}
    assert held == {text.id: {"value": {"text": "hi"}}, number.id: {"value": {"number": "7"}},
                    enum.id: {"idValue": enum.options[1][0]}}
    assert field_actions(emulator, card.id) == ["F text", "F number", "F enum"]
    assert raw.get(f"cards/{card.id}").json()["dateLastActivity"] > before


def test_the_batch_route_clears_one_field_while_setting_another(
    raw: httpx.Client, bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any]
) -> None:
    card = bridge.create_task(board, NewTask(title="Sign", custom_fields={"F text": "old", "F enum": "P1"}))
    text, number, enum = (field_named(emulator, f"F {k}") for k in ("text", "number", "enum"))
    answer = raw.put(f"cards/{card.id}/customFields", json={"customFieldItems": [
        {"idCustomField": text.id, "value": ""},
        {"idCustomField": enum.id, "idValue": ""},
        {"idCustomField": number.id, "value": {"number": "2.5"}},
    ]})
    assert answer.status_code == 200
    assert [(i["idCustomField"], i["value"]) for i in answer.json()] == [(number.id, {"number": "2.5"})]
    assert bridge.pull(board).snapshot.tasks[card.id].custom_fields == {"F number": "2.5"}


@pytest.mark.parametrize(
    ("bad", "status", "message"),
    [
        ({"value": {"number": "lots"}}, 400, "customFieldItems[1]: invalid value for value: 'lots' is no number"),
        ({"idCustomField": "5abbe4b7ddc1b351ef961414", "value": {"number": "7"}}, 400,
         "customFieldItems[1]: invalid value for idCustomField: no custom field 5abbe4b7ddc1b351ef961414"),
        ({"idCustomField": "F text", "value": {"text": "x"}}, 400, "customFieldItems[1]: invalid id"),
        ({"value": {"text": "x"}, "of": "text"}, 400, "customFieldItems[1]: invalid value for idCustomField: "),
        ({"of": None}, 400, "customFieldItems[1]: invalid value: an item is an object naming its idCustomField"),
        ("F number", 400, "customFieldItems[1]: invalid value: an item is an object"),
    ],
    ids=["bad-value", "unknown-field", "bad-id", "named-twice", "no-field", "not-an-object"],
)
def test_a_bad_item_refuses_the_whole_batch_and_changes_nothing(
    raw: httpx.Client, bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any],
    bad: Any, status: int, message: str,
) -> None:
    card = bridge.create_task(board, NewTask(title="Sign", custom_fields={"F text": "kept"}))
    text, number = field_named(emulator, "F text"), field_named(emulator, "F number")
    if isinstance(bad, dict):
        # "of" names a field by kind for the cases that need a real one, and is not sent.
        of = bad.pop("of", "number")
        bad = {**({"idCustomField": field_named(emulator, f"F {of}").id} if of else {}), **bad}
    items_before, actions_before = raw.get(f"cards/{card.id}/customFieldItems").json(), field_actions(emulator, card.id)
    answer = raw.put(f"cards/{card.id}/customFields", json={"customFieldItems": [
        {"idCustomField": text.id, "value": {"text": "changed"}}, bad,
        {"idCustomField": number.id, "value": {"number": "7"}},
    ]})
    assert (answer.status_code, answer.text[:len(message)]) == (status, message)
    assert raw.get(f"cards/{card.id}/customFieldItems").json() == items_before
    assert field_actions(emulator, card.id) == actions_before


@pytest.mark.parametrize("body", [{}, {"customFieldItems": {"idCustomField": "x"}}, [], {"customFieldItems": "x"}])
def test_the_batch_route_needs_an_array_of_items(raw: httpx.Client, bridge: TrelloConnector, board: str,
                                                fields: dict[str, Any], body: Any) -> None:
    card = bridge.create_task(board, NewTask(title="Sign"))
    answer = raw.put(f"cards/{card.id}/customFields", json=body)
    assert (answer.status_code, answer.text) == (400, "invalid value for customFieldItems: an array of items")


def test_the_batch_route_answers_404_for_an_unknown_card(raw: httpx.Client, emulator: TrelloEmulator,
                                                         fields: dict[str, Any]) -> None:
    text = field_named(emulator, "F text")
    answer = raw.put("cards/5abbe4b7ddc1b351ef961414/customFields",
                     json={"customFieldItems": [{"idCustomField": text.id, "value": {"text": "x"}}]})
    assert answer.status_code == 404


def custom_field_writes(emulator: TrelloEmulator) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, json.loads(r.body or b"null")) for r in emulator.writes() if "/customField" in r.path]


def test_a_new_card_with_three_values_is_two_writes(
    bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any]
) -> None:
    bridge.pull(board)
    emulator.clear_requests()
    values = {"F text": "hi", "F date": "2026-05-01", "F enum": "P3"}
    card = bridge.create_task(board, NewTask(title="Flyer", custom_fields=values))
    writes = emulator.writes()
    assert [(r.method, r.path) for r in writes] == [("POST", "/cards"), ("PUT", f"/cards/{card.id}/customFields")]
    text, date, enum = (field_named(emulator, name) for name in values)
    assert json.loads(writes[1].body) == {"customFieldItems": [
        {"idCustomField": text.id, "value": {"text": "hi"}},
        {"idCustomField": date.id, "value": {"date": "2026-05-01T12:00:00.000Z"}},
        {"idCustomField": enum.id, "idValue": enum.options[1][0]},
    ]}
    assert card.custom_fields == values
    assert bridge.pull(board).snapshot.tasks[card.id].custom_fields == values


def test_an_update_of_two_fields_is_one_write_that_may_clear_one(
    bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any]
) -> None:
    card = bridge.create_task(board, NewTask(title="Flyer", custom_fields={"F text": "hi"}))
    emulator.clear_requests()
    written = bridge.update_task(board, card, {"custom_fields": {"F text": None, "F checkbox": "true"}})
    text, checkbox = field_named(emulator, "F text"), field_named(emulator, "F checkbox")
    assert custom_field_writes(emulator) == [("PUT", f"/cards/{card.id}/customFields", {"customFieldItems": [
        {"idCustomField": text.id, "value": ""}, {"idCustomField": checkbox.id, "value": {"checked": True}}]})]
    assert written.custom_fields == {"F checkbox": "true"}
    assert bridge.pull(board).snapshot.tasks[card.id].custom_fields == {"F checkbox": "true"}


def test_one_field_keeps_the_single_item_route(
    bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any]
) -> None:
    card = bridge.create_task(board, NewTask(title="Flyer", custom_fields={"F number": "3"}))
    number = field_named(emulator, "F number")
    assert custom_field_writes(emulator) == [("PUT", f"/cards/{card.id}/customField/{number.id}/item", {"value": {"number": 3}})]
    assert bridge.pull(board).snapshot.tasks[card.id].custom_fields == {"F number": "3"}


def test_a_bad_value_among_several_is_refused_before_any_write(
    bridge: TrelloConnector, emulator: TrelloEmulator, board: str, fields: dict[str, Any]
) -> None:
    card = bridge.create_task(board, NewTask(title="Banner"))
    emulator.clear_requests()
    with pytest.raises(Invalid, match="'P2' is not an option"):
        bridge.update_task(board, card, {"custom_fields": {"F text": "fine", "F enum": "P2"}})
    assert emulator.writes() == []
