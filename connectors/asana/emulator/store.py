"""The Asana emulator's data: lookups, seeding, and the changes that are not task writes.

Each mutation also does what Asana does around it: it bumps ``modified_at``
where the reference says so, writes the *system stories* Asana adds to a
task's activity (``marked_complete``, ``section_changed``...; only
``comment_added`` stories are comments), and records the events that
``/events`` subscribers of the affected projects will read.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from bridge.clock import Clock
from connectors.asana.emulator.feed import EventFeed
from connectors.asana.emulator.model import (
    Attachment,
    CustomField,
    EnumOption,
    Project,
    Section,
    Story,
    Tag,
    Task,
    User,
    Workspace,
)
from connectors.emulation import HttpError

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class AsanaStore:
    """One workspace's worth of Asana objects, plus the feed their changes go to."""

    def __init__(self, clock: Clock, feed: EventFeed) -> None:
        self.clock = clock
        self.feed = feed
        self._serial = itertools.count(1)
        self._start = clock.now()
        self._ticks = itertools.count()
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}  # token -> user gid
        self.projects: dict[str, Project] = {}
        self.sections: dict[str, Section] = {}
        self.tasks: dict[str, Task] = {}
        self.stories: dict[str, Story] = {}
        self.attachments: dict[str, Attachment] = {}
        self.tags: dict[str, Tag] = {}
        self.fields: dict[str, CustomField] = {}
        self.workspace = Workspace(self.new_gid(), "Agency Workspace")

    # -- identity and time ---------------------------------------------------

    def new_gid(self) -> str:
        # Asana gids are long numeric strings.
        return str(1_204_000_000_000_000 + next(self._serial))

    def now(self) -> str:
        # Strictly increasing, so modified_at always moves on a change.
        moment = EPOCH + dt.timedelta(seconds=self.clock.now() - self._start, milliseconds=next(self._ticks))
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    # -- lookups: unknown ids answer Asana's 404 ------------------------------

    def _get(self, table: dict[str, Any], gid: str, kind: str) -> Any:
        item = table.get(gid)
        if item is None:
            raise HttpError(404, f"{kind}: Unknown object: {gid}")
        return item

    def user(self, gid: str) -> User:
        return self._get(self.users, gid, "user")

    def project(self, gid: str) -> Project:
        return self._get(self.projects, gid, "project")

    def section(self, gid: str) -> Section:
        return self._get(self.sections, gid, "section")

    def task(self, gid: str) -> Task:
        return self._get(self.tasks, gid, "task")

    def story(self, gid: str) -> Story:
        return self._get(self.stories, gid, "story")

    def attachment(self, gid: str) -> Attachment:
        return self._get(self.attachments, gid, "attachment")

    def tag(self, gid: str) -> Tag:
        return self._get(self.tags, gid, "tag")

    def custom_field(self, gid: str) -> CustomField:
        return self._get(self.fields, gid, "custom_field")

    def section_of(self, task: Task, project: str) -> Section | None:
        for gid in self.projects[project].sections:
            if task.gid in self.sections[gid].tasks:
                return self.sections[gid]
        return None

    def root_projects(self, task: Task) -> set[str]:
        """Projects whose subscribers hear about this task: its own and its ancestors'."""
        found: set[str] = set()
        current: Task | None = task
        while current is not None:
            found.update(current.projects)
            current = self.tasks.get(current.parent) if current.parent else None
        return found

    # -- events and system stories --------------------------------------------

    def emit(
        self,
        actor: str,
        action: str,
        resource: dict[str, Any],
        parent: dict[str, Any] | None,
        projects: set[str],
        change: dict[str, Any] | None = None,
    ) -> None:
        event: dict[str, Any] = {
            "user": self.users[actor].ref() if actor in self.users else None,
            "created_at": self.now(),
            "type": resource["resource_type"],
            "action": action,
            "resource": resource,
            "parent": parent,
        }
        if change is not None:
            event["change"] = change
        self.feed.record(projects, event)

    def story_added(self, actor: str, task: Task, subtype: str, text: str) -> Story:
        story = Story(self.new_gid(), task.gid, subtype, text, actor, self.now())
        self.stories[story.gid] = story
        # Asana: a new story changes the task's modified_at.
        task.modified_at = self.now()
        resource = {"gid": story.gid, "resource_type": "story", "resource_subtype": subtype}
        self.emit(actor, "added", resource, task.ref(), self.root_projects(task))
        return story

    def task_changed(self, actor: str, task: Task, fields: list[str]) -> None:
        task.modified_at = self.now()
        for name in fields:
            change = {"field": name, "action": "changed"}
            self.emit(actor, "changed", task.ref(), None, self.root_projects(task), change)

    # -- seeding (what a person does in Asana's UI) ---------------------------

    def add_user(self, name: str, email: str, token: str) -> User:
        user = User(self.new_gid(), name, email)
        self.users[user.gid] = user
        self.tokens[token] = user.gid
        return user

    def create_project(self, name: str, section_names: list[str]) -> Project:
        now = self.now()
        project = Project(self.new_gid(), name, self.workspace.gid, now, now)
        self.projects[project.gid] = project
        # A new Asana project always has a section; "Untitled section" is its default name.
        for section_name in section_names or ["Untitled section"]:
            section = Section(self.new_gid(), section_name, project.gid, now)
            self.sections[section.gid] = section
            project.sections.append(section.gid)
        return project

    def create_enum_field(
        self, project: Project, name: str, options: list[str], actor: str, subtype: str = "enum"
    ) -> CustomField:
        """A custom field on the project: ``subtype`` is text, number, enum, multi_enum, date or people."""
        custom = CustomField(self.new_gid(), name, project.workspace, actor, subtype=subtype)
        custom.options = [EnumOption(self.new_gid(), option, _COLORS[i % len(_COLORS)]) for i, option in enumerate(options)]
        self.fields[custom.gid] = custom
        project.field_settings[custom.gid] = self.new_gid()
        return custom

    # -- sections -------------------------------------------------------------

    def create_section(self, actor: str, project: Project, name: str, before: str | None, after: str | None) -> Section:
        if not name.strip():
            raise HttpError(400, "name: Missing input")
        section = Section(self.new_gid(), name, project.gid, self.now())
        self.sections[section.gid] = section
        index = len(project.sections)
        for anchor, shift in ((before, 0), (after, 1)):
            if anchor:
                if anchor not in project.sections:
                    raise HttpError(400, f"insert_{'before' if shift == 0 else 'after'}: Not a section of this project: {anchor}")
                index = project.sections.index(anchor) + shift
        project.sections.insert(index, section.gid)
        self.emit(actor, "added", section.ref(), project.ref(), {project.gid})
        return section

    def rename_section(self, actor: str, section: Section, name: str) -> None:
        if not name.strip():
            raise HttpError(400, "name: Missing input")
        section.name = name
        self.emit(actor, "changed", section.ref(), None, {section.project}, {"field": "name", "action": "changed"})

    def delete_section(self, actor: str, section: Section) -> None:
        project = self.projects[section.project]
        if section.tasks:
            raise HttpError(400, "Sections must be empty to be deleted.")
        if len(project.sections) == 1:
            raise HttpError(400, "The last remaining section cannot be deleted.")
        project.sections.remove(section.gid)
        del self.sections[section.gid]
        self.emit(actor, "deleted", section.ref(), None, {project.gid})

    # -- tags -------------------------------------------------------------------

    def create_tag(self, actor: str, name: str) -> Tag:
        if not name.strip():
            raise HttpError(400, "name: Missing input")
        tag = Tag(self.new_gid(), name, self.workspace.gid, self.now())
        self.tags[tag.gid] = tag
        return tag

    def add_tag(self, actor: str, task: Task, tag: Tag) -> None:
        if tag.gid not in task.tags:
            task.tags.append(tag.gid)
            self.task_changed(actor, task, ["tags"])
            self.story_added(actor, task, "added_to_tag", f"added to {tag.name}")

    def remove_tag(self, actor: str, task: Task, tag: Tag) -> None:
        if tag.gid in task.tags:
            task.tags.remove(tag.gid)
            self.task_changed(actor, task, ["tags"])
            self.story_added(actor, task, "removed_from_tag", f"removed from {tag.name}")

    # -- comments and attachments ---------------------------------------------

    def edit_story(self, actor: str, story: Story, text: str) -> None:
        if not story.is_comment:
            raise HttpError(400, "text: Only comment stories can have their text updated")
        if story.created_by != actor:
            raise HttpError(403, "You can only edit your own comments")
        story.text = text
        story.is_edited = True
        task = self.tasks[story.task]
        resource = {"gid": story.gid, "resource_type": "story", "resource_subtype": story.subtype}
        self.emit(actor, "changed", resource, None, self.root_projects(task), {"field": "text", "action": "changed"})

    def delete_story(self, actor: str, story: Story) -> None:
        if story.created_by != actor:
            raise HttpError(403, "You can only delete stories you created")
        task = self.tasks[story.task]
        del self.stories[story.gid]
        task.modified_at = self.now()
        resource = {"gid": story.gid, "resource_type": "story", "resource_subtype": story.subtype}
        self.emit(actor, "removed", resource, task.ref(), self.root_projects(task))

    def add_attachment(self, actor: str, task: Task, name: str, url: str) -> Attachment:
        attachment = Attachment(self.new_gid(), task.gid, name, url, actor, self.now())
        self.attachments[attachment.gid] = attachment
        # Asana announces a new attachment through its attachment_added story.
        self.story_added(actor, task, "attachment_added", f"attached {name}")
        return attachment

    def delete_attachment(self, actor: str, attachment: Attachment) -> None:
        task = self.tasks[attachment.task]
        del self.attachments[attachment.gid]
        task.modified_at = self.now()
        resource = {"gid": attachment.gid, "resource_type": "attachment", "name": attachment.name}
        self.emit(actor, "deleted", resource, None, self.root_projects(task))


_COLORS = ("none", "green", "blue", "yellow", "orange", "purple", "red")
