"""Carrying out one op: one remote write, then at once the state that records it.

Creates write an intent row first and complete it in the same transaction
that saves the new pair and the cached item, so a crash between the remote
write and the state save leaves a pending intent, and the next cycle adopts
the created item instead of creating it twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from bridge.core.link import Pair
from bridge.core.mirror import MirrorView
from bridge.core.model import Attachment, Comment, Section, Snapshot, Task
from bridge.core.ops import AFTER, ARCHIVED, CREATED, SECTION_BY_NAME, Op
from bridge.core.ports import Connector, NewTask
from bridge.errors import NotFound


class Unresolved(Exception):
    """An op depends on an item that does not exist (yet): it waits for a later cycle."""


@dataclass
class SideRuntime:
    name: str  # "internal" | "client"
    connector: Connector
    project_id: str
    snapshot: Snapshot


@dataclass
class ApplyContext:
    link: str
    store: Any  # bridge.store.Store
    internal: SideRuntime
    client: SideRuntime
    view: MirrorView
    pairs: dict[tuple[str, str], Pair]  # (kind, key) -> pair, kept current as ops succeed
    lock: threading.RLock = field(default_factory=threading.RLock)

    def side(self, op: Op) -> SideRuntime:
        return self.client if op.side == "client" else self.internal

    def pair(self, kind: str, key: str) -> Pair | None:
        with self.lock:
            return self.pairs.get((kind, key))

    def pair_for_client(self, kind: str, client_id: str) -> Pair | None:
        with self.lock:
            return next((p for (k, _), p in self.pairs.items() if k == kind and p.client_id == client_id), None)

    def save(self, pair: Pair) -> None:
        with self.lock:
            self.pairs[(pair.kind, pair.key)] = pair
        self.store.save_pair(self.link, pair)

    def forget(self, kind: str, key: str) -> None:
        with self.lock:
            self.pairs.pop((kind, key), None)
        self.store.delete_pair(self.link, kind, key)

    def cache(self, side: SideRuntime, item: Section | Task | Comment | Attachment) -> None:
        with self.lock:
            _collection(side.snapshot, item)[item.id] = item
        self.store.put_items(self.link, side.name, [item], [])

    def uncache(self, side: SideRuntime, kind: str, item_id: str) -> None:
        with self.lock:
            getattr(side.snapshot, kind + "s").pop(item_id, None)
        self.store.put_items(self.link, side.name, [], [(kind, item_id)])


def _collection(snapshot: Snapshot, item: object) -> dict[str, Any]:
    if isinstance(item, Section):
        return snapshot.sections
    if isinstance(item, Task):
        return snapshot.tasks
    if isinstance(item, Comment):
        return snapshot.comments
    return snapshot.attachments


def apply_op(ctx: ApplyContext, op: Op) -> None:
    """Carry out ``op``; raises RemoteError (write failed) or Unresolved (dependency missing)."""
    if op.action == "adopt":
        internal_id = op.internal_id if op.internal_id is not None else op.key
        ctx.save(
            Pair(kind=op.kind, key=op.key, internal_id=internal_id, client_id=op.client_id, origin=op.origin, base=op.base or {})
        )
    elif op.action == "rebase":
        pair = ctx.pair(op.kind, op.key)
        if pair is not None:
            ctx.save(pair.model_copy(update={"base": op.base or {}}))
    elif op.action == "forget":
        ctx.forget(op.kind, op.key)
    elif op.action == "create" and op.side == "internal" and op.kind == "attachment":
        _create_twin(ctx, op)
    elif op.action == "create":
        _create(ctx, op)
    elif op.action == "update":
        _update(ctx, op)
    elif op.action == "remove":
        _remove(ctx, op)


# -- creates ----------------------------------------------------------------


def _create(ctx: ApplyContext, op: Op) -> None:
    side = ctx.side(op)
    intent = ctx.store.begin_intent(ctx.link, side.name, op.kind, op.key, {"reason": op.reason})
    try:
        item, pair = _create_remote(ctx, side, op)
    except Exception as exc:
        ctx.store.fail_intent(intent, type(exc).__name__)
        raise
    with ctx.lock:
        ctx.pairs[(pair.kind, pair.key)] = pair
        _collection(side.snapshot, item)[item.id] = item
    ctx.store.complete_intent(intent, pair, [item], side.name)
    if op.side == "client" and op.kind == "task" and AFTER in op.fields:
        # A card that does not simply go at the bottom: placed once it exists (and is recorded,
        # so a failed move can never make the next cycle create it twice).
        placed = side.connector.update_task(side.project_id, item, {AFTER: _after(ctx, op.fields[AFTER])})
        ctx.cache(side, placed)


def _create_twin(ctx: ApplyContext, op: Op) -> None:
    """A twin link on an internal task (plan_twins.py): known by its name, so it needs no pair."""
    side = ctx.internal
    attachment = side.connector.create_attachment(side.project_id, op.task_key or "", op.fields["name"], op.fields["url"])
    ctx.cache(side, attachment)


def _create_remote(ctx: ApplyContext, side: SideRuntime, op: Op) -> tuple[Any, Pair]:
    conn, project = side.connector, side.project_id
    if op.side == "client":
        if op.kind == "section":
            section = conn.create_section(project, op.fields["name"])
            return section, Pair(kind="section", key=op.key, client_id=section.id, base=op.base or {})
        if op.kind == "task":
            task = conn.create_task(project, _client_new_task(ctx, op.fields))
            return task, Pair(kind="task", key=op.key, internal_id=op.key, client_id=task.id, base=op.base or {})
        host = _client_task_id(ctx, op.task_key)
        if op.kind == "comment":
            comment = conn.create_comment(project, host, op.fields["text"])
            return comment, Pair(kind="comment", key=op.key, internal_id=op.key, client_id=comment.id, base=op.base or {})
        attachment = conn.create_attachment(project, host, op.fields["name"], op.fields["url"])
        return attachment, Pair(kind="attachment", key=op.key, internal_id=op.key, client_id=attachment.id, base=op.base or {})
    if op.kind == "task":
        fields = dict(op.fields)
        if "parent_id" not in fields:
            fields["section_id"] = _internal_section(ctx, op.task_key or "")
        task = conn.create_task(project, NewTask(**fields))
        return task, Pair(
            kind="task", key=task.id, internal_id=task.id, client_id=op.client_id, origin="client", base=op.base or {}
        )
    if op.kind == "comment":
        host_pair = ctx.pair_for_client("task", op.task_key or "")
        if host_pair is None or not host_pair.internal_id:
            raise Unresolved(f"client task {op.task_key} is not linked yet")
        comment = conn.create_comment(project, host_pair.internal_id, op.fields["text"])
        return comment, Pair(
            kind="comment", key=comment.id, internal_id=comment.id, client_id=op.client_id, origin="client", base=op.base or {}
        )
    raise Unresolved(f"no internal create for {op.kind}")


def _client_new_task(ctx: ApplyContext, fields: dict[str, Any]) -> NewTask:
    values = {k: v for k, v in fields.items() if k not in ("section", "parent", AFTER)}
    for name in ("due", "start"):
        if values.get(name):
            values[name] = dt.date.fromisoformat(values[name])
    if fields.get("parent"):
        values["parent_id"] = _client_task_id(ctx, fields["parent"])
    elif fields.get("section"):
        values["section_id"] = _client_section_id(ctx, fields["section"])
    return NewTask(**values)


def _client_task_id(ctx: ApplyContext, key: str | None) -> str:
    pair = ctx.pair("task", key or "")
    if pair is None or not pair.client_id:
        raise Unresolved(f"task {key} has no client-side copy yet")
    return pair.client_id


def _client_section_id(ctx: ApplyContext, key: str) -> str:
    pair = ctx.pair("section", key)
    if pair is None or not pair.client_id:
        raise Unresolved(f"section {key} has no client-side copy yet")
    return pair.client_id


def _internal_section(ctx: ApplyContext, name: str) -> str:
    """The intake section's id, created on first use."""
    with ctx.lock:
        for section in ctx.internal.snapshot.sections.values():
            if section.name == name:
                return section.id
        section = ctx.internal.connector.create_section(ctx.internal.project_id, name)
        ctx.internal.snapshot.sections[section.id] = section
    ctx.store.put_items(ctx.link, "internal", [section], [])
    return section.id


# -- updates and removals ---------------------------------------------------


def _update(ctx: ApplyContext, op: Op) -> None:
    side = ctx.side(op)
    conn, project = side.connector, side.project_id
    item: Any
    if op.kind == "section":
        item = conn.update_section(project, side.snapshot.sections[op.target_id or ""], op.fields["name"])
    elif op.kind == "task":
        current = side.snapshot.tasks.get(op.target_id or "") or side.snapshot.archived.get(op.target_id or "")
        if current is None:
            raise Unresolved(f"task {op.target_id} is gone from the {side.name} side")
        changes = _client_changes(ctx, op.fields) if op.side == "client" else _internal_changes(ctx, op.fields)
        item = conn.update_task(project, current, changes)
        if changes.get(ARCHIVED) is False and item.id in side.snapshot.archived:  # restored
            with ctx.lock:
                side.snapshot.archived.pop(item.id, None)
            ctx.store.put_items(ctx.link, side.name, [], [("archived", item.id)])
    elif op.kind == "comment":
        current_comment = side.snapshot.comments.get(op.target_id or "")
        if current_comment is None:
            raise Unresolved(f"comment {op.target_id} is gone")
        item = conn.update_comment(project, current_comment, op.fields["text"])
    else:
        raise Unresolved("attachments are replaced, not updated")
    ctx.cache(side, item)
    pair = ctx.pair(op.kind, op.key)
    if pair is not None and op.base is not None:
        ctx.save(pair.model_copy(update={"base": op.base}))


def _internal_changes(ctx: ApplyContext, fields: dict[str, Any]) -> dict[str, Any]:
    changes = dict(fields)
    if SECTION_BY_NAME in changes:
        changes["section_id"] = _internal_section(ctx, changes.pop(SECTION_BY_NAME))
    return changes


def _client_changes(ctx: ApplyContext, fields: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "section":
            changes["section_id"] = _client_section_id(ctx, value) if value else None
        elif name == "parent":
            changes["parent_id"] = _client_task_id(ctx, value) if value else None
        elif name in ("due", "start"):
            changes[name] = dt.date.fromisoformat(value) if value else None
        elif name == AFTER:
            changes[AFTER] = _after(ctx, value)
        else:
            changes[name] = value
    return changes


def _after(ctx: ApplyContext, value: str | None) -> str | None:
    """The client id a card goes after; a card created earlier in this cycle is named by its key."""
    if value is None or not value.startswith(CREATED):
        return value
    pair = ctx.pair("task", value[len(CREATED) :])
    if pair is None or not pair.client_id:
        raise Unresolved(f"task {value[len(CREATED) :]} has no client-side copy yet")
    return pair.client_id


def _remove(ctx: ApplyContext, op: Op) -> None:
    # Already gone (e.g. a check item deleted with its card) meets the goal too.
    with contextlib.suppress(NotFound):
        _remove_remote(ctx, op)
    side = ctx.side(op)
    ctx.uncache(side, op.kind, op.target_id or "")
    ctx.forget(op.kind, op.key)


def _remove_remote(ctx: ApplyContext, op: Op) -> None:
    side = ctx.side(op)
    conn, project = side.connector, side.project_id
    if op.kind == "task":
        task = side.snapshot.tasks.get(op.target_id or "")
        if task is not None:
            conn.remove_task(project, task, op.fields.get("mode", "archive"))
    elif op.kind == "section":
        section = side.snapshot.sections.get(op.target_id or "")
        others = [t for t in side.snapshot.tasks.values() if t.section_id == op.target_id]
        if others:
            raise Unresolved(f"section {op.target_id} still holds {len(others)} client tasks; kept")
        if section is not None:
            conn.remove_section(project, section, "archive")
    elif op.kind == "comment":
        comment = side.snapshot.comments.get(op.target_id or "")
        if comment is not None:
            conn.remove_comment(project, comment)
    else:
        attachment = side.snapshot.attachments.get(op.target_id or "")
        if attachment is not None:
            conn.remove_attachment(project, attachment)
