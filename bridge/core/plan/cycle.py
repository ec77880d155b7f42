"""The planner: a pure function from both snapshots, the base state and the rules to ops.

Per item the decision follows from four facts (docs/design.md "Decision table
planner"): present on each side, changed since base on each side. Fields
merge one by one (three-way, against the base), so an edit of the title on
one side and of the due date on the other both survive. Equal content is
never a conflict and an unlinked client item equal to a mirror item is
adopted, which is how a crash or a lost state store recovers without
duplicates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.core.link import Pair, PairIndex
from bridge.core.markers import split_notes
from bridge.core.mirror import APPROVAL, MirrorTask, MirrorView, labels_out
from bridge.core.model import Snapshot, Task
from bridge.core.ops import (
    Adopt,
    Conflict,
    CreateSection,
    CreateTask,
    Forget,
    Plan,
    Rebase,
    RemoveSection,
    RemoveTask,
    RenameSection,
    UpdateInternalTask,
    UpdateTask,
)
from bridge.core.people import internal_email
from bridge.core.plan.archive import restore_archived
from bridge.core.plan.context import MISSING, PlanContext, client_fields
from bridge.core.plan.decide import Decision, decide
from bridge.core.plan.items import plan_attachments, plan_comments
from bridge.core.plan.limits import fit_inbound, fit_view, keep_unseen_rest
from bridge.core.plan.order import internal_order, place, plan_order
from bridge.core.plan.requests import access_marking, plan_requests
from bridge.core.plan.twins import plan_twins
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules
from bridge.core.section_access import explicit_access
from bridge.core.text_fit import is_shortened
from bridge.richtext.audience import localize, same_text


def depth_of(view: MirrorView, key: str) -> int:
    return 1 if view.tasks[key].parent else 0


def plan_cycle(
    internal: Snapshot,
    client: Snapshot,
    view: MirrorView,
    pairs: list[Pair],
    rules: LinkRules,
    client_caps: Capabilities,
    internal_caps: Capabilities,
    link_started: dt.datetime | None = None,
) -> Plan:
    """All ops of one cycle. Pure: no I/O, no clock, no randomness."""
    fitted = fit_view(view, client_caps)  # what the client's tool can hold is what we compare with
    ctx = PlanContext(internal, client, fitted, PairIndex(pairs), rules, client_caps, internal_caps, link_started,
                      full_view=view)
    ctx.plan.mirrored = sum(1 for p in pairs if p.kind == "task" and p.client_id)
    for pair in pairs:
        if pair.client_id:
            ctx.claimed.add((pair.kind, pair.client_id))
    plan_sections(ctx)
    plan_tasks(ctx)
    place(ctx.plan, plan_order(ctx))
    plan_requests(ctx)
    plan_comments(ctx)
    plan_attachments(ctx)
    plan_twins(ctx)
    ctx.plan.notices = [*fitted.notices, *ctx.plan.notices]
    return ctx.plan


# -- sections ---------------------------------------------------------------


def plan_sections(ctx: PlanContext) -> None:
    unlinked = {s.name.casefold(): s for s in ctx.client.sections.values() if ("section", s.id) not in ctx.claimed}
    # In position order: created one by one, the client's lists then read in the internal order.
    for key, wanted in sorted(ctx.view.sections.items(), key=lambda item: item[1].position):
        pair = ctx.pairs.get("section", key)
        current = ctx.client.sections.get(pair.client_id or "") if pair else None
        name = {"name": wanted.name}
        decision = decide(ctx.facts(wanted=True, pair=pair, on_client=current is not None))
        if decision is Decision.CREATE:
            current = unlinked.pop(wanted.name.casefold(), None)
            if current is None:
                ctx.emit(CreateSection(key=key, name=wanted.name, base=name, reason="section shared"))
                continue
            # A list of that name already exists: adopt it, never duplicate it.
            ctx.adopt("section", key, current.id)
            ctx.emit(Adopt(kind="section", key=key, client_id=current.id, internal_id=key, base=name))
        if current is not None and current.name != wanted.name:
            ctx.emit(RenameSection(key=key, target_id=current.id, name=wanted.name, base=name))
    for pair in ctx.pairs.of_kind("section"):
        if pair.key in ctx.view.sections:
            continue
        current = ctx.client.sections.get(pair.client_id or "")
        decision = decide(ctx.facts(wanted=False, pair=pair, on_client=current is not None))
        if decision is Decision.FORGET:
            ctx.emit(Forget(kind="section", key=pair.key))
        elif decision is Decision.REMOVE and current is not None:
            ctx.emit(RemoveSection(key=pair.key, target_id=current.id, reason="section no longer shared"))


# -- tasks -------------------------------------------------------------------


def plan_tasks(ctx: PlanContext) -> None:
    adoptable = _adoption_index(ctx)
    # Parents first; then the agency's order, so a new list fills top to bottom as it should read.
    for key in sorted(ctx.view.tasks, key=lambda k: (depth_of(ctx.view, k), internal_order(ctx, k))):
        wanted = ctx.view.tasks[key]
        pair = ctx.pairs.get("task", key)
        current = ctx.client.tasks.get(pair.client_id or "") if pair else None
        facts = ctx.facts(
            wanted=True,
            pair=pair,
            on_client=current is not None,
            archived=bool(pair and ctx.client_caps.restore and (pair.client_id or "") in ctx.client.archived),
            host_archived=bool(wanted.parent and ctx.archived_host(wanted.parent)),
        )
        decision = decide(facts)
        if decision is Decision.MERGE and pair is not None and current is not None:
            _merge(ctx, wanted, pair, current)
        elif decision is Decision.RESTORE and pair is not None:
            restore_archived(ctx, pair, depth_of(ctx.view, key))  # merged next cycle
        elif decision is Decision.CREATE:
            _create_task(ctx, key, wanted, pair, adoptable)
    for pair in ctx.pairs.of_kind("task"):
        if pair.key in ctx.view.tasks or pair.key.startswith("client:"):
            continue
        current = ctx.client.tasks.get(pair.client_id or "")
        decision = decide(ctx.facts(wanted=False, pair=pair, on_client=current is not None))
        if decision is Decision.FORGET:
            ctx.emit(Forget(kind="task", key=pair.key))
        elif decision is Decision.REMOVE and current is not None:
            gone = pair.internal_id not in ctx.internal.tasks
            ctx.plan.removals += 1
            ctx.emit(
                RemoveTask(
                    key=pair.key,
                    target_id=current.id,
                    mode=ctx.rules.removal,
                    reason="deleted internally" if gone else "no longer shared",
                    depth=-1 if current.parent_id else 0,
                )
            )


def _create_task(ctx: PlanContext, key: str, wanted: MirrorTask, pair: Pair | None, adoptable: _Adoptable) -> None:
    """A mirrored task with no client copy: adopt an equal unlinked card, else create one."""
    twin = adoptable.pop(_identity(wanted.fields), None)
    if twin is not None:
        ctx.adopt("task", key, twin.id)
        ctx.emit(Adopt(kind="task", key=key, client_id=twin.id, internal_id=key, base=_desired(wanted)))
        _merge(ctx, wanted, Pair(kind="task", key=key, internal_id=key, client_id=twin.id, base=_desired(wanted)), twin)
        return
    if pair is None and not _within_start(ctx, wanted):
        return
    ctx.emit(
        CreateTask(
            key=key,
            fields=dict(wanted.fields),
            section=wanted.section,
            parent=wanted.parent,
            base=_desired(wanted),
            reason="restored: the client-side copy was removed" if pair else "newly shared",
            depth=depth_of(ctx.view, key),
        )
    )


def _desired(wanted: MirrorTask) -> dict[str, Any]:
    return {**wanted.fields, "section": wanted.section, "parent": wanted.parent}


def _identity(fields: dict[str, Any]) -> tuple[str, str]:
    return (str(fields.get("title", "")).strip(), str(fields.get("notes", "")).strip())


class _Adoptable:
    """Unlinked client tasks a mirror item may claim: equal content first, then a unique title or notes.

    The fallbacks let a lost state store recover even where the client edited
    one of the two fields since; an ambiguous match adopts nothing.
    """

    def __init__(self, tasks: list[Task]) -> None:
        self.exact: dict[tuple[str, str], list[Task]] = {}
        self.title: dict[str, list[Task]] = {}
        self.notes: dict[str, list[Task]] = {}
        for task in tasks:
            self.exact.setdefault((task.title.strip(), task.notes.strip()), []).append(task)
            self.title.setdefault(task.title.strip(), []).append(task)
            if task.notes.strip():
                self.notes.setdefault(task.notes.strip(), []).append(task)
        self.taken: set[str] = set()

    def pop(self, identity: tuple[str, str], default: Task | None = None) -> Task | None:
        title, notes = identity
        for candidates, unique in (
            (self.exact.get(identity, []), False),
            (self.title.get(title, []), True),
            (self.notes.get(notes, []) if notes else [], True),
        ):
            free = [t for t in candidates if t.id not in self.taken]
            if free and (not unique or len(free) == 1):
                self.taken.add(free[0].id)
                return free[0]
        return default


def _adoption_index(ctx: PlanContext) -> _Adoptable:
    free = [t for t in sorted(ctx.client.tasks.values(), key=lambda t: t.position) if ("task", t.id) not in ctx.claimed]
    return _Adoptable(free)


def _within_start(ctx: PlanContext, wanted: MirrorTask) -> bool:
    if ctx.rules.start == "all" or ctx.link_started is None:
        return True
    stamp = wanted.modified_at or wanted.created_at
    return stamp is None or dt.datetime.fromisoformat(stamp) >= ctx.link_started


def _merge(ctx: PlanContext, wanted: MirrorTask, pair: Pair, current: Task) -> None:
    """Three-way merge of one linked task, field by field."""
    desired = _desired(wanted)
    names = [n for n in wanted.fields]
    have = client_fields(current, names)
    have["section"] = ctx.client_section_key(current.section_id) if not current.parent_id else None
    have["parent"] = ctx.client_task_key(current.parent_id)
    base = dict(pair.base)
    to_client: dict[str, Any] = {}
    to_internal: dict[str, Any] = {}
    approved: dict[str, Any] = {}  # already in internal terms
    into_section: str | None = None
    new_base = dict(base)
    approval = ctx.rules.inbound.approval
    for name, mine in desired.items():
        theirs = have.get(name)
        was = base.get(name, MISSING)
        direction = "to_client" if name in ("section", "parent") else ctx.rules.mirror.fields.direction(name)
        if same(name, mine, theirs):
            new_base[name] = mine
            continue
        if name == "section" and approval is not None and theirs == APPROVAL and mine != APPROVAL:
            approved, into_section = _approve(ctx, pair)
            new_base[name] = theirs
            continue
        internal_changed = was is MISSING or not same(name, mine, was)
        client_changed = was is MISSING or not same(name, theirs, was)
        if internal_changed and not client_changed:
            if direction in ("to_client", "both"):
                to_client[name] = mine
                new_base[name] = mine
        elif client_changed and not internal_changed:
            if direction in ("to_internal", "both"):
                to_internal[name] = theirs
                new_base[name] = theirs
            else:  # the mirror owns this field: put it back
                to_client[name] = mine
                new_base[name] = mine
        else:
            winner = _resolve(ctx, direction, wanted, current)
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
            if winner == "internal":
                to_client[name] = mine
                new_base[name] = mine
            elif winner == "client":
                to_internal[name] = theirs
                new_base[name] = theirs
    if to_client:
        ctx.emit(UpdateTask(key=pair.key, target_id=current.id, changes=to_client, base=new_base,
                            depth=depth_of(ctx.view, pair.key)))
    if (to_internal or approved or into_section) and pair.internal_id:
        fields = {**_inbound_fields(ctx, pair, keep_unseen_rest(ctx, pair.key, to_internal)), **approved}
        ctx.emit(UpdateInternalTask(key=pair.key, target_id=pair.internal_id, changes=fields, section_name=into_section,
                                    base=new_base, reason="client input"))
    if not to_client and not to_internal and not approved and not into_section and new_base != base:
        ctx.emit(Rebase(kind="task", key=pair.key, base=new_base))


def same(name: str, a: Any, b: Any) -> bool:
    """Field equality; notes tolerate a mention one side can only hold as the person's name."""
    text = name in ("title", "notes") and isinstance(a, str) and isinstance(b, str)
    # A text one side could only hold shortened (bridge/core/plan/limits.py) is the same text.
    if text and (is_shortened(a, b) or is_shortened(b, a)):
        return True
    if name == "notes" and isinstance(a, str) and isinstance(b, str):
        return same_text(a, b)
    return bool(a == b)


def _resolve(ctx: PlanContext, direction: str, wanted: MirrorTask, current: Task) -> str:
    if direction == "to_client":
        return "internal"
    if direction == "to_internal":
        return "client"
    policy = ctx.rules.conflict
    if policy == "internal_wins":
        return "internal"
    if policy == "client_wins":
        return "client"
    if policy == "newest_wins":
        mine = dt.datetime.fromisoformat(wanted.modified_at) if wanted.modified_at else None
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
                out["custom_fields"] = {**task.custom_fields, **marking["custom_fields"]}
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
