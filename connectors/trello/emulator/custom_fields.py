"""Trello's Custom Fields on the emulator: a board's field definitions and each card's items.

As the reference describes them (tests/reference/trello): ``GET /boards/{id}/customFields``,
``POST /customFields``, ``GET /cards/{id}/customFieldItems``, cards read with
``customFieldItems=true``, and ``PUT /cards/{idCard}/customField/{idCustomField}/item`` taking
``{"value": {"text"|"number"|"date"|"checked": "..."}}``, or ``{"idValue": option id}`` for a list
field; ``{"value": ""}`` / ``{"idValue": ""}`` clears it. A value of the wrong shape is a 400.

``PUT /cards/{idCard}/customFields`` ("Update Multiple Custom Field items on Card") takes
``{"customFieldItems": [{"idCustomField": id, "value": {...}} | {"idCustomField": id, "idValue": id}, ...]}``
for "setting, updating, and removing the values for multiple Custom Fields on a card". The reference
documents the item shape and answers only ``200 Success``; it says nothing on clearing, on errors or on
the answer's body. Our reading, kept to the single-item route where the documentation is silent:

* each item carries what the single-item body carries, so ``"value": ""`` / ``"idValue": ""`` clear it;
* the field is named in the body, not the path, so an unknown field (or one of another board) is a 400
  naming the item, as any other bad body value; the 404 stays for the card in the path;
* a missing or non-array ``customFieldItems``, an item that is no object, a field named twice: 400;
* all or nothing: every item is checked before any is applied, so a refusal changes nothing;
* each item is logged as the single route logs it (one ``updateCustomFieldItem``), the card's
  activity moves once, and the answer is the card's items as ``GET /cards/{id}/customFieldItems`` lists them.

The reference types ``idCustomField`` and ``idValue`` as 32 hex digits; Trello's ids are 24
(its own example, ``5abbe4b7ddc1b351ef961414``), which is what both routes take.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from connectors.emulation.toolkit import EmuRequest, HttpError
from connectors.trello.emulator.request import board_by_id, board_for, card_for, check_id, member_of, ok, required
from connectors.trello.emulator.store import Board, Card, World

TYPES = ("text", "number", "date", "checkbox", "list")


@dataclass
class CustomFieldDef:
    id: str
    id_board: str
    name: str
    type: str
    pos: float
    options: list[tuple[str, str]] = field(default_factory=list)  # (option id, text)

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "idModel": self.id_board,
            "modelType": "board",
            "fieldGroup": self.id,
            "display": {"cardFront": True},
            "name": self.name,
            "pos": self.pos,
            "type": self.type,
            **({"options": [
                {"id": oid, "idCustomField": self.id, "value": {"text": text}, "color": "none", "pos": (i + 1) * 16384}
                for i, (oid, text) in enumerate(self.options)
            ]} if self.type == "list" else {}),
        }


def definitions(world: World) -> dict[str, CustomFieldDef]:
    return cast(dict[str, CustomFieldDef], world.custom_fields)


def items(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    """(card id, field id) -> the item's value part: ``{"value": {...}}`` or ``{"idValue": ...}``."""
    return world.custom_field_items


def add_field(world: World, board_id: str, name: str, kind: str, options: tuple[str, ...] = ()) -> CustomFieldDef:
    if kind not in TYPES:
        raise ValueError(f"trello custom fields are {', '.join(TYPES)}, not {kind}")
    defs = definitions(world)
    made = CustomFieldDef(world.object_id(), board_id, name, kind, float(len(defs) + 1) * 16384)
    made.options = [(world.object_id(), text) for text in options]
    defs[made.id] = made
    return made


def card_items(world: World, card_id: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{card_id[:12]}{field_id[12:]}", "idCustomField": field_id, "idModel": card_id, "modelType": "card", **part}
        for (card, field_id), part in items(world).items()
        if card == card_id
    ]


# -- routes -------------------------------------------------------------------------------


def board_custom_fields_of(world: World, board_id: str) -> list[dict[str, Any]]:
    return [d.render() for d in sorted(definitions(world).values(), key=lambda d: d.pos) if d.id_board == board_id]


def board_custom_fields(world: World, req: EmuRequest) -> httpx.Response:
    board = board_for(world, req, req.path_params["id"])
    return ok(board_custom_fields_of(world, board.id))


def create_custom_field(world: World, req: EmuRequest) -> httpx.Response:
    member_of(world, req)
    board = board_by_id(world, req, required(req, "idModel"))
    kind = required(req, "type")
    if kind not in TYPES:
        raise HttpError(400, "invalid value for type")
    raw = req.json_body() if isinstance(req.json_body(), dict) else {}
    options = [str((o.get("value") or {}).get("text", "")) for o in raw.get("options") or [] if isinstance(o, dict)]
    return ok(add_field(world, board.id, required(req, "name"), kind, tuple(options)).render())


def get_custom_field(world: World, req: EmuRequest) -> httpx.Response:
    found = definitions(world).get(req.path_params["id"])
    if found is None:
        raise HttpError(404, "The requested resource was not found.")
    board_for(world, req, found.id_board)
    return ok(found.render())


def card_custom_field_items(world: World, req: EmuRequest) -> httpx.Response:
    _, card = card_for(world, req, req.path_params["id"])
    return ok(card_items(world, card.id))


def put_card_item(world: World, req: EmuRequest) -> httpx.Response:
    actor = member_of(world, req)
    board, card = card_for(world, req, req.path_params["idCard"])
    field_id = req.path_params["idCustomField"]
    check_id(field_id)
    found = definitions(world).get(field_id)
    if found is None or found.id_board != board.id:
        raise HttpError(404, "The requested resource was not found.")
    body = req.json_body()
    if not isinstance(body, dict):
        raise HttpError(400, "invalid value for value")
    _apply(world, board, card, actor, [(found, _item_part(found, body))])
    rendered = next((i for i in card_items(world, card.id) if i["idCustomField"] == found.id), None)
    return ok(rendered or {"id": None, "idCustomField": found.id, "idModel": card.id, "modelType": "card", "value": None})


def put_card_items(world: World, req: EmuRequest) -> httpx.Response:
    actor = member_of(world, req)
    board, card = card_for(world, req, req.path_params["idCard"])
    body = req.json_body()
    listed = body.get("customFieldItems") if isinstance(body, dict) else None
    if not isinstance(listed, list):
        raise HttpError(400, "invalid value for customFieldItems: an array of items")
    changes: list[tuple[CustomFieldDef, dict[str, Any] | None]] = []
    for index, item in enumerate(listed):
        try:
            found = _batch_field(world, board, item, [done for done, _ in changes])
            changes.append((found, _item_part(found, item)))
        except HttpError as exc:
            raise HttpError(exc.status, f"customFieldItems[{index}]: {exc.message}") from None
    _apply(world, board, card, actor, changes)
    return ok(card_items(world, card.id))


def _batch_field(world: World, board: Board, item: Any, named: list[CustomFieldDef]) -> CustomFieldDef:
    field_id = item.get("idCustomField") if isinstance(item, dict) else None
    if not isinstance(field_id, str):
        raise HttpError(400, "invalid value: an item is an object naming its idCustomField")
    check_id(field_id)
    found = definitions(world).get(field_id)
    if found is None or found.id_board != board.id:
        raise HttpError(400, f"invalid value for idCustomField: no custom field {field_id} on the card's board")
    if found in named:
        raise HttpError(400, f"invalid value for idCustomField: {field_id} is named twice")
    return found


def _apply(world: World, board: Board, card: Card, actor: str,
           changes: list[tuple[CustomFieldDef, dict[str, Any] | None]]) -> None:
    """Set (or clear, for None) each field's item, logging each as Trello does; all are checked already."""
    for found, part in changes:
        key = (card.id, found.id)
        if part is None:
            items(world).pop(key, None)
        else:
            items(world)[key] = part
        world.record(board, "updateCustomFieldItem", actor, card=card.ref(),
                     customField={"id": found.id, "name": found.name, "type": found.type})
    if changes:
        world.touch(card)


def _item_part(found: CustomFieldDef, body: dict[str, Any]) -> dict[str, Any] | None:
    if found.type == "list":
        option = body.get("idValue")
        if option in (None, ""):
            return None
        if not any(oid == option for oid, _ in found.options):
            raise HttpError(400, "invalid value for idValue")
        return {"idValue": str(option)}
    value = body.get("value")
    if value in (None, ""):
        return None
    key = {"checkbox": "checked"}.get(found.type, found.type)
    # The reference types number as a number and checked as a boolean; Trello's guide sends strings. Both are taken.
    raw = value.get(key) if isinstance(value, dict) and set(value) == {key} else None
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    elif isinstance(raw, (int, float)):
        raw = repr(raw)
    if not isinstance(raw, str):
        raise HttpError(400, f"invalid value for value: a {found.type} field takes {{{json.dumps(key)}: ...}}")
    text = raw
    try:
        if found.type == "number":
            float(text)
        elif found.type == "date":
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif found.type == "checkbox" and text not in ("true", "false"):
            raise ValueError
    except ValueError:
        raise HttpError(400, f"invalid value for value: {text!r} is no {found.type}") from None
    if found.type == "checkbox" and text == "false":
        return None
    return {"value": {key: text}}


TABLE = [
    ("GET", "/boards/{id}/customFields", board_custom_fields),
    ("POST", "/customFields", create_custom_field),
    ("GET", "/customFields/{id}", get_custom_field),
    ("GET", "/cards/{id}/customFieldItems", card_custom_field_items),
    ("PUT", "/cards/{idCard}/customField/{idCustomField}/item", put_card_item),
    ("PUT", "/cards/{idCard}/customFields", put_card_items),
]
