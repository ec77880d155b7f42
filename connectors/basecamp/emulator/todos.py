"""To-do sets, to-do lists, list groups and to-dos in the Basecamp emulator.

The one rule that shapes every client: ``PUT /todos/{id}.json`` replaces the
to-do. "Pass all existing parameters in addition to those being updated.
Omitting a parameter will clear its value" (todos.md) — so a PUT without
``assignee_ids`` unassigns everyone, without ``due_on`` drops the date.
``PUT /todolists/{id}.json`` does the same with ``description``.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from connectors.basecamp.emulator.access import EmulatorBase
from connectors.basecamp.emulator.http import (
    body_of,
    check_lengths,
    id_list,
    no_content,
    optional_day,
    required_text,
    respond,
    sanitize,
)
from connectors.basecamp.emulator.store import Recording, Todo, Todolist, Todoset
from connectors.basecamp.limits import TODO_FIELDS
from connectors.emulation.toolkit import EmuRequest, HttpError

Route = tuple[str, str, Callable[[EmuRequest], httpx.Response]]
LIST_COLORS = ("white", "red", "orange", "yellow", "green", "blue", "aqua", "purple", "gray", "pink", "brown")


def _status_filter(req: EmuRequest) -> str:
    status = (req.query.get("status") or ["active"])[-1]
    if status not in ("active", "archived", "trashed"):
        raise HttpError(400, "status must be archived or trashed")
    return status


def _position(body: dict[str, object]) -> int:
    value = body.get("position")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HttpError(422, "position must be an integer greater than or equal to 1")
    return value


class TodoRoutes(EmulatorBase):
    def todo_routes(self) -> list[Route]:
        return [
            ("GET", "/todosets/{id}.json", self.get_todoset),
            ("GET", "/todosets/{id}/todolists.json", self.list_todolists),
            ("POST", "/todosets/{id}/todolists.json", self.create_todolist),
            ("PUT", "/todolists/groups/{id}/position.json", self.reposition_group),
            ("GET", "/todolists/{id}.json", self.get_todolist),
            ("PUT", "/todolists/{id}.json", self.update_todolist),
            ("GET", "/todolists/{id}/groups.json", self.list_groups),
            ("POST", "/todolists/{id}/groups.json", self.create_group),
            ("GET", "/todolists/{id}/todos.json", self.list_todos),
            ("POST", "/todolists/{id}/todos.json", self.create_todo),
            ("GET", "/todos/{id}.json", self.get_todo),
            ("PUT", "/todos/{id}.json", self.update_todo),
            ("POST", "/todos/{id}/completion.json", self.complete_todo),
            ("DELETE", "/todos/{id}/completion.json", self.uncomplete_todo),
            ("PUT", "/todos/{id}/position.json", self.reposition_todo),
        ]

    # -- to-do sets and lists ---------------------------------------------------

    def get_todoset(self, req: EmuRequest) -> httpx.Response:
        todoset = self.find(req, Todoset)
        return respond(req, self.render(req).todoset(todoset), modified=todoset.updated_at)

    def _lists(self, parent: Recording, status: str) -> list[Recording]:
        return [r for r in self.store.children(parent.id, Todolist) if r.status == status]

    def list_todolists(self, req: EmuRequest) -> httpx.Response:
        todoset = self.find(req, Todoset)
        return self.listing(req, self._lists(todoset, _status_filter(req)))

    def _new_list(self, req: EmuRequest, parent: Recording, name: str, description: str, color: str | None,
                  visible: bool = False) -> Todolist:
        now = self.store.now()
        todolist = Todolist(id=self.store.new_id(), type="Todolist", bucket=parent.bucket, parent=parent.id,
                            creator=self.me(req).id, created_at=now, updated_at=now, name=name,
                            description=sanitize(description), color=color, visible_to_clients=visible)
        self.store.add(todolist)
        self.store.renumber(parent.id, Todolist, todolist)
        self.changed(req, todolist, "created")
        return todolist

    def create_todolist(self, req: EmuRequest) -> httpx.Response:
        todoset = self.find(req, Todoset)
        body = body_of(req)
        todolist = self._new_list(req, todoset, required_text(body, "name"), str(body.get("description") or ""), None,
                                  body.get("visible_to_clients") is True)
        return self.one(req, todolist, 201)

    def get_todolist(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, self.find(req, Todolist))

    def update_todolist(self, req: EmuRequest) -> httpx.Response:
        todolist = self.find(req, Todolist)
        body = body_of(req)
        todolist.name = required_text(body, "name")
        todolist.description = sanitize(str(body.get("description") or ""))  # omitted: cleared
        self.changed(req, todolist, "title_updated")
        return self.one(req, todolist)

    def list_groups(self, req: EmuRequest) -> httpx.Response:
        todolist = self.find(req, Todolist)
        return self.listing(req, self._lists(todolist, _status_filter(req)))

    def create_group(self, req: EmuRequest) -> httpx.Response:
        todolist = self.find(req, Todolist)
        if not isinstance(self.store.recordings.get(todolist.parent or 0), Todoset):
            raise HttpError(422, "a group cannot hold groups")
        body = body_of(req)
        color = body.get("color")
        if color is not None and color not in LIST_COLORS:
            raise HttpError(422, f"color must be one of {' '.join(LIST_COLORS)}")
        group = self._new_list(req, todolist, required_text(body, "name"), "", color if isinstance(color, str) else None)
        return self.one(req, group, 201)

    def reposition_group(self, req: EmuRequest) -> httpx.Response:
        group = self.find(req, Todolist)
        if not isinstance(self.store.recordings.get(group.parent or 0), Todolist):
            raise HttpError(404, "Not Found")
        self.store.renumber(group.parent or 0, Todolist, group, _position(body_of(req)))
        self.changed(req, group, "repositioned")
        return no_content()

    # -- to-dos -----------------------------------------------------------------

    def list_todos(self, req: EmuRequest) -> httpx.Response:
        todolist = self.find(req, Todolist)
        status = _status_filter(req)
        completed = (req.query.get("completed") or ["false"])[-1] == "true"
        todos = [t for t in self.store.children(todolist.id, Todo) if isinstance(t, Todo) and t.status == status]
        if status == "active" or completed:
            todos = [t for t in todos if t.completed == completed]
        return self.listing(req, list(todos))

    def _fields(self, todo: Todo, body: dict[str, object]) -> None:
        """Every writable field, from the body alone: what the body leaves out is cleared."""
        project = self.store.projects[todo.bucket]
        check_lengths(body, TODO_FIELDS)
        todo.content = required_text(body, "content")
        todo.description = sanitize(str(body.get("description") or ""))
        # Ids of people outside the project are ignored, as Basecamp scopes them to the project.
        todo.assignee_ids = [i for i in id_list(body, "assignee_ids") if i in project.people]
        todo.completion_subscriber_ids = [i for i in id_list(body, "completion_subscriber_ids") if i in project.people]
        todo.due_on = optional_day(body, "due_on")
        todo.starts_on = optional_day(body, "starts_on")

    def create_todo(self, req: EmuRequest) -> httpx.Response:
        todolist = self.find(req, Todolist)
        body = body_of(req)
        now = self.store.now()
        todo = Todo(id=self.store.new_id(), type="Todo", bucket=todolist.bucket, parent=todolist.id,
                    creator=self.me(req).id, created_at=now, updated_at=now, content="")
        self._fields(todo, body)
        self.store.add(todo)
        self.store.renumber(todolist.id, Todo, todo)
        self.changed(req, todo, "created")
        return self.one(req, todo, 201)

    def get_todo(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, self.find(req, Todo))

    def update_todo(self, req: EmuRequest) -> httpx.Response:
        todo = self.find(req, Todo)
        before = (todo.content, todo.description)
        self._fields(todo, body_of(req))
        self.changed(req, todo, "title_updated" if before[0] != todo.content else "content_updated")
        return self.one(req, todo)

    def complete_todo(self, req: EmuRequest) -> httpx.Response:
        todo = self.find(req, Todo)
        if not todo.completed:
            todo.completed, todo.completer = True, self.me(req).id
            todo.completed_at = self.store.now()
            self.changed(req, todo, "completed")
        return no_content()

    def uncomplete_todo(self, req: EmuRequest) -> httpx.Response:
        todo = self.find(req, Todo)
        if todo.completed:
            todo.completed, todo.completer, todo.completed_at = False, None, None
            self.changed(req, todo, "uncompleted")
        return no_content()

    def reposition_todo(self, req: EmuRequest) -> httpx.Response:
        todo = self.find(req, Todo)
        body = body_of(req)
        position = _position(body)
        old_parent = todo.parent or 0
        target = old_parent
        if body.get("parent_id") is not None:
            raw = body["parent_id"]
            target_list = self.store.recordings.get(int(raw)) if str(raw).isdigit() else None
            if not isinstance(target_list, Todolist) or target_list.bucket != todo.bucket:
                raise HttpError(422, "parent_id must be a to-do list of the same project")
            target = target_list.id
        todo.parent = target
        self.store.renumber(target, Todo, todo, position)
        if target != old_parent:
            self.store.renumber(old_parent, Todo)
            self.changed(req, todo, "adopted", new_parent_id=target, parent_id_was=old_parent)
        else:
            self.changed(req, todo, "repositioned")
        return no_content()
