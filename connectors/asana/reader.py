"""Every read the Asana connector makes, and the full pull built from them.

Asana has no project-wide listing of stories or attachments, so a full pull
costs one request per page of tasks plus two per task (stories, attachments)
and one more per task that has subtasks. Those per-task reads run on a small
thread pool (at most four at a time, well inside Asana's 50 concurrent GETs).

The same reads can also come in parts (``parts``): the listing is read page by
page, and every few tasks are handed over with their subtasks, comments and
attachments, so a migration starts writing while the rest is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bridge.core.fields import FieldDef
from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task
from bridge.core.ports import DetailFilter
from bridge.errors import Malformed, NotFound
from bridge.http import HttpClient, iter_offset
from connectors.asana.translate import (
    ATTACHMENT_FIELDS,
    EVENT_FIELDS,
    FIELD_SETTING_FIELDS,
    STORY_FIELDS,
    TASK_FIELDS,
    Change,
    attachment_from_payload,
    change_from_event,
    comment_from_story,
    data_of,
    field_defs,
    gid_of,
    num_subtasks,
    person_from_user,
    project_from_payload,
    section_from_payload,
    task_from_payload,
)

PAGE = 100
FIRST_PART = 10  # tasks in the first part of a parted pull: small, so the caller can start early
X = TypeVar("X")
Y = TypeVar("Y")


@dataclass
class EventBatch:
    changes: list[Change]
    sync: str
    expired: bool = False  # 412: the token was refused; ``sync`` is a fresh one


@dataclass
class TaskDetail:
    """What hangs off one task: its comments and attachments."""

    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


class AsanaReader:
    def __init__(self, client: HttpClient, pool: ThreadPoolExecutor) -> None:
        self.client = client
        self.pool = pool

    def parallel(self, fn: Callable[[X], Y], items: Iterable[X]) -> list[Y]:
        return list(self.pool.map(fn, items))

    def _list(self, path: str, params: dict[str, Any]) -> list[Any]:
        return list(iter_offset(self.client, path, {**params, "limit": PAGE}))

    # -- small reads ------------------------------------------------------------------------

    def me(self) -> Person:
        return person_from_user(data_of(self.client.get_json("users/me", params={"opt_fields": "name,email"}), "users/me"))

    def project(self, project_id: str) -> tuple[str, str]:
        """(name, workspace gid); NotFound names the project when the token cannot see it."""
        try:
            body = self.client.get_json(f"projects/{project_id}", params={"opt_fields": "name,workspace"})
        except NotFound:
            raise self._missing(project_id) from None
        return project_from_payload(data_of(body, "project"))

    def _missing(self, project_id: str) -> NotFound:
        return NotFound(
            f"asana: project {project_id} does not exist or this token cannot see it",
            status=404,
            hint="check the project gid in the link config and that the token's user is a member",
        )

    def people(self, workspace: str) -> dict[str, Person]:
        users = self._list("users", {"workspace": workspace, "opt_fields": "name,email"})
        return {p.id: p for p in map(person_from_user, users)}

    def fields(self, project_id: str) -> dict[str, FieldDef]:
        """The project's custom fields (bridge/core/fields.py), for the planner's checks."""
        return field_defs(self._list(f"projects/{project_id}/custom_field_settings", {"opt_fields": FIELD_SETTING_FIELDS}))

    def sections(self, project_id: str) -> list[Section]:
        raw = self._list(f"projects/{project_id}/sections", {"opt_fields": "name"})
        return [section_from_payload(s, float(i)) for i, s in enumerate(raw)]

    def section_order(self, section_id: str) -> list[str]:
        return [gid_of(t, "task") for t in self._list(f"sections/{section_id}/tasks", {})]

    # -- tasks ------------------------------------------------------------------------------

    def tasks(self, project_id: str) -> list[dict[str, Any]]:
        return self._list("tasks", {"project": project_id, "opt_fields": TASK_FIELDS})

    def modified_tasks(self, project_id: str, since: str) -> Iterator[dict[str, Any]]:
        """The project's tasks modified since ``since`` (ISO 8601), in full, a page of 100 read as it is reached."""
        params = {"project": project_id, "modified_since": since, "opt_fields": TASK_FIELDS, "limit": PAGE}
        return iter_offset(self.client, "tasks", params)

    def task(self, gid: str) -> dict[str, Any] | None:
        """A task's current state, or None when it was deleted."""
        try:
            body = self.client.get_json(f"tasks/{gid}", params={"opt_fields": TASK_FIELDS})
        except NotFound:
            return None
        raw = data_of(body, "task")
        if not isinstance(raw, dict):
            raise Malformed("asana: the task response is not an object")
        return raw

    def subtask_payloads(self, parent: str) -> list[dict[str, Any]]:
        return self._list(f"tasks/{parent}/subtasks", {"opt_fields": TASK_FIELDS})

    def subtasks(self, parent: str) -> list[Task]:
        raw = self.subtask_payloads(parent)
        return [task_from_payload(r, "", position=float(i)).model_copy(update={"parent_id": parent}) for i, r in enumerate(raw)]

    def stories(self, task_id: str) -> list[dict[str, Any]]:
        return self._list(f"tasks/{task_id}/stories", {"opt_fields": STORY_FIELDS})

    def comments(self, task_id: str, people: dict[str, Person]) -> list[Comment]:
        found = (comment_from_story(s, task_id, people) for s in self.stories(task_id))
        return [c for c in found if c is not None]

    def attachments(self, task_id: str) -> list[Attachment]:
        raw = self._list("attachments", {"parent": task_id, "opt_fields": ATTACHMENT_FIELDS})
        return [attachment_from_payload(a, task_id) for a in raw]

    def activity(self, task_id: str, people: dict[str, Person]) -> TaskDetail:
        """A task's comments and attachments: two requests per task, so read only where wanted."""
        return TaskDetail(self.comments(task_id, people), self.attachments(task_id))

    def add_activity(self, snapshot: Snapshot, task_ids: list[str]) -> None:
        for task_id, detail in zip(task_ids, self.parallel(lambda t: self.activity(t, snapshot.people), task_ids), strict=True):
            snapshot.comments = {k: c for k, c in snapshot.comments.items() if c.task_id != task_id}
            snapshot.attachments = {k: a for k, a in snapshot.attachments.items() if a.task_id != task_id}
            snapshot.comments.update({c.id: c for c in detail.comments})
            snapshot.attachments.update({a.id: a for a in detail.attachments})

    # -- events -------------------------------------------------------------------------------

    def sync_token(self, project_id: str) -> str:
        """A fresh token: Asana answers 412 with one when asked without."""
        return self.events(project_id, None).sync

    def events(self, project_id: str, sync: str | None) -> EventBatch:
        """Every event since ``sync``, following ``has_more``."""
        changes: list[Change] = []
        while True:
            params = {"resource": project_id, "opt_fields": EVENT_FIELDS} | ({"sync": sync} if sync else {})
            try:
                response = self.client.request("GET", "events", params=params, ok=(412,))
            except NotFound:
                raise self._missing(project_id) from None
            body = response.json()
            token = body.get("sync") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise Malformed("asana: the /events response carries no sync token")
            if response.status == 412:
                return EventBatch([], token, expired=True)
            events = data_of(body, "events")
            if not isinstance(events, list):
                raise Malformed("asana: /events data is not a list")
            changes.extend(change_from_event(e) for e in events)
            sync = token
            if body.get("has_more") is not True:
                return EventBatch(changes, token)

    # -- the whole project ----------------------------------------------------------------------

    def snapshot(
        self, connection: str, project_id: str, project_name: str, workspace: str, wants: DetailFilter | None = None
    ) -> tuple[Snapshot, set[str]]:
        """The whole project, and the tasks whose comments and attachments ``wants`` let it skip."""
        snapshot = Snapshot(connection=connection, project_id=project_id, project_name=project_name)
        snapshot.sections = {s.id: s for s in self.sections(project_id)}
        raw_tasks = self.tasks(project_id)
        snapshot.people = self.people(workspace)
        snapshot.fields = self.fields(project_id)
        listed = {gid_of(r, "task") for r in raw_tasks}
        counters: dict[str | None, int] = {}
        parents: list[str] = []
        for raw in raw_tasks:
            task = task_from_payload(raw, project_id, people=snapshot.people)
            if task.parent_id in listed:
                continue  # a subtask also added to the project: it comes with its parent
            index = counters.get(task.section_id, 0)
            counters[task.section_id] = index + 1
            snapshot.tasks[task.id] = task.model_copy(update={"parent_id": None, "position": float(index)})
            if num_subtasks(raw) > 0:
                parents.append(task.id)
        # Subtasks first, for everyone: whether a task is wanted can depend on its parent.
        for subtasks in self.parallel(self.subtasks, parents):
            for sub in subtasks:
                snapshot.tasks[sub.id] = sub.model_copy(update={"section_id": None})
        wanted = set(wants(snapshot)) if wants is not None else set(snapshot.tasks)
        chosen = [t for t in snapshot.tasks if t in wanted]
        self.add_activity(snapshot, chosen)
        return snapshot, set(snapshot.tasks) - wanted

    def parts(self, connection: str, project_id: str, project_name: str, workspace: str) -> Iterator[Snapshot]:
        """The whole project in parts (bridge/core/ports.PartedPull): what ``snapshot`` reads, in the same order."""

        def part(tasks: list[Task], *, last: bool) -> Snapshot:
            out = Snapshot(connection=connection, project_id=project_id, project_name=project_name, complete=last)
            parents = [t.id for t in tasks if t.id in with_subtasks]
            out.tasks = {t.id: t for t in tasks}
            for subtasks in self.parallel(self.subtasks, parents):
                out.tasks.update({sub.id: sub.model_copy(update={"section_id": None}) for sub in subtasks})
            ids = list(out.tasks)
            for detail in self.parallel(lambda t: self.activity(t, people), ids):
                out.comments.update({c.id: c for c in detail.comments})
                out.attachments.update({a.id: a for a in detail.attachments})
            return out

        first = Snapshot(connection=connection, project_id=project_id, project_name=project_name, complete=False)
        first.sections = {s.id: s for s in self.sections(project_id)}
        people = first.people = self.people(workspace)
        first.fields = self.fields(project_id)
        yield first
        listed: set[str] = set()
        with_subtasks: set[str] = set()
        counters: dict[str | None, int] = {}
        waiting: list[tuple[str, Task]] = []  # (parent, task): a subtask also added to the project, its parent not listed yet
        batch: list[Task] = []
        size = FIRST_PART
        for raw in iter_offset(self.client, "tasks", {"project": project_id, "opt_fields": TASK_FIELDS, "limit": PAGE}):
            task = task_from_payload(raw, project_id, people=people)
            listed.add(task.id)
            if task.parent_id in listed:
                continue  # it comes with its parent
            index = counters.get(task.section_id, 0)
            counters[task.section_id] = index + 1
            placed = task.model_copy(update={"parent_id": None, "position": float(index)})
            if num_subtasks(raw) > 0:
                with_subtasks.add(task.id)
            if task.parent_id:
                waiting.append((task.parent_id, placed))  # settled once the listing is through (its parent may follow)
                continue
            batch.append(placed)
            if len(batch) >= size:
                yield part(batch, last=False)
                batch, size = [], min(size * 2, PAGE)
        batch.extend(t for parent, t in waiting if parent not in listed)
        yield part(batch, last=True)
