"""What the memory tool does on each write: validate like a real API, store, and log the change.

Each operation runs for an authenticated user under the world's lock and
returns the canonical object as now stored (a copy, so callers can't reach
into the world). Items are refused the way tools refuse them: unknown or
hidden items are NotFound, impossible values are Invalid.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import Any

from pydantic import ValidationError

from bridge.core.fields import patched
from bridge.core.model import Attachment, Comment, Section, Task
from bridge.core.ports import TASK_FIELDS, NewTask
from bridge.errors import Invalid, NotFound
from connectors.memory.store import Project, Record, Store

UPDATABLE = TASK_FIELDS | {"custom_fields"}
REMOVAL_MODES = frozenset({"archive", "delete"})


class Operations(ABC):
    """Server-side behaviour; :class:`~connectors.memory.world.MemoryWorld` adds users, faults and calls."""

    def __init__(self) -> None:
        self.store = Store()

    @abstractmethod
    def new_id(self) -> str:
        """A fresh id; the world decides their shape."""

    @abstractmethod
    def now(self) -> dt.datetime:
        """The tool's clock (the world's, so tests can steer it)."""

    @property
    @abstractmethod
    def base_url(self) -> str:
        """Where the world lives; its tasks' pages hang under it."""

    def task_url(self, project_id: str, task_id: str) -> str:
        # The world's name keeps two worlds' pages apart: their id counters overlap.
        return f"{self.base_url}/{project_id}/{task_id}"

    # -- lookups ----------------------------------------------------------

    def project(self, user: str, project_id: str) -> Project:
        project = self.store.projects.get(project_id)
        if project is None or user not in project.members:
            raise NotFound(f"memory: project {project_id} not found", status=404, hint="check the link's project id")
        return project

    def _section(self, project_id: str, section_id: str) -> Record[Section]:
        rec = self.store.sections.get(section_id)
        if rec is None or rec.project_id != project_id or rec.removed_seq is not None:
            raise NotFound(f"memory: section {section_id} not found", status=404)
        return rec

    def _task(self, project_id: str, task_id: str) -> Record[Task]:
        rec = self.store.tasks.get(task_id)
        if rec is None or rec.project_id != project_id or rec.removed_seq is not None:
            raise NotFound(f"memory: task {task_id} not found", status=404)
        parent = rec.value.parent_id
        if parent is not None:
            self._task(project_id, parent)
        return rec

    def _comment(self, project_id: str, comment_id: str) -> Record[Comment]:
        rec = self.store.comments.get(comment_id)
        if rec is None or rec.project_id != project_id or rec.removed_seq is not None:
            raise NotFound(f"memory: comment {comment_id} not found", status=404)
        self._task(project_id, rec.value.task_id)
        return rec

    def _attachment(self, project_id: str, attachment_id: str) -> Record[Attachment]:
        rec = self.store.attachments.get(attachment_id)
        if rec is None or rec.project_id != project_id or rec.removed_seq is not None:
            raise NotFound(f"memory: attachment {attachment_id} not found", status=404)
        self._task(project_id, rec.value.task_id)
        return rec

    # -- sections ---------------------------------------------------------

    def op_create_section(self, user: str, project_id: str, name: str) -> Section:
        _require_text(name, "section name")
        sid = self.new_id()
        positions = [r.value.position for r in self.store.sections.values() if r.project_id == project_id]
        seq = self.store.record(project_id, "section", sid, user, "create")
        section = Section(id=sid, name=name, position=max(positions, default=0.0) + 1.0, version=str(seq))
        self.store.sections[sid] = Record(section, project_id, user, seq)
        return section.model_copy()

    def op_update_section(self, user: str, project_id: str, section_id: str, name: str) -> Section:
        _require_text(name, "section name")
        rec = self._section(project_id, section_id)
        seq = self.store.record(project_id, "section", section_id, user, "update")
        rec.value = rec.value.model_copy(update={"name": name, "version": str(seq)})
        return rec.value.model_copy()

    def op_remove_section(self, user: str, project_id: str, section_id: str, mode: str) -> None:
        _require_mode(mode)
        rec = self._section(project_id, section_id)
        # The tasks of a removed section stay in the project, outside any section.
        for task in self.store.tasks.values():
            if task.project_id == project_id and task.removed_seq is None and task.value.section_id == section_id:
                seq = self.store.record(project_id, "task", task.value.id, user, "update")
                task.value = task.value.model_copy(update={"section_id": None, "version": str(seq), "modified_at": self.now()})
        rec.removed_seq = self.store.record(project_id, "section", section_id, user, "remove")

    # -- tasks ------------------------------------------------------------

    def op_create_task(self, user: str, project_id: str, new: NewTask) -> Task:
        tid = self.new_id()
        fields = new.model_dump()
        self._check_task_fields(project_id, tid, fields)
        self.store.projects[project_id].labels.update(new.labels)
        now = self.now()
        seq = self.store.record(project_id, "task", tid, user, "create")
        task = _validated(
            {
                **fields,
                "id": tid,
                "created_at": now,
                "modified_at": now,
                "version": str(seq),
                "position": self._next_position(project_id, new.section_id, new.parent_id),
                "url": self.task_url(project_id, tid),
            }
        )
        self.store.tasks[tid] = Record(task, project_id, user, seq)
        return task.model_copy(deep=True)

    def op_update_task(self, user: str, project_id: str, task_id: str, changes: dict[str, Any]) -> Task:
        rec = self._task(project_id, task_id)
        changes = dict(changes)
        if "after" in changes:
            section = changes.get("section_id", rec.value.section_id)
            changes["position"] = self._position_after(project_id, task_id, section, changes.pop("after"))
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise Invalid(f"memory: tasks have no field(s) {', '.join(sorted(unknown))}", status=400)
        self._check_task_fields(project_id, task_id, changes)
        update = dict(changes)
        current = rec.value
        if "custom_fields" in changes:  # a patch: the fields it names (bridge/core/fields.py)
            update["custom_fields"] = patched(current.custom_fields, changes["custom_fields"] or {})
        moved = "section_id" in changes and changes["section_id"] != current.section_id
        if (moved or "parent_id" in changes) and "position" not in changes:
            update["position"] = self._next_position(
                project_id, update.get("section_id", current.section_id), update.get("parent_id", current.parent_id)
            )
        self.store.projects[project_id].labels.update(changes.get("labels") or [])
        seq = self.store.record(project_id, "task", task_id, user, "update")
        rec.value = _validated({**current.model_dump(), **update, "modified_at": self.now(), "version": str(seq)})
        return rec.value.model_copy(deep=True)

    def op_remove_task(self, user: str, project_id: str, task_id: str, mode: str) -> None:
        _require_mode(mode)
        rec = self._task(project_id, task_id)
        rec.removed_seq = self.store.record(project_id, "task", task_id, user, "remove")

    def _position_after(self, project_id: str, task_id: str, section_id: str | None, after: str | None) -> float:
        """A position right after ``after`` in the section (at the top for None), between it and the next."""
        siblings = sorted(
            r.value.position
            for r in self.store.tasks.values()
            if r.project_id == project_id and r.removed_seq is None and r.value.section_id == section_id
            and r.value.parent_id is None and r.value.id != task_id
        )
        if after is None:
            return (siblings[0] if siblings else 1.0) - 1.0
        anchor = self._task(project_id, after).value.position
        following = [p for p in siblings if p > anchor]
        return (anchor + following[0]) / 2 if following else anchor + 1.0

    def _next_position(self, project_id: str, section_id: str | None, parent_id: str | None) -> float:
        siblings = [
            r.value.position
            for r in self.store.tasks.values()
            if r.project_id == project_id and r.value.section_id == section_id and r.value.parent_id == parent_id
        ]
        return max(siblings, default=0.0) + 1.0

    def _check_task_fields(self, project_id: str, task_id: str, fields: dict[str, Any]) -> None:
        if "title" in fields:
            _require_text(fields["title"], "task title")
        if fields.get("section_id") is not None:
            self._section(project_id, fields["section_id"])
        for uid in fields.get("assignees") or []:
            if uid not in self.store.projects[project_id].members:
                raise Invalid(f"memory: user {uid} cannot be assigned in this project", status=400)
        for label in fields.get("labels") or []:
            _require_text(label, "label")
        parent_id = fields.get("parent_id")
        if parent_id is not None:
            parent = self._task(project_id, parent_id).value
            if parent.parent_id is not None or parent_id == task_id:
                raise Invalid("memory: a subtask's parent must be a top-level task", status=400)
            if any(r.value.parent_id == task_id and r.removed_seq is None for r in self.store.tasks.values()):
                raise Invalid("memory: a task with subtasks cannot become a subtask", status=400)

    # -- comments and attachments -------------------------------------------

    def op_create_comment(self, user: str, project_id: str, task_id: str, text: str) -> Comment:
        _require_text(text, "comment")
        self._task(project_id, task_id)
        cid = self.new_id()
        seq = self.store.record(project_id, "comment", cid, user, "create")
        comment = Comment(
            id=cid, task_id=task_id, text=text, author=self.store.users[user], created_at=self.now(), version=str(seq)
        )
        self.store.comments[cid] = Record(comment, project_id, user, seq)
        return comment.model_copy(deep=True)

    def op_update_comment(self, user: str, project_id: str, comment_id: str, text: str) -> Comment:
        _require_text(text, "comment")
        rec = self._comment(project_id, comment_id)
        if rec.author != user:
            raise Invalid("memory: only a comment's author may edit it", status=403)
        seq = self.store.record(project_id, "comment", comment_id, user, "update")
        rec.value = rec.value.model_copy(update={"text": text, "version": str(seq)})
        return rec.value.model_copy(deep=True)

    def op_remove_comment(self, user: str, project_id: str, comment_id: str) -> None:
        rec = self._comment(project_id, comment_id)
        if rec.author != user:
            raise Invalid("memory: only a comment's author may remove it", status=403)
        rec.removed_seq = self.store.record(project_id, "comment", comment_id, user, "remove")

    def op_create_attachment(self, user: str, project_id: str, task_id: str, name: str, url: str) -> Attachment:
        _require_text(name, "attachment name")
        if not url.startswith(("http://", "https://")):
            raise Invalid("memory: an attachment link must be an http(s) URL", status=400)
        self._task(project_id, task_id)
        aid = self.new_id()
        seq = self.store.record(project_id, "attachment", aid, user, "create")
        attachment = Attachment(id=aid, task_id=task_id, name=name, url=url, created_at=self.now(), version=str(seq))
        self.store.attachments[aid] = Record(attachment, project_id, user, seq)
        return attachment.model_copy()

    def op_upload_attachment(self, user: str, project_id: str, task_id: str, name: str, content: bytes,
                             content_type: str) -> Attachment:
        _require_text(name, "attachment name")
        self._task(project_id, task_id)
        aid = self.new_id()
        seq = self.store.record(project_id, "attachment", aid, user, "create")
        attachment = Attachment(id=aid, task_id=task_id, name=name, url=f"https://memory.invalid/files/{aid}",
                                created_at=self.now(), version=str(seq), hosted=True, size=len(content))
        self.store.attachments[aid] = Record(attachment, project_id, user, seq)
        self.store.files[aid] = (content, content_type)
        return attachment.model_copy()

    def op_file(self, project_id: str, attachment_id: str) -> tuple[bytes, str]:
        self._attachment(project_id, attachment_id)
        found = self.store.files.get(attachment_id)
        if found is None:
            raise NotFound(f"memory: attachment {attachment_id} is a link, not a file", status=404)
        return found

    def op_remove_attachment(self, user: str, project_id: str, attachment_id: str) -> None:
        rec = self._attachment(project_id, attachment_id)
        rec.removed_seq = self.store.record(project_id, "attachment", attachment_id, user, "remove")


def _validated(fields: dict[str, Any]) -> Task:
    try:
        return Task.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Invalid(f"memory: invalid task fields ({problems})", status=400) from None


def _require_text(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"memory: {what} must be a non-empty string", status=400)


def _require_mode(mode: str) -> None:
    if mode not in REMOVAL_MODES:
        raise Invalid(f"memory: unknown removal mode {mode!r}", status=400)
