"""Trello's Custom Fields: a board's definitions, a card's items, and the body that writes one.

A board defines its fields (``GET /boards/{id}/customFields``); a card read with
``customFieldItems=true`` carries one item per field that holds a value. Kinds map as
docs/custom-fields.md says: ``text``, ``number``, ``date`` and ``checkbox`` as they are, ``list``
is an enum (its options are ``{id, value: {text}}``). Trello has no multi-select and no people
field; a link maps those onto a text field. Values are canonical strings (bridge/core/fields.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bridge.core.fields import FieldDef, FieldKind, canonical, date, number
from bridge.errors import Invalid
from connectors.trello.translate import shape

KINDS: dict[str, FieldKind] = {"text": "text", "number": "number", "date": "date", "checkbox": "checkbox", "list": "enum"}
# A date field holds an instant; the bridge's dates are days, written at noon UTC so no time zone moves the day.
NOON = "T12:00:00.000Z"


@dataclass(frozen=True)
class TrelloField:
    id: str
    name: str
    type: str  # Trello's: text, number, date, checkbox, list
    options: dict[str, str] = field(default_factory=dict)  # option id -> text

    @property
    def kind(self) -> FieldKind:
        return KINDS[self.type]

    def option_id(self, text: str) -> str | None:
        return next((oid for oid, name in self.options.items() if name == text), None)


@dataclass
class BoardFields:
    by_id: dict[str, TrelloField] = field(default_factory=dict)

    def named(self, name: str) -> TrelloField | None:
        found = [f for f in self.by_id.values() if f.name == name]
        found = found or [f for f in self.by_id.values() if f.name.casefold() == name.casefold()]
        return found[0] if found else None

    def defs(self) -> dict[str, FieldDef]:
        return {
            f.name: FieldDef(name=f.name, kind=f.kind, options=tuple(f.options.values())) for f in self.by_id.values()
        }


def board_fields(raw: list[dict[str, Any]]) -> BoardFields:
    out = BoardFields()
    with shape("a board's custom fields"):
        for item in raw:
            kind = str(item.get("type", ""))
            if kind not in KINDS:
                continue  # a field type the bridge does not know stays out
            # The guide puts name and options at the top; the reference's example nests them under "display".
            display = item.get("display") or {}
            listed = item.get("options") or display.get("options") or []
            options = {str(o["id"]): str((o.get("value") or {}).get("text", "")) for o in listed}
            name = item.get("name") or display["name"]
            out.by_id[str(item["id"])] = TrelloField(str(item["id"]), str(name), kind, options)
    return out


def values(items: list[dict[str, Any]] | None, fields: BoardFields) -> dict[str, str]:
    """A card's ``customFieldItems`` as {field name: canonical value}."""
    out: dict[str, str] = {}
    with shape("a card's custom field items"):
        for item in items or []:
            found = fields.by_id.get(str(item.get("idCustomField", "")))
            if found is None:
                continue
            if found.type == "list":
                value = canonical("enum", found.options.get(str(item.get("idValue") or "")))
            else:
                part = item.get("value") or {}
                raw = part.get("checked") if found.type == "checkbox" else part.get(found.type)
                value = canonical(found.kind, raw)
            if value is not None:
                out[found.name] = value
    return out


def item_body(found: TrelloField, value: str | None) -> dict[str, Any]:
    """The body of ``PUT /cards/{idCard}/customField/{idCustomField}/item`` for a canonical value (None clears).

    It is also what each item of ``PUT /cards/{idCard}/customFields`` carries, next to its ``idCustomField``.
    """
    if found.type == "list":
        if value is None:
            return {"idValue": ""}
        option = found.option_id(value)
        if option is None:
            raise Invalid(f"trello: {value!r} is not an option of the custom field {found.name!r} "
                          f"(options: {', '.join(found.options.values())})")
        return {"idValue": option}
    if value is None:
        return {"value": ""}
    if found.type == "number":
        parsed = number(value)
        if parsed is None:
            raise Invalid(f"trello: the custom field {found.name!r} takes a number, not {value!r}")
        return {"value": {"number": float(parsed) if "." in parsed else int(parsed)}}
    if found.type == "date":
        day = date(value)
        if day is None:
            raise Invalid(f"trello: the custom field {found.name!r} takes a date (YYYY-MM-DD), not {value!r}")
        return {"value": {"date": day + NOON}}
    if found.type == "checkbox":
        return {"value": {"checked": value == "true"}}
    return {"value": {"text": value}}
