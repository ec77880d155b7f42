"""What a migration cannot carry over, and why: the report's "not carried" list.

Computed from the source snapshot and the planned view before anything is
written, so a dry run shows it too. Two kinds: ``lost`` (the target cannot
hold it, or the filter keeps it back) and ``changed`` (it arrives in another
form, e.g. a subtask as a task of its own, a file as a comment with its link).
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel

from bridge.core.model import Snapshot, Task
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules
from bridge.migrate.fields import field_losses
from bridge.migrate.view import FILE_COMMENT, MigrationView

_FIELD_NOUNS = {
    "notes": "notes", "due": "due dates", "start": "start dates", "assignees": "assignees",
    "labels": "labels", "done": "done states",
}


class Loss(BaseModel):
    what: str  # e.g. "due dates"
    count: int
    reason: str
    kind: Literal["lost", "changed"] = "lost"

    def line(self) -> str:
        return f"{self.what} ({self.count}): {self.reason}"


def _has(task: Task, name: str) -> bool:
    value = getattr(task, name)
    return bool(value) if name != "done" else value is True


def find_losses(source: Snapshot, target: Snapshot, planned: MigrationView, caps: Capabilities, tool: str,
                rules: LinkRules | None = None) -> list[Loss]:
    view = planned.view
    lost: Counter[tuple[str, str, str]] = Counter()
    emails = {p.email.casefold() for p in target.people.values() if p.email}
    for key, shown in view.tasks.items():
        task = source.tasks.get(key)
        if task is None:
            continue
        nested = shown.parent is not None
        allowed = caps.subtask_fields if nested else caps.task_fields
        holder = f"{tool} {'subtasks' if nested else 'tasks'}"
        for name, noun in _FIELD_NOUNS.items():
            if not _has(task, name) or name in shown.fields:
                continue
            if name in allowed:
                lost[("lost", noun, "the filter keeps them internal")] += 1
            else:
                lost[("lost", noun, f"{holder} cannot hold {noun}")] += 1
        if "assignees" in shown.fields:
            for person_id in task.assignees:
                person = source.people.get(person_id)
                if not (person and person.email and person.email.casefold() in emails):
                    lost[("changed", "assignees", f"no {tool} account with their email: named in the notes instead")] += 1
        if task.parent_id and not nested:
            why = "subtasks of subtasks" if source.tasks.get(task.parent_id, task).parent_id else "subtasks"
            reason = (f"{tool} has no subtasks: copied as tasks of their own" if not caps.subtask_fields
                      else f"{why} copied as tasks of their own (parent left out or nested too deep)")
            lost[("changed", "subtasks", reason)] += 1
    for key, item in view.comments.items():
        original = source.comments.get(key)
        if original is not None and original.task_id != item.task:
            lost[("changed", "comments on subtasks", f"{tool} subtasks hold no comments: copied onto the parent")] += 1
    if planned.files_as_comments:
        lost[("changed", "attachments", f"{tool} holds no attachments: each became a comment with its link")] += (
            planned.files_as_comments)
    # Custom field values, by field: not chosen, or the target cannot hold them (bridge/migrate/fields.py).
    field_losses(source, target, view, rules or LinkRules(), caps, tool, lost)
    _left_out(source, planned, caps, tool, lost)
    return [Loss(kind=kind, what=what, reason=reason, count=n) for (kind, what, reason), n in sorted(lost.items())]


def _left_out(source: Snapshot, planned: MigrationView, caps: Capabilities, tool: str,
              lost: Counter[tuple[str, str, str]]) -> None:
    view = planned.view
    hidden = [t for t in source.tasks if t not in view.tasks]
    if hidden:
        lost[("lost", "tasks", "the filter does not share them")] += len(hidden)
    for comment in source.comments.values():
        if comment.id in view.comments:
            continue
        if not caps.comments:
            lost[("lost", "comments", f"{tool} holds no comments")] += 1
        elif comment.task_id not in view.tasks:
            lost[("lost", "comments", "their task is not shared")] += 1
        else:
            lost[("lost", "comments", "the filter does not share them")] += 1
    carried = {k[len(FILE_COMMENT):] for k in view.comments if k.startswith(FILE_COMMENT)}
    files = [a for a in source.attachments.values() if a.id not in view.attachments and a.id not in carried]
    if files:
        reason = f"{tool} holds no attachments or comments" if caps.attachments == "none" else "the filter does not share them"
        lost[("lost", "attachments", reason)] += len(files)
