"""The Basecamp connector: a project's to-do set; to-do lists are sections, to-dos are tasks.

To-dos do not nest, so there are no subtasks (shared subtasks travel as tasks
of their own), and Basecamp has no labels. A link attachment is a comment on
the to-do holding one "📎" link. Removal sets the recording status: "archive"
archives, "delete" trashes (Basecamp empties its trash after 30 days). A
to-do the client archived or trashed is read into ``Snapshot.archived``
(archived.py) and restored with ``{"archived": False}``: its status goes back
to active, so it keeps its id and its comments.

``PUT /todos/{id}.json`` clears every field it leaves out, so an update sends
them all, built from ``current`` plus ``changes``; completion subscribers are
not canonical and come from the last pull (or one GET when this connector has
not seen the to-do yet). The description goes out whole: when the notes are
not part of the change it goes out exactly as pulled, byte for byte, so inline
files and mentions in it stay as the client wrote them (Basecamp's rich-text
guide: do not discard attachments); when they change, a mention is written
again as a ``<bc-attachment>`` of the person's ``attachable_sgid`` (known from
the last pull) and an inline file read from this tool as its markup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from bridge import richtext
from bridge.core.fields import patched
from bridge.core.model import Attachment, Comment, Section, Task
from bridge.core.ops import ARCHIVED
from bridge.core.ports import Capabilities, CheckResult, Download, NewTask, PullResult, PullState, Removal
from bridge.errors import Invalid, Malformed
from bridge.http import HttpClient, RequestStats
from bridge.richtext.mentions import NOBODY
from connectors.basecamp import translate
from connectors.basecamp.archived import read_archived
from connectors.basecamp.footer import split_footer
from connectors.basecamp.incremental import incremental
from connectors.basecamp.limits import TEXT_LIMITS
from connectors.basecamp.mapping import BasecampMapping
from connectors.basecamp.pull import ProjectPull
from connectors.basecamp.rest import BasecampApi
from connectors.basecamp.webhook_admin import BasecampWebhookAdmin

# Basecamp's API and storage hosts (3.basecampapi.com, storage.3.basecamp.com, 3.basecamp-static.com).
_OWN_HOSTS = ("basecamp.com", "basecampapi.com", "basecamp-static.com")

CAPABILITIES = Capabilities(
    tool="basecamp",
    text_limits=TEXT_LIMITS,
    restore=True,  # an archived or trashed to-do goes back with PUT recordings/{id}/status/active.json
    change_hints=True,  # webhook deliveries say which listings to ask (incremental.py)
    task_fields=frozenset({"title", "notes", "done", "section_id", "due", "start", "assignees", "position"}),
    subtask_fields=frozenset(),
    nested_depth=0,
    comments=True,
    edit_comments=True,
    attachments="file",
    file_limit=None,  # the API documents no per-file limit, only the account's storage (docs/files.md)
    removal=frozenset({"archive", "delete"}),
    # As a footer of "Name: value" lines at the end of the notes (connectors/basecamp/footer.py).
    custom_fields=True,
    defined_fields=False,
)
_PUT_FIELDS = ("title", "notes", "due", "start", "assignees", "custom_fields")
_STATUS = {"archive": "archived", "delete": "trashed"}


class BasecampConnector(BasecampWebhookAdmin):
    capabilities = CAPABILITIES

    def __init__(self, name: str, http: HttpClient, mapping: BasecampMapping) -> None:
        self.name = name
        self.http = http
        self.mapping = mapping
        self.api = BasecampApi(http)
        self.puller = ProjectPull(self.api, name, mapping)
        self._first_list: dict[str, str] = {}
        self._people: dict[str, richtext.People] = {}  # project -> whom its text can mention, from the last pull

    @property
    def stats(self) -> RequestStats:
        return self.http.stats

    def close(self) -> None:
        self.http.close()

    # -- reading -------------------------------------------------------------

    def check(self, project_id: str) -> CheckResult:
        me = self.api.obj("my/profile.json")
        project = self.api.obj(f"projects/{project_id}.json")
        with translate.shape("the profile or project"):
            return CheckResult(user=str(me["name"]), project_name=str(project["name"]))

    def pull(self, project_id: str, state: PullState | None = None) -> PullResult:
        if state is not None and state.cursor:
            result = incremental(self.puller, project_id, state)
        else:
            result = self.puller.full(project_id)
        read_archived(self.puller, result, state)
        sections = sorted(result.snapshot.sections.values(), key=lambda s: (s.position, s.id))
        if sections:
            self._first_list[project_id] = sections[0].id
        self._people[project_id] = self.puller.mentionable(result.snapshot.people.values())
        return result

    def _mentionable(self, project_id: str) -> richtext.People:
        return self._people.get(project_id, NOBODY)

    # -- sections (to-do lists) ---------------------------------------------------

    def create_section(self, project_id: str, name: str) -> Section:
        body: dict[str, Any] = {"name": name}
        if self.mapping.lists_visible_to_clients:
            body["visible_to_clients"] = True
        raw = self._object("POST", f"todosets/{self.puller.todoset(project_id)}/todolists.json", body)
        with translate.shape("a to-do list"):
            return translate.section(raw)

    def update_section(self, project_id: str, section: Section, name: str) -> Section:
        # The PUT clears an omitted description, and Section does not carry it: read it first.
        current = self.api.obj(f"todolists/{section.id}.json")
        raw = self._object("PUT", f"todolists/{section.id}.json",
                           {"name": name, "description": str(current.get("description") or "")})
        with translate.shape("a to-do list"):
            return translate.section(raw)

    def remove_section(self, project_id: str, section: Section, mode: Removal) -> None:
        self.api.write("PUT", f"recordings/{section.id}/status/{_STATUS[mode]}.json")
        if self._first_list.get(project_id) == section.id:
            del self._first_list[project_id]

    # -- tasks (to-dos) ------------------------------------------------------------

    def create_task(self, project_id: str, task: NewTask) -> Task:
        _refuse_unsupported({"parent_id": task.parent_id, "labels": task.labels})
        section = task.section_id or self._default_list(project_id)
        draft = Task(id="new", title=task.title, notes=task.notes, due=task.due, start=task.start, assignees=task.assignees,
                     custom_fields=task.custom_fields)
        people = self._mentionable(project_id)
        raw = self._object("POST", f"todolists/{section}/todos.json", translate.todo_body(draft, [], people))
        self.puller.remember(raw)
        with translate.shape("a to-do"):
            created = translate.task(raw, section, people)
        if task.done:
            self.api.write("POST", f"todos/{created.id}/completion.json", idempotent=True)
            created = created.model_copy(update={"done": True})
        return created

    def update_task(self, project_id: str, current: Task, changes: dict[str, Any]) -> Task:
        _refuse_unsupported({k: v for k, v in changes.items()
                             if k not in CAPABILITIES.task_fields | {"after", ARCHIVED, "custom_fields"}})
        result = current
        if ARCHIVED in changes:  # first: the other writes then reach an active to-do
            self.api.write("PUT", f"recordings/{current.id}/status/{'archived' if changes[ARCHIVED] else 'active'}.json")
        if "custom_fields" in changes:  # a patch (bridge/core/ports.py), written as the notes' footer
            changes = {**changes, "custom_fields": patched(current.custom_fields, changes["custom_fields"] or {})}
        if any(name in changes and changes[name] != getattr(current, name) for name in _PUT_FIELDS):
            merged = current.model_copy(update={k: v for k, v in changes.items() if k in _PUT_FIELDS})
            subscribers = self.puller.subscribers.get(current.id)
            if subscribers is None:
                self.puller.remember(self.api.obj(f"todos/{current.id}.json"))
                subscribers = self.puller.subscribers.get(current.id, [])
            people = self._mentionable(project_id)
            kept = self._unchanged_description(current, merged, people)
            raw = self._object("PUT", f"todos/{current.id}.json", translate.todo_body(merged, subscribers, people, kept))
            self.puller.remember(raw)
            with translate.shape("a to-do"):
                result = translate.task(raw, current.section_id or "", people)
        if "done" in changes and bool(changes["done"]) != result.done:
            method = "POST" if changes["done"] else "DELETE"
            self.api.write(method, f"todos/{current.id}/completion.json", idempotent=True)
            result = result.model_copy(update={"done": bool(changes["done"])})
        moving = "section_id" in changes and changes["section_id"] and changes["section_id"] != result.section_id
        placed: float | None = None
        if "after" in changes:
            list_id = str(changes["section_id"] if moving else result.section_id)
            position, placed = self._rank_after(list_id, current, changes["after"])
            changes = {**changes, "position": position}
        if moving or ("position" in changes and changes["position"] != result.position):
            position = max(1, round(float(changes.get("position", 1.0))))
            body: dict[str, Any] = {"position": position}
            if moving:
                body["parent_id"] = int(changes["section_id"])
            self.api.write("PUT", f"todos/{current.id}/position.json", body)
            result = result.model_copy(update={"section_id": changes["section_id"] if moving else result.section_id,
                                               "position": float(position) if placed is None else placed})
        return result.model_copy(update={"section_id": result.section_id or current.section_id})

    def _unchanged_description(self, current: Task, merged: Task, people: richtext.People) -> str | None:
        """The description as pulled, when the notes stay what it reads as; None when they change."""
        pulled = self.puller.descriptions.get(current.id)
        if pulled is None or merged.notes != current.notes or merged.custom_fields != current.custom_fields:
            return None
        as_read = split_footer(richtext.read("basecamp", pulled, people))
        return pulled if as_read == (current.notes, current.custom_fields) else None

    def _rank_after(self, list_id: str, current: Task, after: str | None) -> tuple[int, float]:
        """The 1-based rank that puts the to-do right after ``after`` (first for None), and the
        position that orders it among the ranks the last pull saw (just past its anchor's)."""
        if after is None:
            return 1, 0.5
        with translate.shape("a to-do list's to-dos"):
            ranks = {translate.ident(t["id"]): int(t["position"]) for t in self.api.many(f"todolists/{list_id}/todos.json")}
        if after not in ranks:
            raise Invalid(f"basecamp: to-do {after} is not in list {list_id}",
                          hint="it moved meanwhile (the next cycle places it), or sits in a list group, "
                               "which keeps its own order: the mirror orders only a list's own to-dos")
        anchor = ranks[after]
        # Ranks count the moving to-do too while it is in this list above its anchor.
        above = current.id in ranks and ranks[current.id] < anchor
        return (anchor if above else anchor + 1), anchor + 0.5

    def remove_task(self, project_id: str, task: Task, mode: Removal) -> None:
        self.api.write("PUT", f"recordings/{task.id}/status/{_STATUS[mode]}.json")

    # -- comments and link attachments ------------------------------------------------

    def create_comment(self, project_id: str, task_id: str, text: str) -> Comment:
        return self._comment(project_id, "POST", f"recordings/{task_id}/comments.json", text)

    def update_comment(self, project_id: str, comment: Comment, text: str) -> Comment:
        return self._comment(project_id, "PUT", f"comments/{comment.id}.json", text)

    def remove_comment(self, project_id: str, comment: Comment) -> None:
        self.api.write("PUT", f"recordings/{comment.id}/status/trashed.json")

    def create_attachment(self, project_id: str, task_id: str, name: str, url: str) -> Attachment:
        raw = self._object("POST", f"recordings/{task_id}/comments.json",
                           {"content": translate.attachment_content(name, url)})
        with translate.shape("a comment"):
            item = translate.comment(raw)
        if not isinstance(item, Attachment):
            raise Malformed("basecamp: the link comment came back changed; Basecamp altered its HTML")
        return item

    def remove_attachment(self, project_id: str, attachment: Attachment) -> None:
        self.api.write("PUT", f"recordings/{attachment.id}/status/trashed.json")

    # -- files (bridge/core/ports.py FileTransfer; docs/files.md) -------------------------------
    #
    # An upload is POST /attachments.json (the raw bytes, Content-Type and Content-Length, ?name=),
    # then a comment on the to-do holding only <bc-attachment sgid>: a comment, not the to-do's
    # description, because the description is the mirrored notes (rewritten whenever they change)
    # while a comment is a recording of its own that appends and is trashed alone, as link
    # attachments already are.

    @contextlib.contextmanager
    def open_download(self, project_id: str, attachment: Attachment) -> Iterator[Download]:
        host = httpx.URL(attachment.url).host
        # Basecamp's storage hosts want the same Bearer token as the API; no other host gets it.
        own = host.endswith(_OWN_HOSTS)
        with self.http.download(attachment.url, size=attachment.size, credentials=own) as download:
            yield download

    def upload_attachment(
        self, project_id: str, task_id: str, name: str, chunks: Iterable[bytes], size: int, content_type: str
    ) -> Attachment:
        headers = {"Content-Type": content_type or "application/octet-stream", "Content-Length": str(size)}
        response = self.http.send_stream("POST", "attachments.json", content=chunks, headers=headers, params={"name": name})
        raw = response.json()
        sgid = raw.get("attachable_sgid") if isinstance(raw, dict) else None
        if not isinstance(sgid, str) or not sgid:
            raise Malformed("basecamp: the upload answered without an attachable_sgid")
        comment = self._object("POST", f"recordings/{task_id}/comments.json", {"content": translate.file_content(sgid)})
        with translate.shape("a comment"):
            item = translate.comment(comment)
        if not isinstance(item, Attachment) or not item.hosted:
            raise Malformed("basecamp: the file comment came back changed; Basecamp altered its HTML")
        return item

    # -- helpers ---------------------------------------------------------------------

    def _object(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        raw = self.api.write(method, path, body)
        if raw is None:
            raise Malformed(f"basecamp: {method} {path} answered without the object it wrote")
        return raw

    def _comment(self, project_id: str, method: str, path: str, text: str) -> Comment:
        people = self._mentionable(project_id)
        raw = self._object(method, path, {"content": translate.comment_content(text, people)})
        with translate.shape("a comment"):
            item = translate.comment(raw, people)
        if isinstance(item, Attachment):
            raise Malformed("basecamp: a comment came back as a link attachment; Basecamp altered its HTML")
        return item

    def _default_list(self, project_id: str) -> str:
        """Basecamp to-dos always live in a list: a task without a section goes to the first one."""
        if project_id not in self._first_list:
            lists = self.puller.lists(self.puller.todoset(project_id))
            if not lists:
                raise Invalid(f"basecamp: project {project_id} has no to-do list to put a task in",
                              hint="create a to-do list (a section) first")
            with translate.shape("a to-do list"):
                self._first_list[project_id] = translate.ident(lists[0]["id"])
        return self._first_list[project_id]


def _refuse_unsupported(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if value:
            raise Invalid(f"basecamp: a to-do cannot hold {name!r}", hint="Basecamp to-dos have no labels, "
                          "custom fields or subtasks; the planner asked for a field the capabilities leave out")
