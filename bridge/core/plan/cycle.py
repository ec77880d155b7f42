"""The planner: a pure function from both snapshots, the base state and the rules to ops.

Every section, task, comment and file goes through one decision table
(bridge/core/plan/decide.py, docs/design.md "Decision table planner"): wanted,
linked, present on the client side, pulls complete. Linked tasks then merge
field by field against the base (bridge/core/plan/merge.py), so an edit of the
title on one side and of the due date on the other both survive. Equal content
is never a conflict and an unlinked client item equal to a mirror item is
adopted, which is how a crash or a lost state store recovers without
duplicates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.core.link import Pair, PairIndex
from bridge.core.mirror import MirrorTask, MirrorView
from bridge.core.model import Snapshot, Task
from bridge.core.ops import (
    Adopt,
    CreateSection,
    CreateTask,
    Forget,
    Plan,
    RemoveSection,
    RemoveTask,
    RenameSection,
)
from bridge.core.plan.archive import restore_archived
from bridge.core.plan.context import PlanContext
from bridge.core.plan.custom import fit_fields
from bridge.core.plan.decide import Decision, decide
from bridge.core.plan.items import plan_attachments, plan_comments
from bridge.core.plan.limits import fit_view
from bridge.core.plan.merge import depth_of, desired, merge_fields, merge_task, settled
from bridge.core.plan.order import internal_orders, place, plan_order
from bridge.core.plan.requests import plan_requests
from bridge.core.plan.twins import plan_twins
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules


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
    # What the client's tool can hold is what we compare with: texts within its limits, custom
    # fields it has, values its fields take.
    fitted = fit_fields(fit_view(view, client_caps), internal, client, rules, internal_caps, client_caps)
    ctx = PlanContext(internal, client, fitted, PairIndex(pairs), rules, client_caps, internal_caps, link_started,
                      full_view=view)
    linked = [(pair.kind, pair.client_id) for pair in pairs if pair.client_id]
    ctx.claimed.update(linked)
    ctx.plan.mirrored = sum(1 for kind, _ in linked if kind == "task")
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
    tasks = ctx.view.tasks
    orders = internal_orders(ctx)
    by_key, on_client = ctx.pairs.by_key, ctx.client.tasks  # PairIndex.get and the client's tasks, read per task
    # Each order ends with its task's key: sorted as (depth_of, order) tuples, no key function per task.
    for _, (_, _, key) in sorted([(1 if wanted.parent else 0, orders[key]) for key, wanted in tasks.items()]):
        wanted = tasks[key]
        pair = by_key.get(("task", key))
        current = on_client.get(pair.client_id or "") if pair else None
        if pair is not None and current is not None:
            # decide()'s first row: an item wanted, linked and on the client side merges, whatever else holds
            if not settled(ctx, wanted, pair, current):  # merge_task, one call less for every quiet task
                merge_fields(ctx, wanted, pair, current)
            continue
        facts = ctx.facts(
            wanted=True,
            pair=pair,
            on_client=current is not None,
            archived=bool(pair and ctx.client_caps.restore and (pair.client_id or "") in ctx.client.archived),
            host_archived=bool(wanted.parent and ctx.archived_host(wanted.parent)),
        )
        decision = decide(facts)
        if decision is Decision.MERGE and pair is not None and current is not None:
            merge_task(ctx, wanted, pair, current)
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
        ctx.emit(Adopt(kind="task", key=key, client_id=twin.id, internal_id=key, base=desired(wanted)))
        merge_task(ctx, wanted, Pair(kind="task", key=key, internal_id=key, client_id=twin.id, base=desired(wanted)), twin)
        return
    if pair is None and not _within_start(ctx, wanted):
        return
    ctx.emit(
        CreateTask(
            key=key,
            fields=dict(wanted.fields),
            section=wanted.section,
            parent=wanted.parent,
            base=desired(wanted),
            reason="restored: the client-side copy was removed" if pair else "newly shared",
            depth=depth_of(ctx.view, key),
        )
    )


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
    # Filtered before sorting (a stable sort keeps the same order): in a quiet cycle none is free.
    free = [t for t in ctx.client.tasks.values() if ("task", t.id) not in ctx.claimed]
    return _Adoptable(sorted(free, key=lambda t: t.position))


def _within_start(ctx: PlanContext, wanted: MirrorTask) -> bool:
    if ctx.rules.start == "all" or ctx.link_started is None:
        return True
    stamp = wanted.modified or wanted.created
    return stamp is None or stamp >= ctx.link_started
