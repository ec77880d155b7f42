"""The objects the Asana emulator holds, with the compact references Asana embeds in payloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    gid: str
    name: str
    email: str

    def ref(self) -> dict[str, Any]:
        return {"gid": self.gid, "resource_type": "user", "name": self.name}


@dataclass
class Workspace:
    gid: str
    name: str

    def ref(self) -> dict[str, Any]:
        return {"gid": self.gid, "resource_type": "workspace", "name": self.name}


@dataclass
class Section:
    gid: str
    name: str
    project: str
    created_at: str
    tasks: list[str] = field(default_factory=list)  # top-to-bottom order

    def ref(self) -> dict[str, Any]:
        return {"gid": self.gid, "resource_type": "section", "name": self.name}


@dataclass
class EnumOption:
    gid: str
    name: str
    color: str = "none"
    enabled: bool = True


@dataclass
class CustomField:
    gid: str
    name: str
    workspace: str
    created_by: str
    options: list[EnumOption] = field(default_factory=list)
    # Asana's resource_subtype: text, number, enum, multi_enum, date, people.
    subtype: str = "enum"

    def option(self, gid: str) -> EnumOption | None:
        return next((o for o in self.options if o.gid == gid), None)


@dataclass
class Project:
    gid: str
    name: str
    workspace: str
    created_at: str
    modified_at: str
    sections: list[str] = field(default_factory=list)
    field_settings: dict[str, str] = field(default_factory=dict)  # custom field gid -> setting gid
    archived: bool = False

    def ref(self) -> dict[str, Any]:
        return {"gid": self.gid, "resource_type": "project", "name": self.name}


@dataclass
class Tag:
    gid: str
    name: str
    workspace: str
    created_at: str

    def ref(self) -> dict[str, Any]:
        return {"gid": self.gid, "resource_type": "tag", "name": self.name}


@dataclass
class Task:
    gid: str
    name: str
    workspace: str
    created_by: str
    created_at: str
    modified_at: str
    notes: str = ""  # plain twin of html_notes (emulator_richtext.plain_text)
    html_notes: str = "<body></body>"
    completed: bool = False
    completed_at: str | None = None
    due_on: str | None = None
    start_on: str | None = None
    assignee: str | None = None
    parent: str | None = None
    subtasks: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # field gid -> value as written: an enum option gid, option gids (multi_enum), text, a number,
    # {"date": ...} (date), user gids (people); None for none.
    custom: dict[str, Any] = field(default_factory=dict)

    def ref(self) -> dict[str, Any]:
        return {"gid": self.gid, "resource_type": "task", "name": self.name, "resource_subtype": "default_task"}


@dataclass
class Story:
    gid: str
    task: str
    subtype: str
    text: str
    created_by: str
    created_at: str
    is_edited: bool = False
    html_text: str = ""  # "" for system stories: their rich text is the escaped text

    @property
    def is_comment(self) -> bool:
        return self.subtype == "comment_added"


@dataclass
class Attachment:
    gid: str
    task: str
    name: str
    url: str
    created_by: str
    created_at: str
    subtype: str = "external"
    file: str | None = None  # an upload's key in the emulator's FileVault (connectors/emulation/files.py)
    size: int | None = None
