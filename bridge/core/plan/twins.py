"""Twin links: each mirrored internal task carries a link to its client-side copy.

With ``twin_links: internal`` the agency can jump from its task to what the
client sees. The link is an attachment on the internal task (a comment holding
the link in Basecamp, as every file there), named ``twin_link_name``; it never
goes the other way, so nothing about the internal tool reaches the client.

Twins are known by their name, not by a stored pair: the wanted set is derived
afresh each cycle from the task pairs and the client copies' URLs, so a crash
between creating a twin and recording anything cannot duplicate it, and a twin
whose mirror is gone (hidden, removed) is taken off in the same cycle.
"""

from __future__ import annotations

from bridge.core.model import Attachment
from bridge.core.ops import AddTwinLink, RemoveTwinLink
from bridge.core.plan.context import PlanContext

TWIN = "twin:"  # audit-log keys of twin links: "twin:<internal task id>" to create, "twin:<attachment id>" to remove


def plan_twins(ctx: PlanContext) -> None:
    if ctx.rules.twin_links == "none" or ctx.internal_caps.attachments == "none":
        return
    name = ctx.rules.twin_link_name
    wanted: dict[str, str] = {}  # internal task id -> the client copy's URL
    for pair in ctx.pairs.of_kind("task"):
        if pair.key not in ctx.view.tasks:
            continue  # no longer mirrored: its copy goes this cycle, and its twin with it
        card = ctx.client.tasks.get(pair.client_id or "")
        task = ctx.internal.tasks.get(pair.internal_id or "")
        if card is not None and card.url and task is not None and task.parent_id is None:
            wanted[task.id] = card.url
    for key, client_id in ctx.adopted.items():  # adopted this cycle: the pair is not stored yet
        card = ctx.client.tasks.get(client_id)
        task = ctx.internal.tasks.get(key[1]) if key[0] == "task" else None
        if card is not None and card.url and task is not None and task.parent_id is None:
            wanted[task.id] = card.url
    held: dict[str, list[Attachment]] = {}
    for attachment in ctx.internal.attachments.values():
        if attachment.name == name:
            held.setdefault(attachment.task_id, []).append(attachment)
    for task_id, url in sorted(wanted.items()):
        twins = held.pop(task_id, [])
        keep = next((t for t in twins if t.url == url), None)
        if keep is None:
            ctx.emit(AddTwinLink(key=f"{TWIN}{task_id}", task_id=task_id, name=name, url=url, reason="twin link"))
        _remove(ctx, [t for t in twins if t is not keep])
    if ctx.internal.complete and ctx.client.complete:
        for twins in held.values():  # tasks whose client copy is gone
            _remove(ctx, twins)


def _remove(ctx: PlanContext, twins: list[Attachment]) -> None:
    for twin in twins:
        ctx.emit(RemoveTwinLink(key=f"{TWIN}{twin.id}", target_id=twin.id, reason="twin link"))
