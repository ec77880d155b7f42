"""The canonical, tool-neutral model every connector translates to and from.

Connectors speak their tool's dialect; everything past them (mirror filter,
planner, engine, state store) sees only these types. Ids inside the model are
the *remote* ids of the side the snapshot came from.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bridge.core.fields import FieldDef

Kind = Literal["project", "section", "task", "comment", "attachment", "person"]
Access = Literal["none", "client", "automatic"]


class Ref(BaseModel):
    """Where an object lives: which configured connection, what kind, which remote id."""

    model_config = ConfigDict(frozen=True)

    connection: str
    kind: Kind
    id: str


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str = ""
    email: str | None = None
    username: str | None = None


class Section(BaseModel):
    id: str
    name: str
    position: float = 0.0
    version: str | None = None


class Task(BaseModel):
    """One unit of work. ``notes`` is Markdown, the canonical rich-text form."""

    id: str
    title: str
    notes: str = ""
    done: bool = False
    section_id: str | None = None
    due: dt.date | None = None
    start: dt.date | None = None
    assignees: list[str] = Field(default_factory=list)  # Person ids of the same side
    labels: list[str] = Field(default_factory=list)  # label / tag names
    parent_id: str | None = None
    position: float = 0.0
    # Custom field values by the field's display name, each in its canonical string form
    # (bridge/core/fields.py): what the access source reads and what a link's mapped fields carry.
    custom_fields: dict[str, str] = Field(default_factory=dict)
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None
    url: str | None = None  # the task's page in its tool, for people (twin links)
    version: str | None = None  # etag / modified_at / hash: the remote's marker


class Comment(BaseModel):
    id: str
    task_id: str
    text: str
    author: Person | None = None
    created_at: dt.datetime | None = None
    version: str | None = None


class Attachment(BaseModel):
    id: str
    task_id: str
    name: str
    url: str
    created_at: dt.datetime | None = None
    version: str | None = None
    # The tool holds the file's bytes (an upload, not a link to elsewhere), so a connector that
    # implements FileTransfer (bridge/core/ports.py) can hand them over; docs/files.md.
    hosted: bool = False
    size: int | None = None  # bytes, where the tool tells


class Snapshot(BaseModel):
    """Everything one side holds for one project, as of one pull.

    ``complete`` is false when any part of the pull failed: the planner then
    never treats a missing item as deleted (docs/design.md invariant 9).
    """

    connection: str
    project_id: str
    project_name: str = ""
    sections: dict[str, Section] = Field(default_factory=dict)
    tasks: dict[str, Task] = Field(default_factory=dict)
    comments: dict[str, Comment] = Field(default_factory=dict)
    attachments: dict[str, Attachment] = Field(default_factory=dict)
    people: dict[str, Person] = Field(default_factory=dict)
    # Top-level tasks the tool holds archived (a closed Trello card): not part of the project's
    # work, so kept apart from ``tasks``; the planner restores a mirrored one instead of creating
    # a duplicate. Filled only by connectors whose Capabilities.restore is true.
    archived: dict[str, Task] = Field(default_factory=dict)
    # The custom fields the project defines, by name, with their kinds and options; filled by
    # connectors whose Capabilities.defined_fields is true (docs/custom-fields.md).
    fields: dict[str, FieldDef] = Field(default_factory=dict)
    complete: bool = True

    def ref(self, kind: Kind, id: str) -> Ref:
        return Ref(connection=self.connection, kind=kind, id=id)

    def comments_of(self, task_id: str) -> list[Comment]:
        return [c for c in self.comments.values() if c.task_id == task_id]

    def person_by_email(self, email: str) -> Person | None:
        wanted = email.casefold()
        for person in self.people.values():
            if person.email and person.email.casefold() == wanted:
                return person
        return None
