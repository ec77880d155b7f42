"""Planning comments and files: they never conflict, they append (docs/design.md invariant 6).

Outbound: a shared comment (marked for the client) is created once on the
client side, edited when its text changes, removed when it is unmarked or
deleted. Inbound: a client comment is copied once into the internal task,
attributed, and edits follow it; the copy is never sent back out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bridge.core.model import Attachment, Comment
from bridge.core.ops import (
    Adopt,
    CopyClientAttachment,
    CopyClientComment,
    CreateAttachment,
    CreateComment,
    Forget,
    ItemKind,
    RemoveAttachment,
    RemoveComment,
    UpdateComment,
)
from bridge.core.plan.context import PlanContext
from bridge.core.plan.decide import Decision, decide
from bridge.core.plan.files import crossing, same_size
from bridge.core.plan.limits import fit_inbound, part_number
from bridge.richtext.audience import comparable, localize, same_text


def plan_comments(ctx: PlanContext) -> None:
    if not ctx.client_caps.comments:
        return
    # Unlinked client comments, by (client task id, text as read back): adoption candidates and inbound
    # input. The bridge's copy of a #client comment is "<attribution>text", and the tool holds its
    # canonical form, so both sides are compared canonical (a lost state store must find it again).
    unlinked = [c for c in ctx.client.comments.values() if ("comment", c.id) not in ctx.claimed]
    by_text: dict[tuple[str, str], list[str]] = {}
    for comment in sorted(unlinked, key=lambda c: (c.created_at is None, c.created_at, c.id)):
        by_text.setdefault((comment.task_id, comparable(comment.text)), []).append(comment.id)

    for key, wanted in ctx.view.comments.items():
        pair = ctx.pairs.get("comment", key)
        if pair is not None and pair.origin == "client":
            continue  # an inbound copy: owned by the client's original
        current = ctx.client.comments.get(pair.client_id or "") if pair else None
        decision = decide(ctx.facts(wanted=True, pair=pair, on_client=current is not None,
                                    host_archived=ctx.archived_host(wanted.task)))
        if decision is Decision.MERGE and current is not None:
            # Stripped: a tool may drop the trailing whitespace a split part ends with.
            if same_text(current.text.strip(), wanted.text.strip()):
                continue
            if ctx.client_caps.edit_comments:
                ctx.emit(UpdateComment(key=key, target_id=current.id, text=wanted.text, base={"text": wanted.text}))
            else:
                ctx.emit(RemoveComment(key=key, target_id=current.id))
        elif decision is Decision.CREATE:
            host = ctx.client_id_of("task", wanted.task)
            candidates = by_text.get((host, comparable(wanted.text)), []) if host else []
            if candidates:
                _adopt(ctx, "comment", key, candidates.pop(0), {"text": wanted.text})
            elif wanted.task in ctx.view.tasks:
                ctx.emit(
                    CreateComment(
                        key=key,
                        task_key=wanted.task,
                        text=wanted.text,
                        base={"text": wanted.text},
                        depth=part_number(key) - 1,  # the parts of a split comment go out in order
                    )
                )

    _remove_unshared(ctx, "comment", set(ctx.view.comments), ctx.client.comments)

    if ctx.rules.inbound.comments:
        _inbound_comments(ctx)


def _inbound_comments(ctx: PlanContext) -> None:
    prefix = ctx.rules.inbound.comment_prefix
    # Internal comments no pair holds, by (task, text as read back): an inbound copy the bridge wrote
    # ("<prefix> <author>: text") whose pair was lost is found again by that text.
    internal_unlinked: dict[tuple[str, str], list[str]] = {}
    linked_internal = {p.internal_id for p in ctx.pairs.of_kind("comment") if p.internal_id}
    for comment in ctx.internal.comments.values():
        if comment.id not in linked_internal and comment.id not in ctx.view.comments:
            internal_unlinked.setdefault((comment.task_id, comparable(comment.text)), []).append(comment.id)
    for comment in sorted(ctx.client.comments.values(), key=lambda c: (c.created_at is None, c.created_at, c.id)):
        pair = ctx.pairs.for_client("comment", comment.id)
        if pair is not None:
            if pair.origin == "client" and pair.internal_id and pair.base.get("text") != comment.text:
                text = _attributed(ctx, prefix, comment)
                copy = UpdateComment(side="internal", key=pair.key, target_id=pair.internal_id, text=text,
                                     base={"text": comment.text})
                ctx.emit(copy)
            continue
        if ("comment", comment.id) in ctx.claimed:
            continue
        task_pair = ctx.pairs.for_client("task", comment.task_id)
        internal_task = task_pair.internal_id if task_pair else ctx.adopted_back.get(("task", comment.task_id))
        if internal_task is None and comment.task_id not in ctx.requested:
            continue  # a card the mirror does not hold
        text = _attributed(ctx, prefix, comment)
        if internal_task is not None:
            twins = internal_unlinked.get((internal_task, comparable(text)), [])
            if twins:  # copied before, but the pair was lost: adopt the copy
                twin = twins.pop(0)
                ctx.emit(
                    Adopt(
                        side="internal",
                        kind="comment",
                        key=twin,
                        internal_id=twin,
                        client_id=comment.id,
                        base={"text": comment.text},
                        origin="client",
                    )
                )
                continue
        ctx.emit(
            CopyClientComment(
                key=f"client:{comment.id}",  # a label for the audit log: the pair's key is the copy's id
                client_id=comment.id,
                client_task_id=comment.task_id,
                text=text,
                base={"text": comment.text},
                reason="client comment",
            )
        )


def _attributed(ctx: PlanContext, prefix: str, comment: Comment) -> str:
    name = comment.author.name if comment.author is not None and comment.author.name else "client"
    text = defuse_marker(localize(comment.text, ctx.internal_audience), ctx.rules.mirror.comment_marker)
    return fit_inbound(ctx, "comment", f"{prefix} {name}: {text}".strip(), comment.id)


def defuse_marker(text: str, marker: str) -> str:
    """A client's comment never carries a working share marker into the internal tool.

    Its internal copy must not go out again, to this client or to another client of
    the same project, even where the pair that says where it came from was lost
    (invariant 1); a word joiner after the marker's first character keeps it readable.
    """
    if len(marker) < 2:
        return text
    return re.sub(re.escape(marker), lambda m: m.group(0)[0] + "\u2060" + m.group(0)[1:], text, flags=re.IGNORECASE)


def plan_attachments(ctx: PlanContext) -> None:
    """Shared files go out as files or links (bridge/core/plan/files.py); the client's files come back."""
    if ctx.client_caps.attachments == "none":
        return
    # Unlinked client attachments: a link is found again by its URL. An uploaded copy (whose URL is
    # the client tool's own) is only nominated by its name and size on the same card: the engine
    # adopts it only if an upload was journaled and its bytes hash alike, so a crash between the
    # upload and its record never uploads twice and the client's own same-name file is never
    # taken for the copy (docs/files.md, "Never uploaded twice").
    by_url: dict[tuple[str, str], list[str]] = {}
    files: dict[tuple[str, str], list[Attachment]] = {}  # uploaded files by (task, name)
    for att in ctx.client.attachments.values():
        if ("attachment", att.id) not in ctx.claimed:
            if att.hosted:  # an upload is never a link's copy, whatever its URL
                files.setdefault((att.task_id, att.name), []).append(att)
            else:
                by_url.setdefault((att.task_id, att.url), []).append(att.id)
    nominated: set[tuple[str, str]] = set()
    for key, wanted in ctx.view.attachments.items():
        pair = ctx.pairs.get("attachment", key)
        if pair is not None and pair.origin == "client":
            continue
        current = ctx.client.attachments.get(pair.client_id or "") if pair else None
        decision = decide(ctx.facts(wanted=True, pair=pair, on_client=current is not None,
                                    host_archived=ctx.archived_host(wanted.task)))
        if decision is not Decision.CREATE:
            continue  # files are replaced, never edited
        source = ctx.internal.attachments.get(key)
        way = crossing(source, wanted.name, ctx.internal_caps, ctx.client_caps)
        size = source.size if way.file and source is not None else None
        host = ctx.client_id_of("task", wanted.task)
        twins = [i for i in by_url.get((host, wanted.url), []) if ("attachment", i) not in ctx.claimed] if host else []
        if twins:
            _adopt(ctx, "attachment", key, twins[0], {"name": way.name})
        elif wanted.task in ctx.view.tasks:
            candidates: tuple[str, ...] = ()
            if way.file and host:
                # Two shared files of one name may both name a candidate: its bytes tell whose copy it is.
                candidates = tuple(a.id for a in _by_age(files.get((host, way.name), []))
                                   if ("attachment", a.id) not in ctx.claimed and same_size(a.size, size))
                nominated.update(("attachment", c) for c in candidates)
            ctx.emit(CreateAttachment(key=key, task_key=wanted.task, name=way.name, url=wanted.url, file=way.file,
                                      size=size, base={"name": way.name}, candidates=candidates))
    # Candidates are held back from the client's input for this cycle; one the engine turns down is
    # taken in as her file on the next (its key then has a pair and nominates nothing).
    ctx.claimed.update(nominated)
    _remove_unshared(ctx, "attachment", set(ctx.view.attachments), ctx.client.attachments)
    if ctx.rules.inbound.files:
        _inbound_attachments(ctx)


def _by_age(attachments: list[Attachment]) -> list[Attachment]:
    return sorted(attachments, key=lambda a: (a.created_at is None, a.created_at, a.id))


def _inbound_attachments(ctx: PlanContext) -> None:
    """The client's uploaded files reach the internal task once, as files where the internal tool takes them
    (else as links to her copy).

    The copy's name never carries a working file marker (``defuse_marker``), and its pair has the
    client as origin, so it never goes out again, to this client or another (docs/mirror-rules.md).
    """
    marker = ctx.rules.mirror.file_marker
    linked = {p.internal_id for p in ctx.pairs.of_kind("attachment") if p.internal_id}
    # Internal attachments no pair holds: a link the bridge made whose pair was lost is found again by
    # its URL; an uploaded copy is only nominated, and the engine's hash check decides (as outbound).
    by_url: dict[tuple[str, str, str], list[str]] = {}
    files: dict[tuple[str, str], list[Attachment]] = {}
    for att in ctx.internal.attachments.values():
        if att.id not in linked and att.id not in ctx.view.attachments:
            if att.hosted:
                files.setdefault((att.task_id, att.name), []).append(att)
            else:
                by_url.setdefault((att.task_id, att.name, att.url), []).append(att.id)
    adopted: set[str] = set()
    for att in _by_age(list(ctx.client.attachments.values())):
        if not att.hosted or ctx.pairs.for_client("attachment", att.id) is not None or ("attachment", att.id) in ctx.claimed:
            continue  # links the client adds stay hers; only uploaded files come back
        task_pair = ctx.pairs.for_client("task", att.task_id)
        internal_task = task_pair.internal_id if task_pair else ctx.adopted_back.get(("task", att.task_id))
        if internal_task is None and att.task_id not in ctx.requested:
            continue  # a card the mirror does not hold
        way = crossing(att, defuse_marker(att.name, marker), ctx.client_caps, ctx.internal_caps)
        size = att.size if way.file else None
        candidates: tuple[str, ...] = ()
        if internal_task is not None:
            if way.file:
                candidates = tuple(a.id for a in _by_age(files.get((internal_task, way.name), []))
                                   if same_size(a.size, size) and a.id not in adopted)
            else:
                twins = [t for t in by_url.get((internal_task, way.name, att.url), []) if t not in adopted]
                if twins:  # linked before, but the pair was lost: adopt the link
                    twin = twins[0]
                    adopted.add(twin)
                    ctx.claimed.add(("attachment", att.id))
                    ctx.emit(Adopt(side="internal", kind="attachment", key=twin, internal_id=twin, client_id=att.id,
                                   base={"name": att.name}, origin="client"))
                    continue
        ctx.emit(CopyClientAttachment(key=f"client:{att.id}", client_id=att.id, client_task_id=att.task_id,
                                      name=way.name, url=att.url, file=way.file, size=size,
                                      base={"name": att.name}, reason="client file", candidates=candidates))


def _adopt(ctx: PlanContext, kind: ItemKind, key: str, client_id: str, base: dict[str, Any]) -> None:
    """Claim an unlinked client item equal to a mirror item (a lost response, a lost state store)."""
    ctx.adopt(kind, key, client_id)
    ctx.emit(Adopt(kind=kind, key=key, client_id=client_id, internal_id=key, base=base))


def _remove_unshared(ctx: PlanContext, kind: ItemKind, shared: set[str], on_client: Mapping[str, object]) -> None:
    """Mirrors of items that stopped being shared (or were deleted) leave the client side."""
    for pair in ctx.pairs.of_kind(kind):
        if pair.origin != "internal" or pair.key in shared:
            continue
        decision = decide(ctx.facts(wanted=False, pair=pair, on_client=pair.client_id in on_client))
        if decision is Decision.REMOVE and pair.client_id:
            remove = RemoveComment if kind == "comment" else RemoveAttachment
            ctx.emit(remove(key=pair.key, target_id=pair.client_id, reason="no longer shared"))
        elif decision is Decision.FORGET:
            ctx.emit(Forget(kind=kind, key=pair.key))
