"""The Trello connector: a board is the project, lists are sections, cards are tasks.

Subtasks are check items on the card's "Subtasks" checklist (created on
demand); all of a card's checklists are read as its subtasks. Trello cannot
delete a list, so removing a section archives it in both modes; a check item
cannot be archived, so removing a subtask deletes it in both modes.

Descriptions and comments are Markdown already; a mention is written
``@username`` when the person was a member of the board at the last pull, as
their plain name otherwise.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from bridge import richtext
from bridge.core.fields import patched
from bridge.core.model import Attachment, Comment, Section, Task
from bridge.core.ops import ARCHIVED
from bridge.core.ports import Capabilities, CheckResult, Download, NewTask, PullResult, PullState, Removal
from bridge.errors import Invalid, Malformed, NotFound
from bridge.http import HttpClient, RequestStats
from bridge.http.multipart import multipart_body
from bridge.richtext.mentions import NOBODY
from connectors.trello import translate
from connectors.trello.fields import board_fields, item_body
from connectors.trello.incremental import incremental
from connectors.trello.limits import FREE_FILE_LIMIT, TEXT_LIMITS
from connectors.trello.pull import CARD_FIELDS, SUBTASK_CHECKLIST, BoardPull
from connectors.trello.rest import TrelloApi
from connectors.trello.webhook_admin import TrelloWebhookAdmin

CAPABILITIES = Capabilities(
    tool="trello",
    text_limits=TEXT_LIMITS,
    restore=True,  # an archived card is closed=true; PUT closed=false brings it back
    task_fields=frozenset({"title", "notes", "done", "section_id", "due", "start", "assignees", "labels", "position"}),
    subtask_fields=frozenset({"title", "done"}),
    nested_depth=1,
    comments=True,
    edit_comments=True,
    attachments="file",
    file_limit=FREE_FILE_LIMIT,
    removal=frozenset({"archive", "delete"}),
    custom_fields=True,  # the board's Custom Fields (connectors/trello/fields.py)
)
LABEL_COLORS = ("green", "yellow", "orange", "red", "purple", "blue", "sky", "lime", "pink", "black")
# Trello spaces positions by 2^16 ("bottom" adds this much to the last card).
POS_STEP = 65536.0
_CARD_PARAMS = {"title": "name", "notes": "desc", "done": "dueComplete", "section_id": "idList"}



class TrelloConnector(TrelloWebhookAdmin):
    capabilities = CAPABILITIES

    def __init__(self, name: str, http: HttpClient, token: str = "", *, key: str = "") -> None:
        self.name = name
        self.http = http
        self.token = token  # webhooks are listed per token
        self.key = key  # with the token: the OAuth header file downloads need
        self.api = TrelloApi(http)
        self.puller = BoardPull(self.api, name)
        self._labels: dict[str, dict[str, str]] = {}  # board -> label name -> id
        self._first_list: dict[str, str] = {}
        self._people: dict[str, richtext.People] = {}  # board -> its members at the last pull, for mentions

    @property
    def stats(self) -> RequestStats:
        return self.http.stats

    def close(self) -> None:
        self.http.close()

    # -- reading -----------------------------------------------------------

    def check(self, project_id: str) -> CheckResult:
        me = self.api.obj("members/me", {"fields": "fullName,username"})
        # The board's Custom Fields come nested in the same read: check names a mapped field it lacks.
        board = self.api.obj(f"boards/{project_id}", {"fields": "name", "customFields": "true"})
        with translate.shape("the member or board"):
            return CheckResult(user=str(me.get("fullName") or me["username"]), project_name=str(board["name"]),
                               fields=board_fields(list(board.get("customFields") or [])).defs())

    def pull(self, project_id: str, state: PullState | None = None) -> PullResult:
        result = incremental(self.puller, project_id, state) if state is not None else self.puller.full(project_id)
        sections = sorted(result.snapshot.sections.values(), key=lambda s: s.position)
        if sections:
            self._first_list[project_id] = sections[0].id
        self._people[project_id] = translate.mentionable(result.snapshot.people.values())
        return result

    def _markdown(self, project_id: str, text: str) -> str:
        """Canonical Markdown as Trello keeps it: the same dialect, mentions as ``@username`` or names."""
        return richtext.write("trello", text, self._mentionable(project_id))

    def _mentionable(self, project_id: str) -> richtext.People:
        return self._people.get(project_id, NOBODY)

    # -- sections ----------------------------------------------------------

    def create_section(self, project_id: str, name: str) -> Section:
        return translate.section(self.api.write("POST", "lists", {"name": name, "idBoard": project_id, "pos": "bottom"}))

    def update_section(self, project_id: str, section: Section, name: str) -> Section:
        return translate.section(self.api.write("PUT", f"lists/{section.id}", {"name": name}))

    def remove_section(self, project_id: str, section: Section, mode: Removal) -> None:
        # Trello has no way to delete a list: both modes archive it.
        self.api.write("PUT", f"lists/{section.id}/closed", {"value": True})

    # -- tasks -------------------------------------------------------------

    def create_task(self, project_id: str, task: NewTask) -> Task:
        if task.parent_id:
            return self._create_check_item(task)
        params: dict[str, Any] = {
            "idList": task.section_id or self._default_list(project_id),
            "name": task.title,
            "desc": self._markdown(project_id, task.notes),
            "pos": "bottom",
            "dueComplete": task.done,
            "idMembers": task.assignees,
            "idLabels": self._label_ids(project_id, task.labels),
        }
        if task.due:
            params["due"] = translate.write_day(task.due)
        if task.start:
            params["start"] = translate.write_day(task.start)
        card = self._send_card(project_id, "POST", "cards", params, task.labels)
        return card.model_copy(update=self._write_fields(project_id, card.id, {}, dict(task.custom_fields)))

    def update_task(self, project_id: str, current: Task, changes: dict[str, Any]) -> Task:
        if current.parent_id:
            return self._update_check_item(current, changes)
        params: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "notes":
                params["desc"] = self._markdown(project_id, value or "")
            elif name == ARCHIVED:
                params["closed"] = bool(value)
            elif name in _CARD_PARAMS:
                params[_CARD_PARAMS[name]] = value
            elif name in ("due", "start"):
                params[name] = translate.write_day(value)
            elif name == "assignees":
                params["idMembers"] = list(value)
            elif name == "labels":
                continue  # added and removed one by one below, never replaced as a set
            elif name == "position":
                params["pos"] = value if value > 0 else "top"  # Trello positions are positive
            elif name == "after":
                params["pos"] = self._pos_after(str(changes.get("section_id") or current.section_id), current.id, value)
            elif (name == "parent_id" and value == current.parent_id) or name == "custom_fields":
                continue  # custom fields: written below, in one request
            else:
                raise Invalid(f"trello: a card cannot change {name!r}", hint="the planner asked for a field Trello does not hold")
        relabelled = "labels" in changes and self._relabel(project_id, current, list(changes["labels"]))
        custom = self._write_fields(project_id, current.id, current.custom_fields, changes.get("custom_fields") or {})
        if params:
            return self._send_card(project_id, "PUT", f"cards/{current.id}", params, None).model_copy(update=custom)
        if relabelled:
            raw = self.api.obj(f"cards/{current.id}", {"fields": CARD_FIELDS})
            return translate.task(raw, people=self._mentionable(project_id)).model_copy(update=custom)
        return current.model_copy(update=custom)

    def _write_fields(self, project_id: str, card_id: str, held: dict[str, str], patch: dict[str, Any]) -> dict[str, Any]:
        """The patch's fields in one write; the card's fields as they now are.

        Two or more fields go in one ``PUT cards/{id}/customFields`` (each array item carries the body the
        single-item route takes), so a new card with n mapped values costs 2 writes instead of n + 1. One
        field keeps ``PUT cards/{id}/customField/{field}/item``: the same single request, on the route
        Trello documents an answer for (the item) where the batch documents only ``200 Success``.
        """
        if not patch:
            # A card's answer carries no customFieldItems: the fields stay as last read.
            return {"custom_fields": dict(held)}
        fields = self.puller.board_fields(project_id)
        if any(fields.named(name) is None for name in patch):
            fields = self.puller.board_fields(project_id, fresh=True)  # a field added since the pull
        bodies = []
        for name, value in patch.items():
            found = fields.named(name)
            if found is None:
                raise Invalid(f"trello: board {project_id} has no custom field named {name!r}",
                              hint="add the field to the board (Power-Ups: Custom Fields) or fix the link's field name")
            bodies.append((found, value or None, item_body(found, value or None)))  # refused before any write
        if len(bodies) == 1:
            found, _, body = bodies[0]
            self.http.request("PUT", f"cards/{card_id}/customField/{found.id}/item", json=body)
        else:
            batch = [{"idCustomField": found.id, **body} for found, _, body in bodies]
            self.http.request("PUT", f"cards/{card_id}/customFields", json={"customFieldItems": batch})
        return {"custom_fields": patched(held, {found.name: value for found, value, _ in bodies})}

    def _relabel(self, project_id: str, current: Task, names: list[str]) -> bool:
        """Add and remove only the labels that changed since the pull; True if any request went.

        A PUT of ``idLabels`` replaces the card's whole set with one built from the last pull, so a
        label someone added on Trello in between would be lost; ``POST /cards/{id}/idLabels`` and
        ``DELETE /cards/{id}/idLabels/{idLabel}`` touch only the labels the bridge changed.
        """
        added = [name for name in names if name not in current.labels]
        removed = [name for name in current.labels if name not in names]
        if removed:
            known = self._labels.get(project_id, {})
            if any(name not in known for name in removed):
                known = self._board_labels(project_id)  # never _label_ids: it would create what is gone
            for name in removed:
                if name in known:
                    with contextlib.suppress(NotFound, Invalid):  # off the card or off the board already
                        self.http.request("DELETE", f"cards/{current.id}/idLabels/{known[name]}")
        for name, label_id in zip(added, self._label_ids(project_id, added), strict=True):
            try:
                self.http.request("POST", f"cards/{current.id}/idLabels", data={"value": label_id})
            except Invalid as exc:
                if "already on the card" in str(exc):
                    continue
                # A label we knew was deleted meanwhile: learn the board's labels again, once.
                self._labels.pop(project_id, None)
                fresh = self._label_ids(project_id, [name])[0]
                self.http.request("POST", f"cards/{current.id}/idLabels", data={"value": fresh})
        return bool(added or removed)

    def _pos_after(self, list_id: str, card_id: str, after: str | None) -> float | str:
        """A ``pos`` right after card ``after`` in the list: halfway to the next card, as Trello's UI does."""
        if after is None:
            return "top"
        with translate.shape("a list's cards"):
            cards = sorted((float(c["pos"]), str(c["id"])) for c in self.api.many(f"lists/{list_id}/cards") if c["id"] != card_id)
        anchor = next((pos for pos, cid in cards if cid == after), None)
        if anchor is None:
            raise Invalid(f"trello: card {after} is not in list {list_id}", hint="it moved meanwhile; the next cycle places it")
        following = [pos for pos, _ in cards if pos > anchor]
        return (anchor + following[0]) / 2 if following else anchor + POS_STEP

    def _send_card(self, project_id: str, method: str, path: str, params: dict[str, Any], labels: list[str] | None) -> Task:
        people = self._mentionable(project_id)
        try:
            return translate.task(self.api.write(method, path, params), people=people)
        except Invalid as exc:
            if not labels or "idLabels" not in str(exc):
                raise
        # A label we knew was deleted meanwhile: learn the board's labels again, once.
        self._labels.pop(project_id, None)
        params["idLabels"] = self._label_ids(project_id, list(labels))
        return translate.task(self.api.write(method, path, params), people=people)

    def remove_task(self, project_id: str, task: Task, mode: Removal) -> None:
        if task.parent_id:
            # A check item cannot be archived: both modes delete it.
            self.api.write("DELETE", f"cards/{task.parent_id}/checkItem/{task.id}")
        elif mode == "archive":
            self.api.write("PUT", f"cards/{task.id}", {"closed": True})
        else:
            self.api.write("DELETE", f"cards/{task.id}")

    # -- subtasks as check items ----------------------------------------------

    def _create_check_item(self, task: NewTask) -> Task:
        card_id = str(task.parent_id)
        params = {"name": task.title, "pos": "bottom", "checked": task.done}
        checklist = self._subtask_checklist(card_id)
        try:
            item = self.api.write("POST", f"checklists/{checklist}/checkItems", params)
        except NotFound:  # the checklist went away since we learnt its id
            self.puller.subtask_checklists.pop(card_id, None)
            item = self.api.write("POST", f"checklists/{self._subtask_checklist(card_id)}/checkItems", params)
        return translate.subtask(card_id, item)

    def _subtask_checklist(self, card_id: str) -> str:
        known = self.puller.subtask_checklists.get(card_id)
        if known:
            return known
        for checklist in self.api.many(f"cards/{card_id}/checklists", {"fields": "name", "checkItems": "none"}):
            if checklist.get("name") == SUBTASK_CHECKLIST and checklist.get("id"):
                self.puller.subtask_checklists[card_id] = str(checklist["id"])
                return str(checklist["id"])
        created = self.api.write("POST", f"cards/{card_id}/checklists", {"name": SUBTASK_CHECKLIST, "pos": "bottom"})
        with translate.shape("a new checklist"):
            self.puller.subtask_checklists[card_id] = str(created["id"])
        return self.puller.subtask_checklists[card_id]

    def _update_check_item(self, current: Task, changes: dict[str, Any]) -> Task:
        params: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "title":
                params["name"] = value
            elif name == "done":
                params["state"] = "complete" if value else "incomplete"
            elif name == "position":
                params["pos"] = value if value > 0 else "top"
            elif name == "parent_id" and value == current.parent_id:
                continue
            else:
                raise Invalid(f"trello: a check item cannot hold {name!r}", hint="subtasks on Trello carry only a title and done")
        if not params:
            return current
        item = self.api.write("PUT", f"cards/{current.parent_id}/checkItem/{current.id}", params)
        return translate.subtask(str(current.parent_id), item)

    # -- comments and attachments ------------------------------------------

    def create_comment(self, project_id: str, task_id: str, text: str) -> Comment:
        action = self.api.write("POST", f"cards/{task_id}/actions/comments", {"text": self._markdown(project_id, text)})
        return translate.comment(action, self._mentionable(project_id))

    def update_comment(self, project_id: str, comment: Comment, text: str) -> Comment:
        path = f"cards/{comment.task_id}/actions/{comment.id}/comments"
        action = self.api.write("PUT", path, {"text": self._markdown(project_id, text)})
        if not action.get("data"):  # some answers carry only the id: the edit still took
            return comment.model_copy(update={"text": text})
        return translate.comment(action, self._mentionable(project_id))

    def remove_comment(self, project_id: str, comment: Comment) -> None:
        self.api.write("DELETE", f"cards/{comment.task_id}/actions/{comment.id}/comments")

    def create_attachment(self, project_id: str, task_id: str, name: str, url: str) -> Attachment:
        raw = self.api.write("POST", f"cards/{task_id}/attachments", {"url": url, "name": name})
        return translate.attachment(task_id, raw)

    def remove_attachment(self, project_id: str, attachment: Attachment) -> None:
        self.api.write("DELETE", f"cards/{attachment.task_id}/attachments/{attachment.id}")

    # -- files (bridge/core/ports.py FileTransfer; docs/files.md) -------------------------------

    @contextlib.contextmanager
    def open_download(self, project_id: str, attachment: Attachment) -> Iterator[Download]:
        # An upload's url is its download route on the API; Trello serves it only with the OAuth header.
        header = f'OAuth oauth_consumer_key="{self.key}", oauth_token="{self.token}"'
        with self.http.download(attachment.url, size=attachment.size, headers={"Authorization": header}) as download:
            yield download

    def upload_attachment(
        self, project_id: str, task_id: str, name: str, chunks: Iterable[bytes], size: int, content_type: str
    ) -> Attachment:
        headers, body = multipart_body([("name", name), ("mimeType", content_type)], "file", name, content_type, chunks, size)
        response = self.http.send_stream("POST", f"cards/{task_id}/attachments", content=body, headers=headers)
        raw = response.json()
        if isinstance(raw, list) and raw:  # the spec says a list; the API answers with the one attachment
            raw = raw[0]
        if not isinstance(raw, dict):
            raise Malformed("trello: the upload did not return an attachment")
        return translate.attachment(task_id, raw)

    # -- lists and labels by name --------------------------------------------

    def _default_list(self, project_id: str) -> str:
        """A card needs a list: without a section it goes to the board's first open list."""
        if project_id not in self._first_list:
            lists = self.api.many(f"boards/{project_id}/lists", {"filter": "open", "fields": "name,pos"})
            if not lists:
                raise Invalid("trello: the board has no open list to put a card in", hint="add a list to the board")
            with translate.shape("a list"):
                self._first_list[project_id] = str(min(lists, key=lambda x: float(x.get("pos") or 0))["id"])
        return self._first_list[project_id]

    def _board_labels(self, project_id: str) -> dict[str, str]:
        known: dict[str, str] = {}
        for label in self.api.many(f"boards/{project_id}/labels", {"fields": "name,color", "limit": 1000}):
            known.setdefault(translate.label_name(label), str(label.get("id")))
        self._labels[project_id] = known
        return known

    def _label_ids(self, project_id: str, names: list[str]) -> list[str]:
        """Label ids for names, creating the missing labels on the board."""
        if not names:
            return []
        known = self._labels.get(project_id, {})
        if any(name not in known for name in names):
            known = self._board_labels(project_id)
        for name in names:
            if name not in known:
                color = LABEL_COLORS[zlib.crc32(name.encode()) % len(LABEL_COLORS)]
                created = self.api.write("POST", "labels", {"name": name, "color": color, "idBoard": project_id})
                with translate.shape("a new label"):
                    known[name] = str(created["id"])
        return [known[name] for name in names]
