"""Full pulls of a Trello board and the cursor that incremental pulls start from.

A full pull reads the newest board action first (its id becomes the cursor, so
anything that happens during the pull is seen again next time, never missed),
then lists, open cards with their checklists and attachments in one request,
members, and the ``commentCard`` actions (pages of 1000 via ``before``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bridge.core.model import Snapshot, Task
from bridge.core.ports import PullResult
from bridge.errors import Malformed
from bridge.richtext import People
from connectors.trello import translate
from connectors.trello.fields import BoardFields, board_fields, values
from connectors.trello.rest import TrelloApi

CARD_FIELDS = "name,desc,idBoard,idList,pos,due,start,dueComplete,idMembers,idLabels,labels,closed,dateLastActivity,shortUrl"
CARD_NESTED = {"attachments": "true", "attachment_fields": "name,url,date,bytes,isUpload", "checklists": "all",
               "checklist_fields": "name,pos", "customFieldItems": "true"}
PAGE = 1000  # the most actions Trello returns per request
SUBTASK_CHECKLIST = "Subtasks"


@dataclass(frozen=True)
class Cursor:
    """What an incremental pull needs: the board, the newest action seen, and who "we" are."""

    board: str
    since: str | None
    me: str

    def dump(self) -> str:
        return json.dumps({"v": 1, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def load(cls, raw: str | None, board: str) -> Cursor | None:
        try:
            data = json.loads(raw or "")
            cursor = cls(board=str(data["board"]), since=data["since"], me=str(data["me"]))
        except (ValueError, KeyError, TypeError):
            return None
        if data.get("v") != 1 or cursor.board != board:
            return None
        if cursor.since is not None and not translate.OBJECT_ID.match(str(cursor.since)):
            return None
        return cursor


def actions_pages(api: TrelloApi, board: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action matching ``params``, newest first, paging backwards with ``before``."""
    out: list[dict[str, Any]] = []
    before: str | None = None
    while True:
        page = api.many(f"boards/{board}/actions", {**params, "limit": PAGE, "before": before})
        out.extend(page)
        if len(page) < PAGE:
            return out
        oldest = str(page[-1].get("id", ""))
        if not oldest or oldest == before:
            raise Malformed("trello: paging the board's actions repeated a page; stopped")
        before = oldest


class BoardPull:
    def __init__(self, api: TrelloApi, connection: str) -> None:
        self.api = api
        self.connection = connection
        self._me: str | None = None
        # card id -> id of its "Subtasks" checklist, learnt while pulling (saves a read per subtask create)
        self.subtask_checklists: dict[str, str] = {}
        self.fields: dict[str, BoardFields] = {}  # board -> its custom fields (connectors/trello/fields.py)

    def board_fields(self, board: str, *, fresh: bool = False) -> BoardFields:
        """The board's custom field definitions, read at each full pull (or when first needed)."""
        if fresh or board not in self.fields:
            self.fields[board] = board_fields(self.api.many(f"boards/{board}/customFields"))
        return self.fields[board]

    def me(self) -> str:
        if self._me is None:
            with translate.shape("the member"):
                self._me = str(self.api.obj("members/me", {"fields": "fullName,username"})["id"])
        return self._me

    def full(self, board: str) -> PullResult:
        me = self.me()
        newest = self.api.many(f"boards/{board}/actions", {"filter": "all", "limit": 1})
        with translate.shape("the board"):
            # The board's Custom Fields come nested in the same request (connectors/trello/fields.py).
            head = self.api.obj(f"boards/{board}", {"fields": "name,closed", "customFields": "true"})
            name = str(head["name"])
        self.fields[board] = board_fields(list(head.get("customFields") or []))
        lists = self.api.many(f"boards/{board}/lists", {"filter": "open", "fields": "name,pos,closed"})
        # Archived cards too, in the same request: a mirrored card the client archived is restored, not duplicated.
        cards = self.api.many(f"boards/{board}/cards", {"filter": "all", "fields": CARD_FIELDS, **CARD_NESTED})
        members = self.api.many(f"boards/{board}/members", {"fields": "fullName,username"})
        comments = actions_pages(self.api, board, {"filter": "commentCard"})
        snapshot = Snapshot(connection=self.connection, project_id=board, project_name=name)
        snapshot.fields = self.fields[board].defs()
        for raw in members:
            person = translate.person(raw)
            snapshot.people[person.id] = person
        # Members first: text is read once everyone it can mention is known.
        people = translate.mentionable(snapshot.people.values())
        for raw in lists:
            section = translate.section(raw)
            snapshot.sections[section.id] = section
        for raw in cards:
            self.put_card(snapshot, raw, people)
        for action in comments:
            item = translate.comment(action, people)
            if item.task_id in snapshot.tasks or item.task_id in snapshot.archived:
                snapshot.comments[item.id] = item
        since = str(newest[0]["id"]) if newest and newest[0].get("id") else None
        return PullResult(snapshot=snapshot, cursor=Cursor(board, since, me).dump(), full=True)

    def put_card(self, snapshot: Snapshot, raw: dict[str, Any], people: People) -> bool:
        """Add or replace a card with its check items and links; False if it is not visible (closed, archived list)."""
        card, children, links = translate.card_parts(raw, people)
        if "customFieldItems" in raw:
            card.custom_fields = values(raw.get("customFieldItems"), self.board_fields(snapshot.project_id))
        self.learn_checklists(card.id, raw)
        elsewhere = raw.get("idBoard", snapshot.project_id) != snapshot.project_id
        if raw.get("closed") and card.section_id in snapshot.sections and not elsewhere:
            archive_card(snapshot, card.id, card)
            return False
        snapshot.archived.pop(card.id, None)
        if raw.get("closed") or card.section_id not in snapshot.sections or elsewhere:
            drop_card(snapshot, card.id)
            return False
        drop_card(snapshot, card.id, keep_comments=True)
        snapshot.tasks[card.id] = card
        for child in children:
            snapshot.tasks[child.id] = child
        for link in links:
            snapshot.attachments[link.id] = link
        return True

    def learn_checklists(self, card_id: str, raw: dict[str, Any]) -> None:
        for checklist in raw.get("checklists", []) or []:
            if isinstance(checklist, dict) and checklist.get("name") == SUBTASK_CHECKLIST and checklist.get("id"):
                self.subtask_checklists.setdefault(card_id, str(checklist["id"]))


def drop_card(snapshot: Snapshot, card_id: str, *, keep_comments: bool = False) -> None:
    """Remove a card and what hangs off it (check items, links and, unless kept, comments)."""
    snapshot.tasks.pop(card_id, None)
    if not keep_comments:
        snapshot.archived.pop(card_id, None)
    for child in [t.id for t in snapshot.tasks.values() if t.parent_id == card_id]:
        del snapshot.tasks[child]
    for link in [a.id for a in snapshot.attachments.values() if a.task_id == card_id]:
        del snapshot.attachments[link]
    if not keep_comments:
        for note in [c.id for c in snapshot.comments.values() if c.task_id == card_id]:
            del snapshot.comments[note]


def archive_card(snapshot: Snapshot, card_id: str, card: Task | None = None) -> None:
    """A card the board holds archived: out of the work, kept in ``archived`` with its comments (to restore it)."""
    card = card or snapshot.tasks.get(card_id)
    drop_card(snapshot, card_id, keep_comments=True)
    if card is not None and card.parent_id is None:
        snapshot.archived[card_id] = card


def drop_orphans(snapshot: Snapshot) -> None:
    """Cards whose list is gone (archived) leave the snapshot, as a full pull would show."""
    orphans = [t.id for t in snapshot.tasks.values() if t.parent_id is None and t.section_id not in snapshot.sections]
    for card_id in orphans:
        drop_card(snapshot, card_id)
