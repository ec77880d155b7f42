"""New client requests: a task the client created becomes an internal task in the intake section.

The internal copy is marked as shared (through the link's access source), so
the mirror keeps showing it to the client; the engine's settling pass then
moves the card to where the mirror puts it, in the same cycle. With several
clients on one internal project it is marked shared with its own client only
(``client:acme``), never with the plain marker every client's link reads.
"""

from __future__ import annotations

from typing import Any

from bridge.core.fields import lookup
from bridge.core.mirror import project_fields
from bridge.core.model import Task
from bridge.core.ops import AddRequest, RemoveTask
from bridge.core.people import client_audience
from bridge.core.plan.context import PlanContext, client_fields
from bridge.core.plan.custom import internal_name, value_inbound
from bridge.richtext.audience import localize

# The card as the client made it, in the planner's terms: recorded as the
# pair's base so the next pass sees only what the mirror itself changes
# (moving the card to its mirrored list) and never a conflict.
_BASE_FIELDS = ["title", "notes", "done", "due", "start", "assignees", "labels"]
_TITLE, _NOTES = frozenset({"title"}), frozenset({"notes"})


def access_marking(ctx: PlanContext, title: str) -> dict[str, Any]:
    """Fields that make a new internal task explicitly shared with this link's client (and only it)."""
    mirror = ctx.rules.mirror
    source = mirror.access
    marker = source.named_marker(mirror.client_name) if mirror.several_clients and mirror.client_name else source.client
    if source.type == "custom_field":
        return {"custom_fields": {source.field: marker}}
    if source.type == "label":
        return {"labels": [marker]}
    return {"title": f"{title} {marker}".strip()}


def _request_fields(ctx: PlanContext, task: Task) -> dict[str, str]:
    """The custom fields a client request brings in: those the link lets in (both, to_internal), mapped back."""
    if not ctx.client_caps.custom_fields:
        return {}
    out: dict[str, str] = {}
    for rule in ctx.rules.mirror.fields.custom.values():
        value = lookup(task.custom_fields, rule.to)
        if rule.direction == "to_client" or not isinstance(value, str):
            continue
        ok, mapped = value_inbound(rule, value, ctx.internal, ctx.internal_caps, ctx.rules.mirror.people.map)
        if ok and mapped:
            out[internal_name(rule, ctx.internal)] = mapped
    return out


def hidden_copies(ctx: PlanContext, titles: set[str]) -> set[tuple[str, str | None]]:
    """(title, notes) that a mirror copy of each internal task now hidden from this client would show.

    A card in a mirror-owned list with exactly that content is a copy the mirror
    made while the task was shared, orphaned because the state store that paired it
    was lost. It is the agency's text, not the client's: never a request. Only the
    card's removal follows from it; nothing of the hidden task is sent (invariant 1).
    Only tasks whose copy would carry one of ``titles`` (the unclaimed cards') can
    match, so only their notes, the costly part, are worked out.
    """
    audience = client_audience(ctx.client.people, ctx.rules.mirror.people, ctx.client_caps.tool)
    copies: set[tuple[str, str | None]] = set()
    for task in ctx.internal.tasks.values():
        if task.id in ctx.view.tasks:
            continue
        fields = project_fields(task, ctx.internal, ctx.client.people, ctx.rules, _TITLE, audience)
        title = str(fields.get("title", "")).strip()
        if title not in titles:
            continue
        fields = project_fields(task, ctx.internal, ctx.client.people, ctx.rules, _NOTES, audience)
        copies |= {(title, str(fields.get("notes", "")).strip()), (title, None)}
    return copies


def _under_mirror(ctx: PlanContext, task: Task, mirror_lists: set[str]) -> bool:
    """In a list the mirror makes, or under a card the mirror holds."""
    if not task.parent_id:
        return task.section_id is not None and task.section_id in mirror_lists
    return ctx.pairs.for_client("task", task.parent_id) is not None or ("task", task.parent_id) in ctx.adopted_back


def mirror_list_names(ctx: PlanContext) -> set[str]:
    """The names of every client list the mirror makes, whether or not the view needs it now."""
    mrules = ctx.rules.mirror
    names = {section.name for section in ctx.view.sections.values()} | {mrules.shared_section}
    if ctx.rules.inbound.approval is not None:
        names.add(ctx.rules.inbound.approval.client_section)
    for section in ctx.internal.sections.values():
        rule = mrules.section_rule(section.name)
        if rule.access == "unlocked":
            names.add(rule.rename or section.name)
    return names


def plan_requests(ctx: PlanContext) -> None:
    section_name = ctx.rules.inbound.requests_section
    if section_name is None or not ctx.client.complete:
        return
    owned_sections = {p.client_id for p in ctx.pairs.of_kind("section") if p.client_id}
    owned_sections |= {cid for (kind, _), cid in ctx.adopted.items() if kind == "section"}
    orphans: set[tuple[str, str | None]] | None = None  # computed on the first unclaimed card only
    # Where a copy may be left over: the mirror's lists, and lists named as the mirror names its own
    # (after a lost store a list the view no longer needs is paired to nothing, but it is still the mirror's).
    names = mirror_list_names(ctx)
    mirror_lists = owned_sections | {s.id for s in ctx.client.sections.values() if s.name in names}
    unclaimed = [t for t in ctx.client.tasks.values() if ("task", t.id) not in ctx.claimed]
    for task in sorted(unclaimed, key=lambda t: (t.parent_id is not None, t.position)):
        if ctx.internal.complete and _under_mirror(ctx, task, mirror_lists):
            if orphans is None:
                orphans = hidden_copies(ctx, {t.title.strip() for t in unclaimed})
            # A check item holds a title only: there the title alone is the copy's content.
            with_notes = not task.parent_id or "notes" in ctx.client_caps.subtask_fields
            if (task.title.strip(), task.notes.strip() if with_notes else None) in orphans:
                ctx.plan.removals += 1
                ctx.emit(
                    RemoveTask(
                        key=f"orphan:{task.id}",  # a label for the audit log: no pair holds it
                        target_id=task.id,
                        mode=ctx.rules.removal,
                        forget=False,
                        reason="a copy the mirror made of a task no longer shared (its pairing was lost)",
                        depth=-1 if task.parent_id else 0,
                    )
                )
                continue
        notes = localize(task.notes, ctx.internal_audience)
        fields: dict[str, Any] = {"title": task.title, "notes": notes, "done": task.done}
        if task.parent_id:
            parent = ctx.pairs.for_client("task", task.parent_id)
            parent_id = parent.internal_id if parent else ctx.adopted_back.get(("task", task.parent_id))
            if not parent_id:
                continue  # under a card we do not mirror: not ours to take in
            fields["parent_id"] = parent_id
        elif task.section_id not in mirror_lists:
            continue  # a list the mirror does not own holds the client's own work
        marking = access_marking(ctx, task.title)
        custom = {} if task.parent_id else _request_fields(ctx, task)
        if custom:
            marking["custom_fields"] = {**custom, **marking.get("custom_fields", {})}
        fields.update(marking)
        base = client_fields(task, _BASE_FIELDS)
        base["section"] = None if task.parent_id else ctx.client_section_key(task.section_id)
        base["parent"] = ctx.client_task_key(task.parent_id)
        ctx.requested.add(task.id)
        ctx.emit(
            AddRequest(
                key=f"client:{task.id}",  # a label for the intent row and the audit log: the pair's key is the new task's id
                client_id=task.id,
                fields=fields,
                section_name=None if task.parent_id else section_name,
                base=base,
                reason="new client request",
                depth=1 if task.parent_id else 0,
            )
        )
