"""What the target should hold: the mirror view of the source, shaped for a one-off copy.

The sync engine's mirror filter decides what goes over and how fields are
projected. A migration then adds what only a copy needs: every comment names
its original author and date ("Anna Agency, 2026-03-02: ..."), because the
copy is written by the bridge's user at another time; and on a target that
holds no attachments but takes comments (GitHub) each file travels as a
comment holding its link.

When the projects stay linked (``--keep-linked``) the view is exactly the
link's: the sync that follows compares against it, and any difference would
be "corrected" by rewriting every comment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bridge.core.markers import marked, read_comment, strip_exact
from bridge.core.mirror import MirrorItem, MirrorView, mirror
from bridge.core.model import Comment, Snapshot
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules

FILE_COMMENT = "file:"  # key prefix of the comments that carry a file's link

_FAR_PAST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class MigrationView:
    view: MirrorView
    # Sort key per comment/attachment key: the target shows them in the order they were written.
    written_at: dict[str, dt.datetime] = field(default_factory=dict)
    files_as_comments: int = 0


def attribution(comment: Comment, marker: str, source: Snapshot, host: str, cut: str | None = None) -> str:
    """``Author, YYYY-MM-DD: text`` (plus the subtask's title when it was written on one)."""
    author = comment.author
    known = source.people.get(author.id) if author else None  # a fuller record (GitHub comments carry only the login)
    name = (known.name if known and known.name else "") or (author.name if author else "") or "Unknown author"
    parts = [name]
    if comment.created_at is not None:
        parts.append(comment.created_at.date().isoformat())
    if comment.task_id != host:
        subtask = source.tasks.get(comment.task_id)
        if subtask is not None:
            parts.append(f"on subtask “{subtask.title}”")
    return ", ".join(parts) + ": " + read_comment(comment.text, marker, cut).text


def build_view(source: Snapshot, target: Snapshot, rules: LinkRules, caps: Capabilities, *, as_link: bool) -> MigrationView:
    view = mirror(source, target.people, rules, caps)
    result = MigrationView(view)
    for key in view.comments:
        original = source.comments.get(key)
        result.written_at[key] = _aware(original.created_at if original else None)
    for key, attachment in source.attachments.items():
        result.written_at[key] = _aware(attachment.created_at)
    if as_link:
        return result
    marker = rules.mirror.comment_marker
    for key, item in view.comments.items():
        original = source.comments.get(key)
        if original is not None:
            item.text = attribution(original, marker, source, item.task, rules.mirror.fields.notes_cut)
    if caps.attachments == "none" and caps.comments:
        result.files_as_comments = _files_as_comments(source, rules, result)
    return result


def _files_as_comments(source: Snapshot, rules: LinkRules, result: MigrationView) -> int:
    view, marker = result.view, rules.mirror.file_marker
    added = 0
    for attachment in source.attachments.values():
        shown = view.tasks.get(attachment.task_id)
        if shown is None or not marked(attachment.name, marker):
            continue
        name = strip_exact(attachment.name, marker)
        key = FILE_COMMENT + attachment.id
        view.comments[key] = MirrorItem(key=key, task=shown.parent or shown.key, text=f"Attachment: {name} {attachment.url}")
        result.written_at[key] = _aware(attachment.created_at)
        added += 1
    return added


def _aware(stamp: dt.datetime | None) -> dt.datetime:
    if stamp is None:
        return _FAR_PAST
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
