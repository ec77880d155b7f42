"""Carrying out one op: one remote write, then at once the state that records it.

Creates write an intent row first and complete it in the same transaction
that saves the new pair and the cached item, so a crash between the remote
write and the state save leaves a pending intent; the next cycle then finds
the created item by its content and adopts it instead of creating it twice.

Each op type has its own case below (bridge/core/ops.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from bridge.core.fields import fold
from bridge.core.link import Pair
from bridge.core.mirror import MirrorView
from bridge.core.model import Attachment, Comment, Section, Snapshot, Task
from bridge.core.ops import (
    AFTER,
    ARCHIVED,
    AddRequest,
    AddTwinLink,
    Adopt,
    CopyClientAttachment,
    CopyClientComment,
    CreateAttachment,
    CreateComment,
    CreateSection,
    CreateTask,
    Forget,
    Move,
    Op,
    Rebase,
    RemoveAttachment,
    RemoveComment,
    RemoveSection,
    RemoveTask,
    RemoveTwinLink,
    RenameSection,
    RestoreTask,
    UpdateComment,
    UpdateInternalTask,
    UpdateTask,
)
from bridge.core.plan.files import Attempt, may_be_copy, over_limit_name
from bridge.core.ports import Connector, FileTransfer, NewTask
from bridge.errors import NotFound
from bridge.sync.files import FileTooLarge, copy_file, digest


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
    match op:
        case Adopt():
            ctx.save(Pair(kind=op.kind, key=op.key, internal_id=op.internal_id, client_id=op.client_id,
                          origin=op.origin, base=op.base or {}))
        case Rebase():
            pair = ctx.pair(op.kind, op.key)
            if pair is not None:
                ctx.save(pair.model_copy(update={"base": op.base or {}}))
        case Forget():
            ctx.forget(op.kind, op.key)
        case AddTwinLink():
            side = ctx.internal
            ctx.cache(side, side.connector.create_attachment(side.project_id, op.task_id, op.name, op.url))
        case (CreateSection() | CreateTask() | CreateComment() | CreateAttachment() | AddRequest() | CopyClientComment()
              | CopyClientAttachment()):
            _create(ctx, op)
        case RenameSection():
            side = ctx.side(op)
            _updated(ctx, op, side.connector.update_section(side.project_id, side.snapshot.sections[op.target_id], op.name))
        case UpdateTask() | RestoreTask() | UpdateInternalTask() | Move():
            _update_task(ctx, op)
        case UpdateComment():
            side = ctx.side(op)
            comment = side.snapshot.comments.get(op.target_id)
            if comment is None:
                raise Unresolved(f"comment {op.target_id} is gone")
            _updated(ctx, op, side.connector.update_comment(side.project_id, comment, op.text))
        case RemoveSection() | RemoveTask() | RemoveComment() | RemoveAttachment() | RemoveTwinLink():
            _remove(ctx, op)
        case _:  # a new op type without its case here (tests/engine/test_apply_ops.py)
            raise TypeError(f"no way to apply {type(op).__name__}")


# -- creates ----------------------------------------------------------------


Create = CreateSection | CreateTask | CreateComment | CreateAttachment | AddRequest | CopyClientComment | CopyClientAttachment


def _create(ctx: ApplyContext, op: Create) -> None:
    side = ctx.side(op)
    detail: dict[str, Any] = {"reason": op.reason}
    if isinstance(op, CreateAttachment | CopyClientAttachment) and op.file:
        if _recovered(ctx, side, op):
            return
        # What a resumed cycle needs to recognise an upload nobody recorded (docs/files.md): the files
        # of that name already on the target task are never the copy, whatever their bytes.
        task_id = _file_task(ctx, op)
        present = [a.id for a in side.snapshot.attachments.values() if a.task_id == task_id and a.name == op.name]
        detail.update(source=getattr(op, "client_id", op.key), name=op.name, size=op.size, present=present)
    intent = ctx.store.begin_intent(ctx.link, side.name, op.kind, op.key, detail)
    try:
        item, pair = _create_remote(ctx, side, op)
    except Exception as exc:
        ctx.store.fail_intent(intent, type(exc).__name__)
        raise
    with ctx.lock:
        ctx.pairs[(pair.kind, pair.key)] = pair
        _collection(side.snapshot, item)[item.id] = item
    ctx.store.complete_intent(intent, pair, [item], side.name)
    if isinstance(op, CreateTask) and op.move is not None:
        # A card that does not simply go at the bottom: placed once it exists (and is recorded,
        # so a failed move can never make the next cycle create it twice).
        placed = side.connector.update_task(side.project_id, item, {AFTER: _after(ctx, op.move)})
        ctx.cache(side, placed)


def _create_remote(ctx: ApplyContext, side: SideRuntime, op: Create) -> tuple[Any, Pair]:
    conn, project, base = side.connector, side.project_id, op.base or {}
    match op:
        case CreateSection():
            section = conn.create_section(project, op.name)
            return section, Pair(kind="section", key=op.key, client_id=section.id, base=base)
        case CreateTask():
            task = conn.create_task(project, _client_new_task(ctx, op))
            return task, Pair(kind="task", key=op.key, internal_id=op.key, client_id=task.id, base=base)
        case CreateComment():
            comment = conn.create_comment(project, _client_task_id(ctx, op.task_key), op.text)
            return comment, Pair(kind="comment", key=op.key, internal_id=op.key, client_id=comment.id, base=base)
        case CreateAttachment():
            task_id = _client_task_id(ctx, op.task_key)
            if op.file:
                attachment, base = _copy(ctx, ctx.internal, op.key, side, task_id, op.name, base, op.url)
            else:
                attachment = conn.create_attachment(project, task_id, op.name, op.url)
            return attachment, Pair(kind="attachment", key=op.key, internal_id=op.key, client_id=attachment.id, base=base)
        case CopyClientAttachment():
            host_pair = ctx.pair_for_client("task", op.client_task_id)
            if host_pair is None or not host_pair.internal_id:
                raise Unresolved(f"client task {op.client_task_id} is not linked yet")
            if op.file:
                attachment, base = _copy(ctx, ctx.client, op.client_id, side, host_pair.internal_id, op.name, base, op.url)
            else:
                attachment = conn.create_attachment(project, host_pair.internal_id, op.name, op.url)
            return attachment, Pair(kind="attachment", key=attachment.id, internal_id=attachment.id,
                                    client_id=op.client_id, origin="client", base=base)
        case AddRequest():
            fields = dict(op.fields)
            if op.section_name is not None:
                fields["section_id"] = _internal_section(ctx, op.section_name)
            task = conn.create_task(project, NewTask(**fields))
            return task, Pair(kind="task", key=task.id, internal_id=task.id, client_id=op.client_id, origin="client", base=base)
        case CopyClientComment():
            host_pair = ctx.pair_for_client("task", op.client_task_id)
            if host_pair is None or not host_pair.internal_id:
                raise Unresolved(f"client task {op.client_task_id} is not linked yet")
            comment = conn.create_comment(project, host_pair.internal_id, op.text)
            return comment, Pair(
                kind="comment", key=comment.id, internal_id=comment.id, client_id=op.client_id, origin="client", base=base
            )


def _file_task(ctx: ApplyContext, op: CreateAttachment | CopyClientAttachment) -> str:
    """The task a copied file goes to, on the op's target side."""
    if isinstance(op, CreateAttachment):
        return _client_task_id(ctx, op.task_key)
    host_pair = ctx.pair_for_client("task", op.client_task_id)
    if host_pair is None or not host_pair.internal_id:
        raise Unresolved(f"client task {op.client_task_id} is not linked yet")
    return host_pair.internal_id


def _recovered(ctx: ApplyContext, side: SideRuntime, op: CreateAttachment | CopyClientAttachment) -> bool:
    """Adopt the copy an earlier, unrecorded upload of this file left on the target, if there is one.

    Only where the journal holds such an upload, and only a candidate created after it whose bytes,
    read back as a stream, hash like the source's: a file of the same name is no proof (docs/files.md).
    """
    if not op.candidates:
        return False
    unrecorded = [i for i in ctx.store.unrecorded_intents(ctx.link, side.name, op.kind, op.key) if "name" in i.detail]
    attempts = [Attempt(i.created_at, frozenset(i.detail.get("present") or ())) for i in unrecorded]
    if not attempts:
        return False
    task_id = _file_task(ctx, op)
    found = [side.snapshot.attachments[c] for c in op.candidates if c in side.snapshot.attachments]
    found = [c for c in found if c.task_id == task_id and may_be_copy(c, op.name, op.size, attempts)]
    if not found:
        return False
    source = ctx.internal if isinstance(op, CreateAttachment) else ctx.client
    original = source.snapshot.attachments.get(op.key if isinstance(op, CreateAttachment) else op.client_id)
    if original is None or not isinstance(source.connector, FileTransfer) or not isinstance(side.connector, FileTransfer):
        return False
    wanted = digest(source.connector, source.project_id, original)
    for candidate in found:
        if _paired(ctx, side, candidate.id) or digest(side.connector, side.project_id, candidate) != wanted:
            continue  # (already another file's copy: two shared files of one name and the same bytes)
        base = {**(op.base or {}), "sha256": wanted[0], "size": wanted[1]}
        if isinstance(op, CreateAttachment):
            pair = Pair(kind="attachment", key=op.key, internal_id=op.key, client_id=candidate.id, base=base)
        else:
            pair = Pair(kind="attachment", key=candidate.id, internal_id=candidate.id, client_id=op.client_id,
                        origin="client", base=base)
        with ctx.lock:
            ctx.pairs[(pair.kind, pair.key)] = pair
        # The attempt that left it is done now, recorded with its pair (the others, if any, with it).
        ctx.store.complete_intent(unrecorded[-1].id, pair, [candidate], side.name)
        for earlier in unrecorded[:-1]:
            ctx.store.complete_intent(earlier.id, None)
        return True
    return False


def _paired(ctx: ApplyContext, side: SideRuntime, item_id: str) -> bool:
    with ctx.lock:
        return any(p.kind == "attachment" and (p.client_id if side is ctx.client else p.internal_id) == item_id
                   for p in ctx.pairs.values())


def _copy(ctx: ApplyContext, source: SideRuntime, source_id: str, target: SideRuntime, task_id: str, name: str,
          base: dict[str, Any], url: str) -> tuple[Attachment, dict[str, Any]]:
    """Stream a file from one side to the other; the pair's base records its size and content hash.

    A file found over the target's limit only while copying (its tool did not list the size) goes
    as a link with the note the planner gives one it knew about (docs/files.md)."""
    attachment = source.snapshot.attachments.get(source_id)
    if attachment is None:
        raise Unresolved(f"file {source_id} is gone from the {source.name} side")
    if not isinstance(source.connector, FileTransfer) or not isinstance(target.connector, FileTransfer):
        raise TypeError(f"{type(source.connector).__name__} or {type(target.connector).__name__} cannot copy files")
    caps = target.connector.capabilities
    try:
        copied = copy_file(source.connector, source.project_id, attachment, target.connector, target.project_id,
                           task_id, name, caps.file_limit)
    except FileTooLarge as big:
        noted = over_limit_name(name, big.size, caps.file_limit or 0, caps.tool or "the target tool")
        return target.connector.create_attachment(target.project_id, task_id, noted, url), {**base, "name": noted}
    return copied.attachment, {**base, "size": copied.size, "sha256": copied.sha256}


def _client_new_task(ctx: ApplyContext, op: CreateTask) -> NewTask:
    values = fold(op.fields)  # the link's custom fields, cf:<name>, as one custom_fields value
    if "custom_fields" in values:  # a new task holds only the fields that have a value
        values["custom_fields"] = {k: v for k, v in values["custom_fields"].items() if v not in (None, "")}
    for name in ("due", "start"):
        if values.get(name):
            values[name] = dt.date.fromisoformat(values[name])
    if op.parent:
        values["parent_id"] = _client_task_id(ctx, op.parent)
    elif op.section:
        values["section_id"] = _client_section_id(ctx, op.section)
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


def _update_task(ctx: ApplyContext, op: UpdateTask | RestoreTask | UpdateInternalTask | Move) -> None:
    side = ctx.side(op)
    target = _client_task_id(ctx, op.key) if isinstance(op, Move) else op.target_id
    current = side.snapshot.tasks.get(target) or side.snapshot.archived.get(target)
    if current is None:
        raise Unresolved(f"task {target} is gone from the {side.name} side")
    changes: dict[str, Any]
    match op:
        case UpdateTask():
            changes = _client_changes(ctx, op.changes)
            if op.move is not None:
                changes[AFTER] = _after(ctx, op.move)
        case Move():
            changes = {AFTER: _after(ctx, op)}
        case RestoreTask():
            changes = {ARCHIVED: False, **({"done": True} if op.done else {})}
        case UpdateInternalTask():
            changes = dict(op.changes)
            if op.section_name is not None:
                changes["section_id"] = _internal_section(ctx, op.section_name)
    item = side.connector.update_task(side.project_id, current, changes)
    if isinstance(op, RestoreTask) and item.id in side.snapshot.archived:
        with ctx.lock:
            side.snapshot.archived.pop(item.id, None)
        ctx.store.put_items(ctx.link, side.name, [], [("archived", item.id)])
    _updated(ctx, op, item)


def _updated(ctx: ApplyContext, op: Op, item: Section | Task | Comment) -> None:
    """Cache the written item and record the op's base on its pair."""
    ctx.cache(ctx.side(op), item)
    pair = ctx.pair(op.kind, op.key)
    if pair is not None and op.base is not None:
        ctx.save(pair.model_copy(update={"base": op.base}))


def _client_changes(ctx: ApplyContext, fields: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in fold(fields).items():
        if name == "section":
            changes["section_id"] = _client_section_id(ctx, value) if value else None
        elif name == "parent":
            changes["parent_id"] = _client_task_id(ctx, value) if value else None
        elif name in ("due", "start"):
            changes[name] = dt.date.fromisoformat(value) if value else None
        else:
            changes[name] = value
    return changes


def _after(ctx: ApplyContext, move: Move) -> str | None:
    """The client id a card goes after; a card created earlier in this cycle is named by its key."""
    if move.after_key is None:
        return move.after_id
    return _client_task_id(ctx, move.after_key)


Remove = RemoveSection | RemoveTask | RemoveComment | RemoveAttachment | RemoveTwinLink


def _remove(ctx: ApplyContext, op: Remove) -> None:
    # Already gone (e.g. a check item deleted with its card) meets the goal too.
    with contextlib.suppress(NotFound):
        _remove_remote(ctx, op)
    side = ctx.side(op)
    ctx.uncache(side, op.kind, op.target_id)
    if not isinstance(op, RemoveTwinLink) and not (isinstance(op, RemoveTask) and not op.forget):
        ctx.forget(op.kind, op.key)


def _remove_remote(ctx: ApplyContext, op: Remove) -> None:
    side = ctx.side(op)
    conn, project, snapshot = side.connector, side.project_id, side.snapshot
    match op:
        case RemoveTask():
            task = snapshot.tasks.get(op.target_id)
            if task is not None:
                conn.remove_task(project, task, op.mode)
        case RemoveSection():
            others = [t for t in snapshot.tasks.values() if t.section_id == op.target_id]
            if others:
                raise Unresolved(f"section {op.target_id} still holds {len(others)} client tasks; kept")
            section = snapshot.sections.get(op.target_id)
            if section is not None:
                conn.remove_section(project, section, "archive")
        case RemoveComment():
            comment = snapshot.comments.get(op.target_id)
            if comment is not None:
                conn.remove_comment(project, comment)
        case RemoveAttachment() | RemoveTwinLink():
            attachment = snapshot.attachments.get(op.target_id)
            if attachment is not None:
                conn.remove_attachment(project, attachment)
