"""Task writes of the Asana emulator: create, update, move, re-parent, remove, delete.

Validation follows the reference: only TaskRequest properties are writable,
dates are ``YYYY-MM-DD``, ``start_on`` needs ``due_on``/``due_at`` in the same
request, enum custom fields take an option gid of a field set on one of the
task's projects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.asana.emulator.model import CustomField, Project, Section, Task
from connectors.asana.emulator.richtext import NOTES_TAGS, plain_text, rich_of
from connectors.asana.emulator.store import AsanaStore
from connectors.emulation import HttpError

WRITABLE = frozenset(
    {
        "name", "notes", "html_notes", "completed", "due_on", "due_at", "start_on", "start_at", "assignee",
        "assignee_section", "assignee_status", "custom_fields", "parent", "followers", "projects", "tags",
        "workspace", "memberships", "resource_subtype", "approval_status", "external", "liked",
    }
)  # fmt: skip
CREATE_ONLY = frozenset({"followers", "projects", "tags", "workspace", "memberships", "parent"})

_STORY_OF_FIELD = {
    "name": ("name_changed", "changed the name"),
    "notes": ("notes_changed", "changed the description"),
    "due_on": ("due_date_changed", "changed the due date"),
    "start_on": ("start_date_changed", "changed the start date"),
}


def _date(data: dict[str, Any], key: str) -> str | None:
    value = data[key]
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise HttpError(400, f"{key}: Invalid date: {value!r} (expected YYYY-MM-DD)") from None


class TaskWrites:
    def __init__(self, store: AsanaStore) -> None:
        self.store = store

    # -- create ---------------------------------------------------------------------

    def create(self, actor: str, data: dict[str, Any], parent: Task | None = None) -> Task:
        store = self.store
        self._check_keys(data, create=True)
        if parent is None and data.get("parent"):
            parent = store.task(str(data["parent"]))
        placements = self._placements(data)
        if parent is None and not placements and not data.get("workspace"):
            raise HttpError(400, "workspace: Missing input")
        now = store.now()
        task = Task(store.new_gid(), str(data.get("name", "")), store.workspace.gid, actor, now, now)
        store.tasks[task.gid] = task
        self._apply_scalars(actor, task, data)
        for tag in data.get("tags") or []:
            task.tags.append(store.tag(str(tag)).gid)
        if parent is not None:
            task.parent = parent.gid
            parent.subtasks.append(task.gid)
            store.emit(actor, "added", task.ref(), parent.ref(), store.root_projects(task))
        for project, section in placements:
            self.add_to_project(actor, task, project, section)
        if "custom_fields" in data:
            self._set_custom(task, data["custom_fields"])
        return task

    def _placements(self, data: dict[str, Any]) -> list[tuple[Project, Section | None]]:
        store = self.store
        placements: list[tuple[Project, Section | None]] = []
        for membership in data.get("memberships") or []:
            if not isinstance(membership, dict) or "project" not in membership:
                raise HttpError(400, "memberships: Each membership needs a project")
            section = store.section(str(membership["section"])) if membership.get("section") else None
            placements.append((store.project(str(membership["project"])), section))
        for gid in data.get("projects") or []:
            if all(p.gid != str(gid) for p, _ in placements):
                placements.append((store.project(str(gid)), None))
        return placements

    # -- update ---------------------------------------------------------------------

    def update(self, actor: str, task: Task, data: dict[str, Any]) -> None:
        self._check_keys(data, create=False)
        changed = self._apply_scalars(actor, task, data)
        if "custom_fields" in data and self._set_custom(task, data["custom_fields"]):
            changed.append("custom_fields")
            self.store.story_added(actor, task, "enum_custom_field_changed", "changed a custom field")
        if changed:
            self.store.task_changed(actor, task, changed)

    def _check_keys(self, data: dict[str, Any], *, create: bool) -> None:
        for key in data:
            if key not in WRITABLE:
                raise HttpError(400, f"{key}: Unknown field or read-only property")
            if not create and key in CREATE_ONLY:
                raise HttpError(400, f"{key}: Cannot be changed on an existing task; use the dedicated endpoint")
        if ("start_on" in data or "start_at" in data) and "due_on" not in data and "due_at" not in data:
            raise HttpError(400, "start_on: due_on or due_at must be present in the request when setting or unsetting start_on")

    def _apply_scalars(self, actor: str, task: Task, data: dict[str, Any]) -> list[str]:
        """Set plain fields; returns the names of those whose value changed."""
        store = self.store
        changed: list[str] = []
        new: dict[str, Any] = {}
        if "name" in data:
            new["name"] = str(data["name"] or "")
        rich = rich_of(data, "notes", "html_notes", store.users, NOTES_TAGS)
        if rich is not None:
            new["html_notes"] = rich
        for key in ("due_on", "start_on"):
            if key in data:
                new[key] = _date(data, key)
        if "completed" in data:
            if not isinstance(data["completed"], bool):
                raise HttpError(400, "completed: Must be a boolean")
            new["completed"] = data["completed"]
        if "assignee" in data:
            new["assignee"] = self._user_gid(actor, data["assignee"])
        due = new.get("due_on", task.due_on)
        start = new.get("start_on", task.start_on)
        if start and due and start > due:
            raise HttpError(400, "start_on: The start date must be on or before the due date")
        for key, value in new.items():
            if getattr(task, key) == value:
                continue
            setattr(task, key, value)
            if key == "html_notes":
                # Asana keeps the plain twin in step and reports the change as "notes".
                task.notes = plain_text(value)
                key = "notes"
            changed.append(key)
            if key == "completed":
                task.completed_at = store.now() if value else None
                store.story_added(actor, task, "marked_complete" if value else "marked_incomplete", "completed this task")
            elif key == "assignee":
                subtype = "assigned" if value else "unassigned"
                store.story_added(actor, task, subtype, f"{subtype} this task")
            else:
                subtype, text = _STORY_OF_FIELD[key]
                store.story_added(actor, task, subtype, text)
        return changed

    def _user_gid(self, actor: str, value: Any) -> str | None:
        if value is None:
            return None
        value = str(value)
        if value == "me":
            return actor
        for user in self.store.users.values():
            if value in (user.gid, user.email):
                return user.gid
        raise HttpError(400, f"assignee: Not a recognized user: {value}")

    def _set_custom(self, task: Task, values: Any) -> bool:
        if not isinstance(values, dict):
            raise HttpError(400, "custom_fields: Must be an object of custom field gid to value")
        store = self.store
        allowed = {gid for p in store.root_projects(task) for gid in store.projects[p].field_settings}
        changed = False
        for field_gid, raw in values.items():
            if field_gid not in allowed:
                raise HttpError(400, f"custom_fields: Custom field {field_gid} is not on this task's projects")
            value = self._custom_value(store.custom_field(field_gid), raw)
            if task.custom.get(field_gid) != value:
                task.custom[field_gid] = value
                changed = True
        return changed

    def _custom_value(self, custom: CustomField, raw: Any) -> Any:
        """A written value as its field's subtype takes it (Asana answers 400 to anything else)."""
        if raw is None:
            return None
        kind, name = custom.subtype, custom.name
        if kind == "enum":
            if custom.option(str(raw)) is None:
                raise HttpError(400, f"custom_fields: {raw} is not an enum option of {name}")
            return str(raw)
        if kind == "multi_enum":
            gids = raw if isinstance(raw, list) else [raw]
            for gid in gids:
                if custom.option(str(gid)) is None:
                    raise HttpError(400, f"custom_fields: {gid} is not an enum option of {name}")
            return [str(g) for g in gids] or None
        if kind == "number":
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise HttpError(400, f"custom_fields: {name} takes a number")
            try:
                return float(raw)
            except ValueError:
                raise HttpError(400, f"custom_fields: {name} takes a number") from None
        if kind == "date":
            day = raw.get("date") if isinstance(raw, dict) else raw
            try:
                return {"date": dt.date.fromisoformat(str(day)).isoformat()}
            except ValueError:
                raise HttpError(400, f"custom_fields: {name} takes a date as YYYY-MM-DD") from None
        if kind == "people":
            gids = raw if isinstance(raw, list) else [raw]
            for gid in gids:
                if str(gid) not in self.store.users:
                    raise HttpError(400, f"custom_fields: {gid} is not a user")
            return [str(g) for g in gids] or None
        if not isinstance(raw, str):
            raise HttpError(400, f"custom_fields: {name} takes text")
        return raw or None

    # -- membership -----------------------------------------------------------------

    def move_to_section(self, actor: str, section: Section, task: Task, before: str | None, after: str | None) -> None:
        store = self.store
        if section.project not in task.projects:
            raise HttpError(400, "task: The task is not in the section's project")
        previous = store.section_of(task, section.project)
        if previous is not None:
            previous.tasks.remove(task.gid)
        index = 0  # Asana: at the top of the section unless insert_before/insert_after says otherwise
        for anchor, word, shift in ((before, "before", 0), (after, "after", 1)):
            if anchor:
                if anchor not in section.tasks:
                    raise HttpError(400, f"insert_{word}: Not a task of this section: {anchor}")
                index = section.tasks.index(anchor) + shift
        section.tasks.insert(index, task.gid)
        store.emit(actor, "added", task.ref(), section.ref(), {section.project})
        if previous is not section:
            old = previous.name if previous else ""
            store.story_added(actor, task, "section_changed", f'moved this task from "{old}" to "{section.name}"')

    def add_to_project(self, actor: str, task: Task, project: Project, section: Section | None) -> None:
        store = self.store
        if section is not None and section.project != project.gid:
            raise HttpError(400, "section: The section is not in the given project")
        target = section or store.sections[project.sections[0]]
        if project.gid not in task.projects:
            task.projects.append(project.gid)
        current = store.section_of(task, project.gid)
        if current is not None:
            current.tasks.remove(task.gid)
        target.tasks.append(task.gid)
        # "A task being added to a project" modifies it (the reference on modified_since).
        task.modified_at = store.now()
        store.emit(actor, "added", task.ref(), project.ref(), {project.gid})

    def remove_from_project(self, actor: str, task: Task, project: Project) -> None:
        store = self.store
        if project.gid not in task.projects:
            return
        current = store.section_of(task, project.gid)
        if current is not None:
            current.tasks.remove(task.gid)
        task.projects.remove(project.gid)
        store.emit(actor, "removed", task.ref(), project.ref(), {project.gid} | store.root_projects(task))
        store.story_added(actor, task, "removed_from_project", f"removed this task from {project.name}")

    def set_parent(self, actor: str, task: Task, parent: Task | None) -> None:
        store = self.store
        ancestor = parent
        while ancestor is not None:
            if ancestor.gid == task.gid:
                raise HttpError(400, "parent: A task cannot be its own ancestor")
            ancestor = store.tasks.get(ancestor.parent) if ancestor.parent else None
        if task.parent:
            old = store.tasks[task.parent]
            store.emit(actor, "removed", task.ref(), old.ref(), store.root_projects(task))
            old.subtasks.remove(task.gid)
        task.parent = parent.gid if parent else None
        if parent is not None:
            parent.subtasks.append(task.gid)
            store.emit(actor, "added", task.ref(), parent.ref(), store.root_projects(task))
        task.modified_at = store.now()

    def delete(self, actor: str, task: Task) -> None:
        # Asana moves the task and its subtasks to the trash together.
        store = self.store
        projects = store.root_projects(task)
        for child in list(task.subtasks):
            self.delete(actor, store.tasks[child])
        if task.parent and task.parent in store.tasks:
            store.tasks[task.parent].subtasks.remove(task.gid)
        for project in task.projects:
            section = store.section_of(task, project)
            if section is not None:
                section.tasks.remove(task.gid)
        for gid in [gid for gid, story in store.stories.items() if story.task == task.gid]:
            del store.stories[gid]
        for gid in [gid for gid, attachment in store.attachments.items() if attachment.task == task.gid]:
            del store.attachments[gid]
        del store.tasks[task.gid]
        store.emit(actor, "deleted", task.ref(), None, projects)
