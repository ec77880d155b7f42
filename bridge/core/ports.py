"""The connector contract every tool (and the in-memory fake) fulfils.

A connector pulls one project into a canonical :class:`~bridge.core.model.Snapshot`
and performs single-item writes, each returning the canonical object as the
remote now holds it (so the engine can record the new base without a re-read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from bridge.core.fields import FieldDef
from bridge.core.model import Attachment, Comment, Section, Snapshot, Task

Removal = Literal["archive", "delete"]

TASK_FIELDS = frozenset({"title", "notes", "done", "section_id", "due", "start", "assignees", "labels", "parent_id", "position"})


class Capabilities(BaseModel):
    """What a tool can hold, so the planner never asks for the impossible."""

    model_config = ConfigDict(frozen=True)

    # The tool's name: it scopes the keys of its people who show no email (``<tool>:<id>``), which
    # a link's ``people.map`` reaches through their ``@username``.
    tool: str = ""
    task_fields: frozenset[str] = TASK_FIELDS
    # Fields a nested subtask can carry; empty means the tool has no nesting and
    # subtasks travel as tasks of their own.
    subtask_fields: frozenset[str] = frozenset({"title", "done"})
    # A subtask may only sit under a parent that is itself top level.
    nested_depth: int = 1
    comments: bool = True
    edit_comments: bool = True
    attachments: Literal["file", "link", "none"] = "link"
    # With attachments "file": the largest file, in bytes, the tool takes as an upload (its documented
    # limit, or the connection's ``max_file_mb``); a larger one crosses as a link with a note
    # (docs/files.md). None: no documented limit.
    file_limit: int | None = None
    removal: frozenset[str] = frozenset({"archive", "delete"})
    # The tool holds custom field values (bridge/core/fields.py). ``defined_fields``: only the fields
    # its project defines (``Snapshot.fields``, with kinds and options); false: any field name, each
    # value as text (GitHub's ``name: value`` labels, Basecamp's notes footer).
    custom_fields: bool = False
    defined_fields: bool = True
    # The most characters a field may take written as ``Name: value`` (GitHub: a label, at most 50).
    # A longer value is a ``custom-field-value`` notice, not a write refused every cycle. None: no limit.
    field_limit: int | None = None
    # The most characters the tool takes per kind of text: "title", "notes", "comment" (Markdown
    # as the bridge writes it). A kind not named has no limit. The planner fits longer text
    # (bridge/core/plan/limits.py) instead of sending a write the tool refuses every cycle.
    text_limits: dict[str, int] = Field(default_factory=dict)
    # The tool can say that a task exists but is archived (``Snapshot.archived``) and undo it
    # through ``update_task(..., {"archived": False})``: a copy the client archived is restored.
    restore: bool = False
    # The connector's incremental pull reads ``PullState.hints``: where one request cannot tell whether
    # anything changed (Basecamp), a webhook's deliveries say which listings to ask.
    change_hints: bool = False


def with_file_limit(capabilities: Capabilities, max_file_mb: int | None) -> Capabilities:
    """A connection's own file limit (``max_file_mb``: a Trello workspace on a paid plan takes 250 MB)."""
    if max_file_mb is None or capabilities.attachments != "file":
        return capabilities
    return capabilities.model_copy(update={"file_limit": max_file_mb * 1024 * 1024})


# Given a snapshot holding sections and tasks (no comments or files yet): the
# ids of the tasks whose comments and attachments the caller needs. Lets a
# tool that reads those per task (Asana) skip the tasks the client never sees.
DetailFilter = Callable[[Snapshot], Collection[str]]


class PullState(BaseModel):
    """What the previous successful pull left (an opaque cursor and its snapshot), and what the caller needs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cursor: str | None = None
    snapshot: Snapshot | None = None
    # None: every task's comments and attachments. Connectors may ignore it and read them all.
    detail: DetailFilter | None = Field(default=None, exclude=True)
    # A dry run: the pull must change nothing anywhere (an email client's inbox is read, never consumed).
    dry_run: bool = Field(default=False, exclude=True)
    # What webhook deliveries said changed since the last pull, in the connector's own words (its
    # ``receive`` names them): None when no webhook serves the side, so the pull must find every change
    # itself; a set, maybe empty, when one does. Only connectors with ``Capabilities.change_hints``
    # get it (docs/daemon.md#webhook-led-polling).
    hints: frozenset[str] | None = Field(default=None, exclude=True)


class PullResult(BaseModel):
    snapshot: Snapshot
    cursor: str | None = None
    # True when the pull re-read the whole project (first pull, invalid sync token).
    full: bool = True


class CheckResult(BaseModel):
    user: str
    project_name: str
    # The project's custom field definitions, where the tool defines them (Capabilities.defined_fields):
    # ``pm-bridge check`` names a field a link maps that the project lacks. None: not read, any name goes.
    fields: dict[str, FieldDef] | None = None


class NewTask(BaseModel):
    """Fields for a create; ``section_id`` and ``parent_id`` are ids of the target side."""

    title: str
    notes: str = ""
    done: bool = False
    section_id: str | None = None
    due: dt.date | None = None
    start: dt.date | None = None
    assignees: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    parent_id: str | None = None
    custom_fields: dict[str, str] = Field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """One configured connection to one tool."""

    name: str
    capabilities: Capabilities

    def check(self, project_id: str) -> CheckResult: ...

    def pull(self, project_id: str, state: PullState | None = None) -> PullResult: ...

    def create_section(self, project_id: str, name: str) -> Section: ...

    def update_section(self, project_id: str, section: Section, name: str) -> Section: ...

    def remove_section(self, project_id: str, section: Section, mode: Removal) -> None: ...

    def create_task(self, project_id: str, task: NewTask) -> Task: ...

    # ``changes`` maps canonical Task field names to new values; ``current`` is
    # the task as last pulled (tools like Basecamp need every field on a PUT).
    # ``custom_fields`` is a patch (bridge/core/fields.py ``patched``): the fields it
    # names change, None clears one, every other field stays as it is.
    # A tool whose task_fields hold "position" also takes ``"after"``: put the
    # task right after that task id of its (new) list, or at the top for None;
    # the returned task's position then orders it right among the positions the
    # caller last pulled.
    def update_task(self, project_id: str, current: Task, changes: dict[str, Any]) -> Task: ...

    def remove_task(self, project_id: str, task: Task, mode: Removal) -> None: ...

    def create_comment(self, project_id: str, task_id: str, text: str) -> Comment: ...

    def update_comment(self, project_id: str, comment: Comment, text: str) -> Comment: ...

    def remove_comment(self, project_id: str, comment: Comment) -> None: ...

    def create_attachment(self, project_id: str, task_id: str, name: str, url: str) -> Attachment: ...

    def remove_attachment(self, project_id: str, attachment: Attachment) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class PartedPull(Protocol):
    """Connectors that can hand a whole project over in parts, so that a caller can start on the
    first parts while the rest is still being read (a migration writes its target meanwhile).

    Each part holds only what is new: the first one the project's sections and people, each later
    one some tasks with their subtasks, comments and attachments. A task never refers to a task of
    a later part, and tasks come in the project's order (positions only grow within a section).
    Every part but the last has ``complete`` false; all parts together hold what ``pull`` returns.
    """

    def pull_parts(self, project_id: str) -> Iterator[Snapshot]: ...


# -- files ---------------------------------------------------------------------------
#
# A connector whose tool stores files (Capabilities.attachments == "file") hands them over and
# takes them in as streams of chunks, so no file is ever held whole in memory (docs/files.md).


@dataclass
class Download:
    """A file being read from its tool: ``chunks`` is consumed once, inside the download's context."""

    size: int | None
    content_type: str
    chunks: Iterator[bytes]


@runtime_checkable
class FileTransfer(Protocol):
    """Connectors that can download a hosted attachment's bytes and upload new files."""

    def open_download(self, project_id: str, attachment: Attachment) -> AbstractContextManager[Download]: ...

    # ``size`` is the exact number of bytes ``chunks`` yields (tools want the length up front).
    def upload_attachment(
        self, project_id: str, task_id: str, name: str, chunks: Iterable[bytes], size: int, content_type: str
    ) -> Attachment: ...


# -- webhooks -------------------------------------------------------------------
#
# The daemon receives every tool's deliveries at
#   {public_url}/hooks/{link}/{side}/{token}
# where ``token`` is the per-link-side secret (Basecamp's only authentication,
# and a cheap first filter for the others). Each tool's signature rules live in
# ``connectors/<tool>/webhooks.py`` as a module-level function
#   receive(request: WebhookRequest, secret: str | None) -> WebhookVerdict
# which is pure: no I/O, no state; what must be kept (Asana's handshake secret)
# comes back in the verdict for the daemon to store.


class Webhook(BaseModel):
    """A webhook as the tool lists it."""

    id: str
    project_id: str
    callback_url: str
    active: bool = True


class WebhookRequest(BaseModel):
    """A delivery as the daemon's receiver got it."""

    method: str
    url: str  # the full URL the tool called (Trello signs body + callback URL)
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""


class WebhookVerdict(BaseModel):
    """What the receiver answers, and what the daemon does next."""

    status: int  # the HTTP status to answer the tool with
    headers: dict[str, str] = Field(default_factory=dict)
    trigger: bool = False  # a genuine delivery that may change the project: run the link soon
    secret: str | None = None  # a secret the tool handed over (Asana's X-Hook-Secret handshake) to keep
    reason: str = ""  # why it was refused or ignored, for the log (never the body)
    # An inbound email a provider posted (docs/email.md): the daemon keeps it for the connection's next pull.
    message: bytes | None = Field(default=None, repr=False)
    # What the delivery says changed, in the connector's words, for its next pull (``PullState.hints``).
    hints: frozenset[str] = frozenset()


@runtime_checkable
class WebhookRegistry(Protocol):
    """Connectors whose tool lets the bridge manage webhooks through the API."""

    def register_webhook(self, project_id: str, callback_url: str, secret: str) -> Webhook: ...

    def list_webhooks(self, project_id: str) -> list[Webhook]: ...

    def remove_webhook(self, project_id: str, webhook_id: str) -> None: ...


@runtime_checkable
class CycleEnd(Protocol):
    """Connectors with work to do once a cycle's writes are in: an email client's approval requests and
    digest go out then, so they show this cycle's changes (docs/email.md)."""

    def cycle_finished(self, project_id: str) -> None: ...
