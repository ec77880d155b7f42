"""An in-memory Asana (API 1.0) that answers httpx requests like app.asana.com/api/1.0.

Paths, envelopes, opt_fields, offset pagination, errors, rate limits and the
``/events`` stream follow the official reference in
``tests/reference/asana``. This module holds the task routes and puts the
emulator together; the other routes live in ``emulator_workspace`` and
``emulator_activity``, the data in ``emulator_store``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx

from bridge.clock import Clock
from connectors.asana.emulator.activity import ActivityRoutes
from connectors.asana.emulator.model import Task
from connectors.asana.emulator.records import task_full
from connectors.asana.emulator.webhooks import WebhookRoutes
from connectors.asana.emulator.workspace import WorkspaceRoutes
from connectors.emulation import EmuRequest, HttpError

Handler = Callable[[EmuRequest], httpx.Response]


def _instant(name: str, value: str) -> dt.datetime:
    """A query's date-time (the reference's ``format: date-time``), compared as an instant, not as text."""
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise HttpError(400, f"{name}: Invalid date-time: {value!r}") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


class AsanaEmulator(WorkspaceRoutes, ActivityRoutes, WebhookRoutes):
    def __init__(
        self, *, clock: Clock | None = None, latency: float = 0.0, rate_limit: tuple[float, float] | None | bool = True
    ) -> None:
        super().__init__(clock=clock, latency=latency, rate_limit=rate_limit)
        self.routes(self.task_routes() + self.workspace_routes() + self.activity_routes() + self.webhook_routes())

    def task_routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/tasks", self.list_tasks),
            ("POST", "/tasks", self.create_task),
            ("GET", "/tasks/{gid}", self.get_task),
            ("PUT", "/tasks/{gid}", self.update_task),
            ("DELETE", "/tasks/{gid}", self.delete_task),
            ("GET", "/projects/{gid}/tasks", self.list_project_tasks),
            ("GET", "/sections/{gid}/tasks", self.list_section_tasks),
            ("GET", "/tasks/{gid}/subtasks", self.list_subtasks),
            ("POST", "/tasks/{gid}/subtasks", self.create_subtask),
            ("POST", "/tasks/{gid}/setParent", self.set_parent),
            ("POST", "/tasks/{gid}/addProject", self.add_project),
            ("POST", "/tasks/{gid}/removeProject", self.remove_project),
            ("POST", "/tasks/{gid}/addTag", self.add_tag),
            ("POST", "/tasks/{gid}/removeTag", self.remove_tag),
            ("POST", "/sections/{gid}/addTask", self.section_add_task),
        ]

    # -- reads ---------------------------------------------------------------------------

    def _full(self, task: Task) -> dict[str, Any]:
        return task_full(self.store, task)

    def _tasks(self, req: EmuRequest, tasks: list[Task]) -> httpx.Response:
        since = self.query(req, "modified_since")
        if since:
            bound = _instant("modified_since", since)
            tasks = [t for t in tasks if _instant("modified_at", t.modified_at) >= bound]
        completed_since = self.query(req, "completed_since")
        if completed_since and completed_since != "now":
            done_bound = _instant("completed_since", completed_since)
            tasks = [t for t in tasks if not t.completed or _instant("completed_at", t.completed_at or "") >= done_bound]
        elif completed_since == "now":
            tasks = [t for t in tasks if not t.completed]
        return self.page(req, tasks, self._full, Task.ref)

    def _project_tasks(self, gid: str) -> list[Task]:
        project = self.store.project(gid)
        store = self.store
        return [store.tasks[t] for s in project.sections for t in store.sections[s].tasks]

    def list_tasks(self, req: EmuRequest) -> httpx.Response:
        project, section = self.query(req, "project"), self.query(req, "section")
        if project:
            return self._tasks(req, self._project_tasks(project))
        if section:
            return self._tasks(req, [self.store.tasks[t] for t in self.store.section(section).tasks])
        raise HttpError(
            400, "project: Must specify exactly one of project, tag, section, user task list, or assignee + workspace"
        )

    def list_project_tasks(self, req: EmuRequest) -> httpx.Response:
        return self._tasks(req, self._project_tasks(req.path_params["gid"]))

    def list_section_tasks(self, req: EmuRequest) -> httpx.Response:
        section = self.store.section(req.path_params["gid"])
        return self._tasks(req, [self.store.tasks[t] for t in section.tasks])

    def get_task(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, self._full(self.store.task(req.path_params["gid"])))

    def list_subtasks(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        return self._tasks(req, [self.store.tasks[t] for t in task.subtasks])

    # -- writes ----------------------------------------------------------------------------

    def create_task(self, req: EmuRequest) -> httpx.Response:
        task = self.task_writes.create(self.me(req), self.data(req))
        return self.one(req, self._full(task), 201)

    def create_subtask(self, req: EmuRequest) -> httpx.Response:
        parent = self.store.task(req.path_params["gid"])
        data = self.data(req)
        if "parent" in data or "projects" in data or "memberships" in data:
            raise HttpError(400, "parent: A subtask's parent is given by the path")
        task = self.task_writes.create(self.me(req), data, parent=parent)
        return self.one(req, self._full(task), 201)

    def update_task(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        self.task_writes.update(self.me(req), task, self.data(req))
        return self.one(req, self._full(task))

    def delete_task(self, req: EmuRequest) -> httpx.Response:
        self.task_writes.delete(self.me(req), self.store.task(req.path_params["gid"]))
        return self.empty()

    def set_parent(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        data = self.data(req)
        if "parent" not in data:
            raise HttpError(400, "parent: Missing input")
        parent = self.store.task(str(data["parent"])) if data["parent"] else None
        self.task_writes.set_parent(self.me(req), task, parent)
        return self.one(req, self._full(task))

    def _required(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if not value:
            raise HttpError(400, f"{key}: Missing input")
        return str(value)

    def add_project(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        data = self.data(req)
        project = self.store.project(self._required(data, "project"))
        section = self.store.section(str(data["section"])) if data.get("section") else None
        self.task_writes.add_to_project(self.me(req), task, project, section)
        return self.empty()

    def remove_project(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        project = self.store.project(self._required(self.data(req), "project"))
        self.task_writes.remove_from_project(self.me(req), task, project)
        return self.empty()

    def add_tag(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        self.store.add_tag(self.me(req), task, self.store.tag(self._required(self.data(req), "tag")))
        return self.empty()

    def remove_tag(self, req: EmuRequest) -> httpx.Response:
        task = self.store.task(req.path_params["gid"])
        self.store.remove_tag(self.me(req), task, self.store.tag(self._required(self.data(req), "tag")))
        return self.empty()

    def section_add_task(self, req: EmuRequest) -> httpx.Response:
        section = self.store.section(req.path_params["gid"])
        data = self.data(req)
        if data.get("insert_before") and data.get("insert_after"):
            raise HttpError(400, "insert_before: Cannot be provided together with insert_after")
        task = self.store.task(self._required(data, "task"))
        self.task_writes.move_to_section(self.me(req), section, task, data.get("insert_before"), data.get("insert_after"))
        return self.empty()
