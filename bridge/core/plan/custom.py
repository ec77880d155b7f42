"""A link's custom fields in the planner: what both tools can hold, and the client's values coming in.

The mirror filter puts every field the link names into the view as ``cf:<client field name>``
(bridge/core/fields.py). Before the merge compares anything, :func:`fit_fields` takes out what
cannot be written, each with a notice naming the link's field, so a wrong name or a value the
client's field has no option for never becomes a write the tool refuses every cycle
(docs/custom-fields.md "When a value cannot cross"):

- a field the internal project does not define, or the client's project does not define;
- on one task, a value the client's field cannot hold (an option it lacks, text in a number field).

:func:`value_inbound` is the way back: a client value in internal terms, or None when the
internal field cannot hold it (then the field keeps its internal value and a notice says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bridge.core.fields import (
    FieldDef,
    FieldMap,
    canonical,
    field_def,
    internal_kind,
    joined,
    lookup,
    number,
    people_across,
    split,
    text,
    value_in,
)
from bridge.core.mirror import MirrorTask, MirrorView
from bridge.core.model import Snapshot
from bridge.core.ops import Notice
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules

UNKNOWN = "custom-field-unknown"
UNHELD = "custom-field-value"
# A mapped field as the fitting reads it: rule, planner name, the client's field, is it a people field,
# does it only come in, and what the client's field makes of each value seen (value -> fits()).
_Column = tuple[FieldMap, str, FieldDef | None, bool, bool, dict[str, tuple[bool, str | None]]]


def _missing(rule: FieldMap, snapshot: Snapshot, caps: Capabilities, side: str) -> Notice | None:
    name = rule.name if side == "internal" else rule.to
    if not caps.custom_fields:
        return Notice(code=UNKNOWN, key=f"{side}:{name}",
                      message=f"mirror.fields.custom names {name!r}, but the {side} tool ({caps.tool or 'unknown'}) holds "
                      "no custom fields; the field is not synced")
    if caps.defined_fields and snapshot.complete and field_def(snapshot.fields, name) is None:
        known = ", ".join(sorted(snapshot.fields)) or "none"
        return Notice(code=UNKNOWN, key=f"{side}:{name}",
                      message=f"mirror.fields.custom names the {side} field {name!r}, which the {side} project does not "
                      f"have (its fields: {known}); add it there or fix the name; the field is not synced")
    return None


def fit_fields(
    view: MirrorView, internal: Snapshot, client: Snapshot, rules: LinkRules, internal_caps: Capabilities,
    client_caps: Capabilities,
) -> MirrorView:
    """The view without the custom field values the client's tool cannot hold, with a notice for each."""
    custom = rules.mirror.fields.custom
    if not custom or not client_caps.custom_fields:
        return view
    notices: list[Notice] = []
    drop: set[str] = set()
    for rule in custom.values():
        for notice in (_missing(rule, internal, internal_caps, "internal"), _missing(rule, client, client_caps, "client")):
            if notice is not None:
                notices.append(notice)
                drop.add(rule.key)
    notices += _nested_values(view, internal, rules, client_caps)
    # Per rule, what is the same for every task: read once, not once per task (the planner's
    # steady state runs this over every shared task, docs/benchmarks.md).
    mapped: list[_Column] = []
    for rule in custom.values():
        target = field_def(client.fields, rule.to) if client_caps.defined_fields else None
        people = target is not None and target.kind == "people"
        # fits() per value filled as values come: an enum's few values repeat over every task
        mapped.append((rule, rule.key, target, people, rule.direction == "to_internal", {}))
    limited = client_caps.field_limit is not None
    if not drop:
        # A field whose every value goes out as it is (the usual case) changes no task: not read task by task.
        shown = [task.fields for task in view.tasks.values()]
        mapped = [column for column in mapped if not column_settled(column, shown, client_caps)]
        if not mapped:
            return view.model_copy(update={"notices": [*view.notices, *notices]}) if notices else view
    tasks: dict[str, MirrorTask] = {}
    changed = False
    for key, task in view.tasks.items():
        # Copied on the first change only: most tasks hold values their client field takes as they are.
        fields = {name: value for name, value in task.fields.items() if name not in drop} if drop else task.fields
        copied = bool(drop)
        for rule, name, target, people, inbound_only, seen in mapped:
            if name not in fields:
                continue
            value = fields[name]
            held = False  # the value is one the client's field was just found to hold as it is
            if people and isinstance(value, str):
                if not copied:
                    fields, copied = dict(fields), True
                value = fields[name] = _known_people(value, client, key, rule, notices)
            if isinstance(value, str):
                known = seen.get(value)
                if known is None:  # what the client's field makes of each distinct value, worked out once
                    known = seen[value] = fits(target, value)
                held, value_read = known
                if held:
                    # Compared as the client's field will read it back (a date from a timestamp, "3" from "3.0"):
                    # otherwise the write would repeat every cycle.
                    if value_read != value:
                        if not copied:
                            fields, copied = dict(fields), True
                        fields[name] = value_read
                        held = False
                    value = value_read
            # A field that only comes in never needs the client's field to hold the internal value.
            if inbound_only:
                continue
            if limited and too_long(rule.to, value, client_caps):
                if not copied:
                    fields, copied = dict(fields), True
                del fields[name]
                notices.append(Notice(code=UNHELD, key=f"{key}:{rule.name}",
                                      message=f"task {_title(task)}: the client field {rule.to!r} cannot hold {value!r}: "
                                      f"'{rule.to}: <value>' is longer than the {client_caps.field_limit} characters "
                                      f"{client_caps.tool or 'the client tool'} takes; map it to a shorter value under "
                                      f"mirror.fields.custom.{rule.name}.values"))
                continue
            if held or target is None or target.holds(value):
                continue
            if not copied:
                fields, copied = dict(fields), True
            del fields[name]
            choices = f" (its options: {', '.join(target.options)})" if target.options else ""
            notices.append(Notice(code=UNHELD, key=f"{key}:{rule.name}",
                                  message=f"task {_title(task)}: the client field {rule.to!r} ({target.kind}) cannot "
                                  f"hold {value!r}{choices}; map it under mirror.fields.custom.{rule.name}.values"))
        if fields is task.fields or fields == task.fields:
            tasks[key] = task
        else:
            tasks[key] = replace(task, fields=fields)
            changed = True
    if not notices and not changed:
        return view
    return view.model_copy(update={"tasks": tasks, "notices": [*view.notices, *notices]})


def column_settled(column: _Column, shown: list[dict[str, Any]], client_caps: Capabilities) -> bool:
    """Does every task's value of this mapped field go out as it is? Then the fitting leaves it alone.

    Each distinct value is read once: no value, or a string the client's field holds as it is and
    within the tool's length limit. A people field (whose values lose unknown addresses) or a value
    that is no string goes the long way, task by task.
    """
    rule, name, target, people, inbound_only, _ = column
    if people:
        return False
    try:
        values = {fields.get(name) for fields in shown}
    except TypeError:  # an unhashable value: no string
        return False
    limited = client_caps.field_limit is not None and not inbound_only
    # fits(target, value) == (True, value), for the kinds whose reading is one call: a number field holds
    # a value that reads back as itself, a text field every value, read back as text() reads it.
    kind = target.kind if target is not None else "text"
    same = number if kind == "number" else text if kind == "text" else None
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str):
            return False
        if same is not None:
            if same(value) != value:
                return False
        elif fits(target, value) != (True, value):
            return False
        if limited and too_long(rule.to, value, client_caps):
            return False
    return True


def fits(target: FieldDef | None, value: str) -> tuple[bool, str | None]:
    """Can ``target`` (None: a field of unknown kind, read as text) hold ``value``, and the value as it reads it back."""
    if target is None or target.kind == "text":
        return True, text(value)  # a text field holds any value (FieldDef.holds), read back as canonical() reads text
    if target.kind == "number":
        # holds() and canonical() of a number both parse it: parsed once here
        read = number(value)
        return read is not None or value == "", read
    held = target.holds(value)
    return held, canonical(target.kind, value) if held else None


def _nested_values(view: MirrorView, internal: Snapshot, rules: LinkRules, client_caps: Capabilities) -> list[Notice]:
    """One notice per mapped field that subtasks nested on the client side hold values in: they carry none.

    No tool holds custom fields on a nested subtask the bridge writes: Trello check items, GitHub
    task-list lines and Basecamp (none) have no fields, and an Asana subtask is no member of the
    client's project, so Asana refuses the project's fields on it (docs/custom-fields.md "Limits").
    """
    held: dict[str, list[str]] = {}
    for key, shown in view.tasks.items():
        if shown.parent is None:
            continue
        task = internal.tasks.get(key)
        if task is None:
            continue
        for rule in rules.mirror.fields.custom.values():
            if rule.direction != "to_internal" and lookup(task.custom_fields, rule.name):
                held.setdefault(rule.name, []).append(task.title)
    tool = client_caps.tool or "the client tool"
    return [Notice(code=UNHELD, key=f"subtasks:{name}",
                   message=f"{len(titles)} subtask(s) nested in {tool} hold a value in {name!r} (e.g. {titles[0]!r}); "
                   "nested subtasks carry no custom fields (docs/custom-fields.md \"Limits\"): make them tasks of "
                   "their own to carry it, or leave the field empty on subtasks") for name, titles in sorted(held.items())]


def _known_people(value: str, client: Snapshot, key: str, rule: FieldMap, notices: list[Notice]) -> str | None:
    """A people value without the addresses the client's tool has no account for (it would drop them on write)."""
    known = {p.email.casefold() for p in client.people.values() if p.email}
    parts = split(value)
    missing = [part for part in parts if part.casefold() not in known]
    if missing:
        notices.append(Notice(code=UNHELD, key=f"{key}:{rule.name}:people",
                              message=f"the client field {rule.to!r} leaves out {', '.join(missing)}: no account with that "
                              "e-mail address in the client's tool (map it under people.map)"))
    return joined(p for p in parts if p.casefold() in known)


def value_inbound(
    rule: FieldMap, value: Any, internal: Snapshot, internal_caps: Capabilities, people: Mapping[str, str] | None = None
) -> tuple[bool, str | None]:
    """(can it cross?, the internal value) for a client value of a mapped field; ``people``: the link's people.map."""
    kind = internal_kind(internal.fields, rule)
    mapped = value_in(rule, value if isinstance(value, str) else None, kind)
    if kind == "people":
        mapped = people_across(mapped, people or {}, back=True)
    target = field_def(internal.fields, rule.name)
    if internal_caps.defined_fields and target is not None and not target.holds(mapped):
        return False, mapped
    if too_long(internal_name(rule, internal), mapped, internal_caps):
        return False, mapped
    return True, mapped


def too_long(field: str, value: str | None, caps: Capabilities) -> bool:
    """Is ``Name: value`` longer than the tool takes (``Capabilities.field_limit``: GitHub's 50-character labels)?"""
    return bool(value) and caps.field_limit is not None and len(f"{field}: {value}") > caps.field_limit


def internal_name(rule: FieldMap, internal: Snapshot) -> str:
    """The internal field's name as its project spells it (the link may have typed it in another case)."""
    found = field_def(internal.fields, rule.name)
    return found.name if found else rule.name


def unheld_notice(key: str, rule: FieldMap, value: str | None, internal: Snapshot) -> Notice:
    target = field_def(internal.fields, rule.name)
    choices = f" (its options: {', '.join(target.options)})" if target and target.options else ""
    return Notice(code=UNHELD, key=f"{key}:{rule.name}:in",
                  message=f"the client set {rule.to!r} to a value the internal field {rule.name!r} cannot hold: "
                  f"{value!r}{choices}; it stays as it is internally; map it under mirror.fields.custom.{rule.name}.values")


def _title(task: MirrorTask) -> str:
    text = " ".join(str(task.fields.get("title") or task.key).split())
    return repr(text if len(text) <= 60 else text[:57] + "...")
