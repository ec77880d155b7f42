"""The three-way merge of one linked task, field by field, against the base its pair records.

Whether a field moves, and which way, follows from the table in
bridge/core/plan/decide.py (``merge_field``): changed on the internal side,
changed on the client side, and the field's direction. A client's move of the
card into the approval list is the one field that means something else.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any

from bridge.core.fields import PREFIX, lookup
from bridge.core.link import Pair
from bridge.core.markers import split_notes
from bridge.core.mirror import APPROVAL, MirrorTask, MirrorView, labels_out
from bridge.core.model import Task
from bridge.core.ops import Conflict, Rebase, UpdateInternalTask, UpdateTask
from bridge.core.people import internal_email
from bridge.core.plan.context import MISSING, PlanContext, client_fields
from bridge.core.plan.custom import internal_name, unheld_notice, value_inbound
from bridge.core.plan.decide import FieldMove, merge_field
from bridge.core.plan.limits import fit_inbound, keep_unseen_rest
from bridge.core.plan.requests import access_marking
from bridge.core.section_access import explicit_access
from bridge.core.text_fit import is_shortened
from bridge.richtext.audience import localize, same_text


def depth_of(view: MirrorView, key: str) -> int:
    return 1 if view.tasks[key].parent else 0


def desired(wanted: MirrorTask) -> dict[str, Any]:
    return {**wanted.fields, "section": wanted.section, "parent": wanted.parent}


def merge_task(ctx: PlanContext, wanted: MirrorTask, pair: Pair, current: Task) -> None:
    """Three-way merge of one linked task, field by field."""
    if settled(ctx, wanted, pair, current):
        return  # a quiet cycle's every task: nothing to write, nothing to rebase
    merge_fields(ctx, wanted, pair, current)


# Fields the client's task holds as str or bool (bridge/core/model.py): read as they are, where
# client_fields turns a date into its ISO form and a list into its sorted set.
_AS_IS = frozenset({"title", "notes", "done"})
_LISTS = frozenset({"assignees", "labels"})


class _Shape:
    """How :func:`settled` reads a client task for one set of wanted field names (most tasks share one).

    ``itemgetter`` and ``attrgetter`` read several fields in one call (a tuple, or the value itself
    for one name): the plain fields of both sides, and the custom fields by their client names.
    """

    __slots__ = ("custom", "mine", "mine_custom", "read", "theirs", "theirs_custom")

    def __init__(self, names: tuple[str, ...]) -> None:
        plain = [name for name in names if name in _AS_IS]
        self.mine = itemgetter(*plain) if plain else None
        self.theirs = attrgetter(*plain) if plain else None
        self.custom = tuple((name, name[len(PREFIX):]) for name in names if name.startswith(PREFIX))
        self.mine_custom = itemgetter(*(name for name, _ in self.custom)) if self.custom else None
        self.theirs_custom = itemgetter(*(field for _, field in self.custom)) if self.custom else None
        self.read = tuple((name, name in _LISTS) for name in names if name not in _AS_IS and not name.startswith(PREFIX))


@lru_cache(maxsize=64)
def _shape(names: tuple[str, ...]) -> _Shape:
    return _Shape(names)


def settled(ctx: PlanContext, wanted: MirrorTask, pair: Pair, current: Task) -> bool:
    """Does the client copy hold every field as wanted, and the base agree with both?

    Then :func:`merge_fields` would plan nothing: this is its first test (``have == wanted_fields``, and
    no rebase) without the dicts it builds; any difference answers no, and the full merge decides.
    """
    fields, base = wanted.fields, pair.base
    place = (wanted.section, wanted.parent)
    if not fields.items() <= base.items() or (base.get("section", MISSING), base.get("parent", MISSING)) != place:
        return False
    shape = _shape(tuple(fields))
    if shape.mine is not None and shape.theirs is not None and shape.mine(fields) != shape.theirs(current):
        return False
    if shape.mine_custom is not None and shape.theirs_custom is not None:
        custom = current.custom_fields
        try:
            if shape.mine_custom(fields) != shape.theirs_custom(custom):
                return False
        except KeyError:  # a field the client's task holds no value in, or names in another case: one by one
            if any(fields[name] != lookup(custom, field) for name, field in shape.custom):
                return False
    for name, listed in shape.read:  # as client_fields reads them
        theirs, mine = getattr(current, name), fields[name]
        if listed:
            theirs = sorted(set(theirs)) if theirs else []
        elif isinstance(theirs, dt.date):
            theirs = theirs.isoformat()
        if theirs is not mine and theirs != mine:
            return False
    section = ctx.client_section_key(current.section_id) if not current.parent_id else None
    return (section, ctx.client_task_key(current.parent_id)) == place


def merge_fields(ctx: PlanContext, wanted: MirrorTask, pair: Pair, current: Task) -> None:
    """The field-by-field merge itself, for a task :func:`settled` did not find settled."""
    wanted_fields = desired(wanted)
    names = [n for n in wanted.fields]
    have = client_fields(current, names)
    have["section"] = ctx.client_section_key(current.section_id) if not current.parent_id else None
    have["parent"] = ctx.client_task_key(current.parent_id)
    base = dict(pair.base)
    if have == wanted_fields:  # the steady state: every field as wanted, only the base may lag
        agreed = {**base, **wanted_fields}
        if agreed != base:
            ctx.emit(Rebase(kind="task", key=pair.key, base=agreed))
        return
    to_client: dict[str, Any] = {}
    to_internal: dict[str, Any] = {}
    approved: dict[str, Any] = {}  # already in internal terms
    into_section: str | None = None
    new_base = dict(base)
    approval = ctx.rules.inbound.approval
    for name, mine in wanted_fields.items():
        theirs = have.get(name)
        if mine == theirs or same(name, mine, theirs):  # equal values are the same: the cheap test first
            new_base[name] = mine
            continue
        was = base.get(name, MISSING)
        direction = "to_client" if name in ("section", "parent") else ctx.rules.mirror.fields.direction(name)
        if name == "section" and approval is not None and theirs == APPROVAL and mine != APPROVAL:
            approved, into_section = _approve(ctx, pair)
            new_base[name] = theirs
            continue
        internal_changed = was is MISSING or not same(name, mine, was)
        client_changed = was is MISSING or not same(name, theirs, was)
        move = merge_field(internal_changed, client_changed, direction)
        if move is FieldMove.RESOLVE:
            winner = _resolve(ctx, wanted, current)
            if direction == "both":
                ctx.plan.conflicts.append(
                    Conflict(
                        kind="task",
                        key=pair.key,
                        field=name,
                        internal=mine,
                        client=theirs,
                        base=None if was is MISSING else was,
                        resolution=winner,
                    )
                )
            move = {"internal": FieldMove.SEND, "client": FieldMove.TAKE}.get(winner, FieldMove.KEEP)
        if move is FieldMove.TAKE and name.startswith(PREFIX) and not _takes(ctx, pair.key, name, theirs):
            continue  # the internal field cannot hold it: it stays, the base too, and a notice says why
        if move is FieldMove.SEND:
            to_client[name] = mine
            new_base[name] = mine
        elif move is FieldMove.TAKE:
            to_internal[name] = theirs
            new_base[name] = theirs
    if to_client:
        ctx.emit(UpdateTask(key=pair.key, target_id=current.id, changes=to_client, base=new_base,
                            depth=depth_of(ctx.view, pair.key)))
    if (to_internal or approved or into_section) and pair.internal_id:
        inbound = _inbound_fields(ctx, pair, keep_unseen_rest(ctx, pair.key, to_internal))
        fields = {**inbound, **approved}
        if "custom_fields" in inbound and "custom_fields" in approved:  # two patches of one task's fields
            fields["custom_fields"] = {**inbound["custom_fields"], **approved["custom_fields"]}
        ctx.emit(UpdateInternalTask(key=pair.key, target_id=pair.internal_id, changes=fields, section_name=into_section,
                                    base=new_base, reason="client input"))
    if not to_client and not to_internal and not approved and not into_section and new_base != base:
        ctx.emit(Rebase(kind="task", key=pair.key, base=new_base))


def _takes(ctx: PlanContext, key: str, name: str, value: Any) -> bool:
    rule = ctx.rules.mirror.fields.custom_rule(name)
    if rule is None:
        return False
    ok, mapped = value_inbound(rule, value, ctx.internal, ctx.internal_caps, ctx.rules.mirror.people.map)
    if not ok:
        ctx.plan.notices.append(unheld_notice(key, rule, mapped, ctx.internal))
    return ok


def same(name: str, a: Any, b: Any) -> bool:
    """Field equality; notes tolerate a mention one side can only hold as the person's name."""
    text = name in ("title", "notes") and isinstance(a, str) and isinstance(b, str)
    # A text one side could only hold shortened (bridge/core/plan/limits.py) is the same text.
    if text and (is_shortened(a, b) or is_shortened(b, a)):
        return True
    if name == "notes" and isinstance(a, str) and isinstance(b, str):
        return same_text(a, b)
    return bool(a == b)


def _resolve(ctx: PlanContext, wanted: MirrorTask, current: Task) -> str:
    """Who wins a field both sides changed, by the link's conflict policy ("flagged": nobody, a person decides)."""
    policy = ctx.rules.conflict
    if policy == "internal_wins":
        return "internal"
    if policy == "client_wins":
        return "client"
    if policy == "newest_wins":
        mine = wanted.modified
        theirs = current.modified_at
        if mine and theirs:
            return "client" if theirs > mine else "internal"
        return "internal"
    return "flagged"


def _approve(ctx: PlanContext, pair: Pair) -> tuple[dict[str, Any], str | None]:
    """Internal changes for a card the client moved to the approval list (label and/or section).

    With the name of the section to move it into, where that section does not exist yet.
    """
    approval = ctx.rules.inbound.approval
    assert approval is not None
    task = ctx.internal.tasks.get(pair.internal_id or "")
    if task is None:
        return {}, None
    out: dict[str, Any] = {}
    into: str | None = None
    labels = set(task.labels)
    label = ctx.rules.approval_label()  # per client when several share the project
    if label:
        labels.add(label)
    if approval.internal_section:
        section = next((s for s in ctx.internal.sections.values() if s.name == approval.internal_section), None)
        if section is not None:
            out["section_id"] = section.id
        else:  # created by the engine on first use, as the intake section is
            into = approval.internal_section
        locked = ctx.rules.mirror.section_rule(approval.internal_section).access != "unlocked"
        if locked and not task.parent_id and explicit_access(task, ctx.rules.mirror.access) == "automatic":
            # Approved work stays in front of the client: moving it into a locked
            # section would otherwise hide it (and remove the client's card).
            marking = access_marking(ctx, task.title)
            labels.update(marking.pop("labels", []))
            if "custom_fields" in marking:
                out["custom_fields"] = dict(marking["custom_fields"])  # a patch: only the access field
            out.update(marking)
    if labels != set(task.labels):
        out["labels"] = sorted(labels)
    return out, into


def _inbound_fields(ctx: PlanContext, pair: Pair, changes: dict[str, Any]) -> dict[str, Any]:
    """Client-side values in internal terms (people by email, notes keep their internal tail)."""
    task = ctx.internal.tasks.get(pair.internal_id or "")
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "notes" and task is not None:
            # The client's text replaces only what she saw: the part above the agency's cut line.
            # Her own look-alikes of the cut line stay hers (the agreed base, bridge/core/markers.py).
            agreed = pair.base.get("notes")
            cut = split_notes(task.notes, ctx.rules.mirror.fields.notes_cut, agreed if isinstance(agreed, str) else None)
            tail = cut.below or ""
            value = fit_inbound(ctx, "notes", localize(value, ctx.internal_audience), pair.client_id or pair.key, len(tail) + 2)
            out["notes"] = f"{value}\n\n{tail}".strip() if tail else value
        elif name == "title":
            out["title"] = fit_inbound(ctx, "title", value, pair.client_id or pair.key)
        elif name == "assignees":
            out["assignees"] = _people_inbound(ctx, value)
        elif name in ("due", "start"):
            out[name] = dt.date.fromisoformat(value) if value else None
        elif name.startswith(PREFIX):
            # A mapped custom field, in internal terms: one patch naming only the fields that changed.
            rule = ctx.rules.mirror.fields.custom_rule(name)
            if rule is not None:
                _ok, mapped = value_inbound(rule, value, ctx.internal, ctx.internal_caps, ctx.rules.mirror.people.map)
                out.setdefault("custom_fields", {})[internal_name(rule, ctx.internal)] = mapped
        elif name == "labels" and task is not None:
            # Labels that never go out (access, approval, not allowed) stay as they are.
            outgoing = {label.casefold() for label in labels_out(task, ctx.rules)}
            kept = [label for label in task.labels if label.casefold() not in outgoing]
            out["labels"] = sorted({*kept, *value})
        else:
            out[name] = value
    return out


def _people_inbound(ctx: PlanContext, client_ids: list[str]) -> list[str]:
    found: list[str] = []
    for person_id in client_ids:
        person = ctx.client.people.get(person_id)
        email = internal_email(person, ctx.rules.mirror.people) if person else None
        match = ctx.internal.person_by_email(email) if email else None
        if match:
            found.append(match.id)
    return sorted(set(found))
