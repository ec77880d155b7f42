"""Which custom fields a migration carries, and which values it cannot (docs/migrate.md "Custom fields").

A migration copies the agency's own project, not a client's mirror: by default every custom
field of the source goes over, each to the target field of the same name. With ``--link`` or
``--only-shared`` the copy is a filtered one, so only the fields the link maps go (privacy by
default, docs/custom-fields.md). ``--fields`` chooses explicitly: ``all``, ``none`` or a list of
names. The chosen fields become ordinary ``mirror.fields.custom`` rules (to the same name, one way),
so the sync planner carries them, with its resumable create journal, like every other field.

The target's fields must exist: a migration never creates field definitions (docs/migrate.md says
why). A value the target cannot take, because the field is missing or has no such option, is a
line in the report's "not carried over" list. Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter

from bridge.core.fields import FieldDef, FieldMap, field_def, split
from bridge.core.mirror import MirrorView
from bridge.core.model import Snapshot
from bridge.core.plan.custom import too_long
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules

ALL = "all"  # --fields all
NONE = "none"  # --fields none


def parse_fields(text: str | None) -> tuple[str, ...] | None:
    """``--fields``: None (the default for the filter), ``()`` for none, ``(ALL,)``, or the names (comma-separated)."""
    if text is None:
        return None
    names = split(text)  # a name with its own comma is escaped as "\," (bridge/core/fields.py)
    if [n.casefold() for n in names] == [NONE]:
        return ()
    if [n.casefold() for n in names] == [ALL]:
        return (ALL,)
    return tuple(names)


def source_fields(source: Snapshot) -> list[str]:
    """The source's field names: its project's definitions and, for tools that define none (GitHub,
    Basecamp), the names its tasks hold values in; each name once, in any case."""
    seen: dict[str, str] = {}
    for name in [*source.fields, *(n for task in source.tasks.values() for n in task.custom_fields)]:
        seen.setdefault(name.casefold(), name)
    return sorted(seen.values(), key=str.casefold)


def with_fields(rules: LinkRules, source: Snapshot, chosen: tuple[str, ...] | None, *, everything: bool) -> LinkRules:
    """``rules`` plus a one-way rule (same name on the target) for each chosen field the rules do not map yet."""
    if chosen is None:
        names = source_fields(source) if everything else []
    elif chosen == (ALL,):
        names = source_fields(source)
    else:  # as the source spells them, so the target's field of the same name is found in any case
        spelled = {name.casefold(): name for name in source_fields(source)}
        names = [spelled.get(name.casefold(), name) for name in chosen]
    custom = dict(rules.mirror.fields.custom)
    if chosen == ():
        custom = {}
    mapped = {rule.name.casefold() for rule in custom.values()} | {rule.to.casefold() for rule in custom.values()}
    for name in names:
        if name.casefold() not in mapped:
            custom[name] = FieldMap(name=name, to=name)
            mapped.add(name.casefold())
    if custom == rules.mirror.fields.custom:
        return rules
    fields = rules.mirror.fields.model_copy(update={"custom": custom})
    return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"fields": fields})})


def field_losses(source: Snapshot, target: Snapshot, view: MirrorView, rules: LinkRules, caps: Capabilities,
                 tool: str, lost: Counter[tuple[str, str, str]]) -> None:
    """Count the custom field values that will not arrive, by field and reason (the report's "not carried over")."""
    custom = rules.mirror.fields.custom
    carried = {rule.name.casefold(): rule for rule in custom.values()}
    for key, shown in view.tasks.items():
        task = source.tasks.get(key)
        if task is None:
            continue
        for name in task.custom_fields:
            rule = carried.get(name.casefold())
            what = f"custom field {name!r}"
            if rule is None:
                lost[("lost", what, "not chosen (carry it with --fields)")] += 1
                continue
            if shown.parent is not None:
                lost[("lost", what, f"{tool} subtasks hold no custom fields")] += 1
                continue
            reason = _unheld(rule, shown.fields.get(rule.key), target, caps, tool)
            if reason:
                lost[("lost", what, reason)] += 1


def _unheld(rule: FieldMap, value: str | None, target: Snapshot, caps: Capabilities, tool: str) -> str | None:
    if not caps.custom_fields:
        return f"{tool} holds no custom fields"
    if too_long(rule.to, value, caps):
        return f"too long for a {tool} field (at most {caps.field_limit} characters with its name)"
    if not caps.defined_fields:
        return None
    found: FieldDef | None = field_def(target.fields, rule.to)
    if found is None:
        return f"the {tool} project has no field {rule.to!r}: create it there and run the migration again"
    if not found.holds(value):
        choices = f" (its options: {', '.join(found.options)})" if found.options else ""
        return f"the {tool} field {rule.to!r} ({found.kind}) cannot hold them{choices}"
    return None
