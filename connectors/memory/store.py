"""The memory tool's storage: records with a lifetime in the change log, and snapshots read from them.

Every record remembers the log sequence number that created it and the one
that removed it (archive or delete), so a listing can be read "as of" an
earlier point of the log: that is how the LAG fault shows a listing that
has not caught up with recent writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task

ItemKind = Literal["section", "task", "comment", "attachment"]
Action = Literal["create", "update", "remove"]
V = TypeVar("V", bound=BaseModel)


@dataclass
class Record(Generic[V]):
    """One stored item; ``value`` is the canonical object as the tool holds it now."""

    value: V
    project_id: str
    author: str
    created_seq: int
    removed_seq: int | None = None

    def alive_at(self, seq: int) -> bool:
        return self.created_seq <= seq and (self.removed_seq is None or self.removed_seq > seq)


@dataclass(frozen=True)
class Change:
    """One entry of the change log: who touched which item of which project."""

    seq: int
    project_id: str
    kind: ItemKind
    item_id: str
    author: str
    action: Action


@dataclass
class Project:
    name: str
    members: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)


class Store:
    """Items of every project plus the global change log; callers hold the world's lock."""

    def __init__(self) -> None:
        self.projects: dict[str, Project] = {}
        self.users: dict[str, Person] = {}
        self.sections: dict[str, Record[Section]] = {}
        self.tasks: dict[str, Record[Task]] = {}
        self.comments: dict[str, Record[Comment]] = {}
        self.attachments: dict[str, Record[Attachment]] = {}
        self.files: dict[str, tuple[bytes, str]] = {}  # uploaded attachments' bytes and content type
        self.log: list[Change] = []  # log[i].seq == i + 1

    @property
    def head(self) -> int:
        return len(self.log)

    def record(self, project_id: str, kind: ItemKind, item_id: str, author: str, action: Action) -> int:
        seq = self.head + 1
        self.log.append(Change(seq, project_id, kind, item_id, author, action))
        return seq

    def changes(self, project_id: str, after: int, upto: int) -> list[Change]:
        return [c for c in self.log[after:upto] if c.project_id == project_id]

    # -- reading a project as of a log position ---------------------------

    def snapshot(self, connection: str, project_id: str, upto: int) -> Snapshot:
        project = self.projects[project_id]
        snap = Snapshot(connection=connection, project_id=project_id, project_name=project.name)
        snap.sections = _alive(self.sections.values(), project_id, upto)
        snap.tasks = _alive(self.tasks.values(), project_id, upto)
        snap.comments = _alive(self.comments.values(), project_id, upto)
        snap.attachments = _alive(self.attachments.values(), project_id, upto)
        prune(snap)
        snap.people = self.people(snap, project)
        return snap

    def apply(self, previous: Snapshot, changes: Iterable[Change], upto: int) -> Snapshot:
        """The previous snapshot with every item the changes touched re-read as of ``upto``."""
        snap = previous.model_copy(deep=True)
        for change in changes:
            table = self._table(change.kind)
            target = getattr(snap, change.kind + "s")
            rec = table.get(change.item_id)
            if rec is not None and rec.alive_at(upto):
                target[change.item_id] = rec.value.model_copy(deep=True)
            else:
                target.pop(change.item_id, None)
        prune(snap)
        snap.people = self.people(snap, self.projects[previous.project_id])
        return snap

    def people(self, snap: Snapshot, project: Project) -> dict[str, Person]:
        ids = set(project.members)
        ids.update(c.author.id for c in snap.comments.values() if c.author)
        for task in snap.tasks.values():
            ids.update(task.assignees)
        return {uid: self.users[uid] for uid in sorted(ids) if uid in self.users}

    def _table(self, kind: ItemKind) -> dict[str, Record[Any]]:
        tables: dict[str, dict[str, Record[Any]]] = {
            "section": self.sections,
            "task": self.tasks,
            "comment": self.comments,
            "attachment": self.attachments,
        }
        return tables[kind]


def _alive(records: Iterable[Record[V]], project_id: str, upto: int) -> dict[str, V]:
    out: dict[str, V] = {}
    for rec in records:
        if rec.project_id == project_id and rec.alive_at(upto):
            out[rec.value.id] = rec.value.model_copy(deep=True)  # type: ignore[attr-defined]
    return out


def prune(snap: Snapshot) -> None:
    """Drop what hangs off a hidden item: subtasks of a hidden parent, its comments and files."""
    orphans = [t.id for t in snap.tasks.values() if t.parent_id is not None and t.parent_id not in snap.tasks]
    for tid in orphans:
        del snap.tasks[tid]
    for cid in [c.id for c in snap.comments.values() if c.task_id not in snap.tasks]:
        del snap.comments[cid]
    for aid in [a.id for a in snap.attachments.values() if a.task_id not in snap.tasks]:
        del snap.attachments[aid]
