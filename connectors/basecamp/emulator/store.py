"""What the Basecamp emulator holds: people, projects (buckets) and their recordings.

Every piece of content is a recording with a parent, a ``status`` (active,
archived, trashed) and timestamps. A recording inherits its ancestors' status,
as ``inherits_status: true`` says: archiving a to-do list hides its to-dos and
their comments without touching their own rows, which is also why Basecamp
stopped sending webhooks for such propagated changes (docs, webhooks.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from bridge.clock import Clock
from connectors.emulation.files import FileVault

ACCOUNT_ID = "999999999"
# Emulator time starts here and moves with the clock it is given.
EPOCH = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
STATUSES = ("active", "archived", "trashed")
RECORDING_TYPES = (
    "Comment", "Document", "Kanban::Card", "Kanban::Step", "Message", "Question::Answer", "Schedule::Entry",
    "Todo", "Todolist", "Upload", "Vault",
)
WEBHOOK_TYPES = (
    "Comment", "Client::Approval::Response", "Client::Forward", "Client::Reply", "CloudFile", "Document",
    "GoogleDocument", "Inbox::Forward", "Kanban::Card", "Kanban::Step", "Message", "Question", "Question::Answer",
    "Schedule::Entry", "Todo", "Todolist", "Upload", "Vault",
)


def sgid(kind: str, ident: int) -> str:
    """An opaque signed global id in Basecamp's visible format (base64 payload, ``--``, a digest)."""
    payload = base64.b64encode(f'{{"_rails":{{"data":"gid://bc3/{kind}/{ident}"}}}}'.encode()).decode()
    return f"{payload}--{hashlib.sha1(payload.encode()).hexdigest()}"


@dataclass(kw_only=True)
class Person:
    id: int
    name: str
    email: str
    token: str | None
    created_at: dt.datetime
    title: str | None = None
    admin: bool = False
    owner: bool = False
    client: bool = False
    employee: bool = True


@dataclass(kw_only=True)
class Recording:
    id: int
    type: str
    bucket: int
    parent: int | None
    creator: int
    created_at: dt.datetime
    updated_at: dt.datetime
    status: str = "active"
    position: int | None = None
    visible_to_clients: bool = False

    @property
    def title(self) -> str:
        return ""


@dataclass(kw_only=True)
class Todoset(Recording):
    name: str = "To-dos"

    @property
    def title(self) -> str:
        return self.name


@dataclass(kw_only=True)
class Todolist(Recording):
    """A to-do list (parent: the todoset) or a group inside one (parent: a list)."""

    name: str
    description: str = ""
    color: str | None = None

    @property
    def title(self) -> str:
        return self.name


@dataclass(kw_only=True)
class Todo(Recording):
    content: str
    description: str = ""
    assignee_ids: list[int] = field(default_factory=list)
    completion_subscriber_ids: list[int] = field(default_factory=list)
    due_on: dt.date | None = None
    starts_on: dt.date | None = None
    completed: bool = False
    completed_at: dt.datetime | None = None
    completer: int | None = None

    @property
    def title(self) -> str:
        return self.content


@dataclass(kw_only=True)
class Comment(Recording):
    content: str
    parent_title: str = ""

    @property
    def title(self) -> str:
        return f"Re: {self.parent_title}"


@dataclass(kw_only=True)
class Vault(Recording):
    name: str = "Docs & Files"

    @property
    def title(self) -> str:
        return self.name


@dataclass(kw_only=True)
class Upload(Recording):
    filename: str
    content_type: str
    byte_size: int
    description: str = ""

    @property
    def title(self) -> str:
        return self.filename


@dataclass(kw_only=True)
class Project:
    id: int
    name: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime
    people: list[int]
    todoset: int
    vault: int
    # Dock tools the emulator does not model still get ids, as the real dock lists them.
    message_board: int
    schedule: int
    status: str = "active"


@dataclass(kw_only=True)
class Blob:
    """An uploaded file (``POST /attachments.json``) waiting to be used through its sgid."""

    id: int
    filename: str
    content_type: str
    byte_size: int
    key: str
    file: str | None = None  # the bytes' key in the emulator's FileVault (connectors/emulation/files.py)

    @property
    def sgid(self) -> str:
        return sgid("Attachment", self.id)


@dataclass(kw_only=True)
class Webhook:
    id: int
    bucket: int
    payload_url: str
    types: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    active: bool = True
    deliveries: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class Event:
    """One change to a recording, as the events endpoint and webhook payloads report it."""

    id: int
    recording: int
    action: str  # "created", "completed", "content_changed", "adopted", "archived", ...
    creator: int
    created_at: dt.datetime
    details: dict[str, Any] = field(default_factory=dict)


class Store:
    """The emulator's data and the few rules every handler shares."""

    def __init__(self, clock: Clock, first_id: int = 1069479000) -> None:
        self.clock = clock
        self._clock_start = clock.now()
        self._last = EPOCH
        self._next_id = first_id
        self.people: dict[int, Person] = {}
        self.projects: dict[int, Project] = {}
        self.recordings: dict[int, Recording] = {}
        self.blobs: dict[str, Blob] = {}
        self.vault = FileVault()
        self.webhooks: dict[int, Webhook] = {}
        self.events: list[Event] = []

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now(self) -> dt.datetime:
        """Server time; strictly increasing, so every write has its own ``updated_at``."""
        wall = EPOCH + dt.timedelta(seconds=self.clock.now() - self._clock_start)
        self._last = max(wall, self._last + dt.timedelta(milliseconds=1))
        return self._last

    # -- people ---------------------------------------------------------

    def add_person(self, name: str, email: str, token: str | None, **flags: Any) -> Person:
        person = Person(id=self.new_id(), name=name, email=email, token=token, created_at=self.now(), **flags)
        self.people[person.id] = person
        return person

    def person_for_token(self, token: str) -> Person | None:
        return next((p for p in self.people.values() if p.token and p.token == token), None)

    # -- recordings -----------------------------------------------------

    def add(self, recording: Recording) -> Recording:
        self.recordings[recording.id] = recording
        return recording

    def children(self, parent: int, kind: type[Recording] | None = None) -> list[Recording]:
        found = [r for r in self.recordings.values() if r.parent == parent and (kind is None or isinstance(r, kind))]
        return sorted(found, key=lambda r: (r.position or 0, r.id))

    def effective_status(self, recording: Recording) -> str:
        """The recording's own status unless an ancestor is archived or trashed (trash wins)."""
        statuses: list[str] = []
        node: Recording | None = recording
        while node is not None:
            statuses.append(node.status)
            node = self.recordings.get(node.parent) if node.parent is not None else None
        if "trashed" in statuses:
            return "trashed"
        return "archived" if "archived" in statuses else "active"

    def touch(self, recording: Recording, creator: int, action: str, **details: Any) -> None:
        recording.updated_at = self.now()
        self.events.append(Event(id=self.new_id(), recording=recording.id, action=action, creator=creator,
                                 created_at=recording.updated_at, details=details))

    def renumber(self, parent: int, kind: type[Recording], moving: Recording | None = None, at: int | None = None) -> None:
        """Positions under a parent stay 1..n; ``moving`` is placed at ``at`` (1-based, clamped)."""
        siblings = [r for r in self.children(parent, kind) if r is not moving and r.status == "active"]
        if moving is not None:
            index = len(siblings) if at is None else max(0, min(at - 1, len(siblings)))
            siblings.insert(index, moving)
        for number, item in enumerate(siblings, start=1):
            item.position = number

    def comments_count(self, recording: Recording) -> int:
        return sum(1 for c in self.children(recording.id, Comment) if self.effective_status(c) == "active")

    def completed_ratio(self, todolist: Todolist) -> str:
        """"done/total" over the list's active to-dos, groups included."""
        todos: list[Todo] = []
        for child in self.children(todolist.id):
            if isinstance(child, Todo) and child.status == "active":
                todos.append(child)
            elif isinstance(child, Todolist) and child.status == "active":
                todos.extend(t for t in self.children(child.id, Todo) if isinstance(t, Todo) and t.status == "active")
        return f"{sum(1 for t in todos if t.completed)}/{len(todos)}"
