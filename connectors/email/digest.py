"""What a digest says, and when it is due: pure functions of the recorded changes, the view and the clock.

The digest is built from the view as it is *now*: a change whose task, comment or file has
left the view since (hidden again, removed) is dropped, and titles and texts are today's. So a
digest never shows more than the client's view holds at the moment it is sent (invariant 1,
docs/email.md).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.config.email import ScheduleSettings
from bridge.core.model import Snapshot, Task

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Change:
    id: int
    kind: str  # new, completed, due, comment, file, awaiting
    task_id: str
    data: dict[str, Any]


@dataclass
class DigestItem:
    task_id: str
    title: str
    section: str
    reply_to: str
    due: dt.date | None = None
    detail: str = ""  # the comment's text, the file's name, "from X to Y"
    url: str = ""  # a file's link
    notes: str = ""


@dataclass
class Digest:
    project: str
    new: list[DigestItem] = field(default_factory=list)
    completed: list[DigestItem] = field(default_factory=list)
    due_moved: list[DigestItem] = field(default_factory=list)
    comments: list[DigestItem] = field(default_factory=list)
    files: list[DigestItem] = field(default_factory=list)
    awaiting: list[DigestItem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing changed since the last digest (items still waiting alone send no mail)."""
        return not (self.new or self.completed or self.due_moved or self.comments or self.files)


def awaiting_tasks(view: Snapshot, approval_sections: Iterable[str]) -> list[Task]:
    """Open tasks in a section whose client-side name means "waiting for your approval"."""
    names = {name.casefold() for name in approval_sections}
    sections = {s.id for s in view.sections.values() if s.name.casefold() in names}
    tasks = [t for t in view.tasks.values() if t.section_id in sections and not t.done]
    return sorted(tasks, key=lambda t: (t.position, t.id))


def build_digest(
    changes: Iterable[Change], view: Snapshot, approval_sections: Iterable[str], reply_to: Callable[[str], str]
) -> Digest:
    digest = Digest(project=view.project_name or view.project_id)

    def item(task: Task, **extra: Any) -> DigestItem:
        section = view.sections.get(task.section_id or "")
        return DigestItem(task_id=task.id, title=task.title, section=section.name if section else "", due=task.due,
                          reply_to=reply_to(task.id), **extra)

    seen: set[tuple[str, str]] = set()
    moves: dict[str, tuple[str | None, str | None]] = {}
    for change in changes:
        task = view.tasks.get(change.task_id)
        if task is None:
            continue  # no longer in the client's view: never in a digest
        once = (change.kind, change.task_id if change.kind not in ("comment", "file") else str(change.data.get("id")))
        if once in seen and change.kind != "due":
            continue
        seen.add(once)
        if change.kind == "new":
            digest.new.append(item(task, notes=task.notes))
        elif change.kind == "completed" and task.done:
            digest.completed.append(item(task))
        elif change.kind == "due":
            before = moves.get(task.id, (change.data.get("old"), None))[0]
            moves[task.id] = (before, change.data.get("new"))
        elif change.kind == "comment":
            comment = view.comments.get(str(change.data.get("id")))
            if comment is not None:
                digest.comments.append(item(task, detail=comment.text))
        elif change.kind == "file":
            attachment = view.attachments.get(str(change.data.get("id")))
            if attachment is not None:
                digest.files.append(item(task, detail=attachment.name, url=attachment.url))
    new_ids = {i.task_id for i in digest.new}
    for task_id, (old, _) in moves.items():
        task = view.tasks[task_id]
        current = task.due.isoformat() if task.due else None
        if task_id in new_ids or old == current:
            continue
        digest.due_moved.append(item(task, detail=f"{old or 'no date'} → {current or 'no date'}"))
    digest.awaiting = [item(task, notes=task.notes) for task in awaiting_tasks(view, approval_sections)]
    return digest


def last_slot(now: dt.datetime, schedule: ScheduleSettings) -> dt.datetime:
    """The latest scheduled digest time at or before ``now``, in the client's time zone (DST-aware)."""
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    local = now.astimezone(zone)
    slot = dt.datetime.combine(local.date(), dt.time(schedule.hour), tzinfo=zone)
    if slot > local:
        slot -= dt.timedelta(days=1)
    if schedule.every == "weekly":
        back = (slot.weekday() - WEEKDAYS.index(schedule.weekday)) % 7
        slot -= dt.timedelta(days=back)
    # Re-read the wall time in the zone, so a slot across a DST change keeps its hour.
    return dt.datetime.combine(slot.date(), dt.time(schedule.hour), tzinfo=zone)


def digest_due(now: dt.datetime, since: dt.datetime, schedule: ScheduleSettings) -> bool:
    """A scheduled time has passed since ``since`` (the last digest, or when the connection started)."""
    return last_slot(now, schedule) > since
