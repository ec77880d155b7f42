"""Custom fields across a link: their kinds, their canonical values, and the per-link mapping.

Every connector reads a tool's custom field values into ``Task.custom_fields`` as one canonical
string per field, whatever the tool's own form (docs/custom-fields.md "Canonical values"):

- ``text``: the text, on one line, each run of spaces one space;
- ``number``: a decimal without a needless fraction (``3``, ``2.5``);
- ``enum``: the chosen option's name; ``multi_enum``: the option names, sorted, joined by ``", "``,
  a comma or backslash inside a name escaped with a backslash (``Print\\, large, Web``);
- ``date``: ``YYYY-MM-DD``; ``people``: e-mail addresses, sorted, joined by ``", "``;
- ``checkbox``: ``true`` (an unticked box holds no value).

A field with no value is absent. One string per field keeps the mirror filter's access source
(``mirror.access.type: custom_field``) reading what it always read, and lets the planner compare
values with ``==``: two tools holding the same value hold the same string.

A link maps a field only when it names it (``mirror.fields.custom``): privacy by default. The
planner sees a mapped field as one more task field named ``cf:<client field name>`` holding the
client-side value; :func:`value_out` and :func:`value_in` carry a value across, through the
link's value map. Everything here is pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FieldKind = Literal["text", "number", "enum", "multi_enum", "date", "people", "checkbox"]
KINDS: tuple[FieldKind, ...] = ("text", "number", "enum", "multi_enum", "date", "people", "checkbox")
# The kinds whose values are one or several of a fixed list of options.
CHOICE_KINDS = frozenset({"enum", "multi_enum"})
SEPARATOR = ", "  # between the options of a multi_enum value and the addresses of a people value
ESCAPE = "\\"  # before a comma or a backslash that belongs to an option's name (docs/custom-fields.md)
PREFIX = "cf:"  # a planner field name that is a custom field: cf:<client field name>


class FieldDef(BaseModel):
    """A custom field as a tool's project defines it (``Snapshot.fields``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: FieldKind = "text"
    options: tuple[str, ...] = ()  # option names, for enum and multi_enum

    def holds(self, value: str | None) -> bool:
        """Can this field hold the canonical ``value``? (An option it lacks, a number that is not one.)"""
        if value is None or value == "":
            return True
        if self.kind in CHOICE_KINDS:
            wanted = split(value) if self.kind == "multi_enum" else [value]
            return all(option in self.options for option in wanted)
        if self.kind == "number":
            return number(value) is not None
        if self.kind == "date":
            return date(value) is not None
        if self.kind == "checkbox":
            return value == "true"
        return True


# -- canonical values ---------------------------------------------------------


def split(value: str) -> list[str]:
    """The parts of a multi_enum or people value (tolerant of spaces and doubled separators).

    A part's own comma is escaped as ``\\,`` and its backslash as ``\\\\`` (see :func:`joined`), so an
    option named "Print, large" stays one option; a value without either reads as it always did.
    """
    parts: list[str] = []
    current: list[str] = []
    pending = False  # the previous character was an unescaped backslash
    for char in value:
        if pending:
            current.append(char)
            pending = False
        elif char == ESCAPE:
            pending = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if pending:  # a lone backslash at the end is itself (tolerant reading of a hand-typed value)
        current.append(ESCAPE)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def escaped(part: str) -> str:
    """One part of a multi-part value, its commas and backslashes escaped (docs/custom-fields.md)."""
    return part.replace(ESCAPE, ESCAPE * 2).replace(",", ESCAPE + ",")


def joined(parts: Iterable[str]) -> str | None:
    """A multi_enum or people value from its parts: sorted, each once, escaped; None for none."""
    unique = sorted({p.strip() for p in parts if p and p.strip()})
    return SEPARATOR.join(escaped(p) for p in unique) if unique else None


def number(value: Any) -> str | None:
    """The canonical form of a number (``3``, ``2.5``, ``-0.25``); None for what is not a number."""
    if isinstance(value, str) and value.isdigit() and value.isascii() and value[0] != "0":
        return value  # a whole number in plain digits is its own canonical form (most values): no Decimal
    return _decimal(value)


def _decimal(value: Any) -> str | None:
    """:func:`number` the long way, through :class:`~decimal.Decimal`."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not parsed.is_finite():
        return None
    if parsed == parsed.to_integral_value():
        return str(parsed.to_integral_value())
    return format(parsed.normalize(), "f")


def date(value: Any) -> str | None:
    """The canonical form of a date or a timestamp's day (``2026-05-01``); None for what is not one."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def text(value: Any) -> str | None:
    """Text on one line, each run of spaces one space (a label or a footer line holds no more); None for none."""
    if value is None:
        return None
    flat = " ".join(str(value).split())
    return flat or None


def canonical(kind: FieldKind, value: Any) -> str | None:
    """Any tool-side value of a field of this kind, in its canonical string form."""
    if kind == "number":
        return number(value)
    if kind == "date":
        return date(value)
    if kind == "checkbox":
        return "true" if value in (True, "true") else None
    if kind in ("multi_enum", "people"):
        parts = value if isinstance(value, (list, tuple, set, frozenset)) else split(str(value or ""))
        return joined(str(p) for p in parts)
    return text(value)


def patched(current: Mapping[str, str], patch: Mapping[str, str | None]) -> dict[str, str]:
    """A task's custom fields after a write of ``patch``: named fields change, None or "" clears, the rest stay.

    Every connector reads a ``custom_fields`` change this way, so a write never touches a field
    the link does not name.
    """
    out = dict(current)
    for name, value in patch.items():
        if value is None or value == "":
            out.pop(name, None)
        else:
            out[name] = value
    return out


def lookup(values: Mapping[str, Any], name: str) -> Any:
    """``values[name]``, by the field's name in any case (people retype "priority" as "Priority")."""
    if name in values:
        return values[name]
    wanted = name.casefold()
    return next((v for k, v in values.items() if k.casefold() == wanted), None)


def field_def(defs: Mapping[str, FieldDef], name: str) -> FieldDef | None:
    found = lookup(defs, name)
    return found if isinstance(found, FieldDef) else None


# -- the link's mapping --------------------------------------------------------


class FieldMap(BaseModel):
    """One custom field a link carries: internal name -> client name, direction and value map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)  # the internal field's name (the key under mirror.fields.custom)
    to: str = Field(min_length=1)  # the client-side field's name
    direction: Literal["to_client", "to_internal", "both"] = "to_client"
    values: dict[str, str] = Field(default_factory=dict)  # internal value -> client value

    @property
    def key(self) -> str:
        """The planner's name for this field: it carries the client-side value."""
        return PREFIX + self.to

    def reverse(self) -> dict[str, str]:
        """Client value -> internal value; where two internal values map to one, the first named wins."""
        back: dict[str, str] = {}
        for internal, client in self.values.items():
            back.setdefault(client, internal)
        return back


# The kinds whose value holds several parts, each mapped on its own.
MULTI_KINDS = frozenset({"multi_enum", "people"})


def _mapped_parts(value: str, kind: FieldKind, table: Mapping[str, str]) -> str | None:
    if kind in MULTI_KINDS:
        return joined(table.get(part, part) for part in split(value))
    return table.get(value, value)


def value_out(rule: FieldMap, value: str | None, kind: FieldKind = "text") -> str | None:
    """The client-side value of an internal value; a value the map does not name passes as it is.

    Whether the client's field can hold it (an option it lacks) is the planner's check
    (bridge/core/plan/custom.py), which then notifies instead of writing.
    """
    if value is None or value == "":
        return None
    return _mapped_parts(value, kind, rule.values)


def value_in(rule: FieldMap, value: str | None, kind: FieldKind = "text") -> str | None:
    """The internal value of a client-side value, through the value map read backwards."""
    if value is None or value == "":
        return None
    return _mapped_parts(value, kind, rule.reverse())


def people_across(value: str | None, table: Mapping[str, str], *, back: bool = False) -> str | None:
    """A people value through the link's ``people.map`` (internal e-mail -> client e-mail), or back."""
    if not value or not table:
        return value
    pairs = {(v if back else k).strip().casefold(): (k if back else v).strip() for k, v in table.items()}
    return joined(pairs.get(part.casefold(), part) for part in split(value))


def internal_kind(defs: Mapping[str, FieldDef], rule: FieldMap) -> FieldKind:
    found = field_def(defs, rule.name)
    return found.kind if found else "text"


def is_custom(name: str) -> bool:
    return name.startswith(PREFIX)


def fold(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Planner fields -> connector fields: every ``cf:<name>`` goes into one ``custom_fields`` patch."""
    out: dict[str, Any] = {}
    patch: dict[str, str | None] = {}
    for name, value in fields.items():
        if is_custom(name):
            patch[name[len(PREFIX):]] = value
        else:
            out[name] = value
    if patch:
        out["custom_fields"] = {**out.get("custom_fields", {}), **patch}
    return out
