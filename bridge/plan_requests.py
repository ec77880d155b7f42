"""New client requests: a task the client created becomes an internal task in the intake section.

The internal copy is marked as shared (through the link's access source), so
the mirror keeps showing it to the client; the engine's settling pass then
moves the card to where the mirror puts it, in the same cycle. With several
clients on one internal project it is marked shared with its own client only
(``client:acme``), never with the plain marker every client's link reads.
"""

from __future__ import annotations

from typing import Any

from bridge.ops import Op
from bridge.plan_context import PlanContext, client_fields
from bridge.richtext.audience import localize

# The card as the client made it, in the planner's terms: recorded as the
# pair's base so the next pass sees only what the mirror itself changes
# (moving the card to its mirrored list) and never a conflict.
_BASE_FIELDS = ["title", "notes", "done", "due", "start", "assignees", "labels"]


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


def plan_requests(ctx: PlanContext) -> None:
    section_name = ctx.rules.inbound.requests_section
    if section_name is None or not ctx.client.complete:
        return
    owned_sections = {p.client_id for p in ctx.pairs.of_kind("section") if p.client_id}
    owned_sections |= {cid for (kind, _), cid in ctx.adopted.items() if kind == "section"}
    for task in sorted(ctx.client.tasks.values(), key=lambda t: (t.parent_id is not None, t.position)):
        if ("task", task.id) in ctx.claimed:
            continue
        notes = localize(task.notes, ctx.internal_audience)
        fields: dict[str, Any] = {"title": task.title, "notes": notes, "done": task.done}
        if task.parent_id:
            parent = ctx.pairs.for_client("task", task.parent_id)
            parent_id = parent.internal_id if parent else ctx.adopted_back.get(("task", task.parent_id))
            if not parent_id:
                continue  # under a card we do not mirror: not ours to take in
            fields["parent_id"] = parent_id
        elif task.section_id not in owned_sections:
            continue  # a list the mirror does not own holds the client's own work
        fields.update(access_marking(ctx, task.title))
        base = client_fields(task, _BASE_FIELDS)
        base["section"] = None if task.parent_id else ctx.client_section_key(task.section_id)
        base["parent"] = ctx.client_task_key(task.parent_id)
        ctx.requested.add(task.id)
        ctx.emit(
            Op(
                side="internal",
                action="create",
                kind="task",
                key=f"client:{task.id}",
                client_id=task.id,
                fields=fields,
                task_key=None if task.parent_id else section_name,
                base=base,
                origin="client",
                reason="new client request",
                depth=1 if task.parent_id else 0,
            )
        )
