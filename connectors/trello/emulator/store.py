"""The Trello emulator's in-memory data: members, boards, lists, cards and the action log.

Records render themselves in the shape the real API sends (default fields of
each object as documented in Trello's object definitions). Where the copied
OpenAPI spec disagrees with the real API, the real API wins:

* a card's ``idLabels`` is a list of label ids and ``labels`` a list of label
  objects (the spec has them swapped);
* a card carries ``dueComplete`` and ``start`` (absent from the spec's Card);
* a check item's ``pos`` is a number (the spec types it string);
* ``due``/``start`` are date-times (the spec says ``format: date``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.clock import Clock
from connectors.emulation.files import FileVault, Stored
from connectors.trello.limits import FREE_FILE_LIMIT

OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
SHORT_LINK = re.compile(r"^[0-9A-Za-z]{8}$")
COLORS = ("green", "yellow", "orange", "red", "purple", "blue", "sky", "lime", "pink", "black")
POS_STEP = 65536.0


def iso(ts: float) -> str:
    """Trello's timestamp format: UTC with milliseconds and a ``Z``."""
    moment = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Member:
    id: str
    full_name: str
    username: str
    email: str

    def brief(self) -> dict[str, Any]:
        return {"id": self.id, "fullName": self.full_name, "username": self.username}

    def as_creator(self) -> dict[str, Any]:
        initials = "".join(part[:1] for part in self.full_name.split()[:2]).upper()
        avatar = hashlib.md5(self.username.encode()).hexdigest()
        return {
            "id": self.id,
            "activityBlocked": False,
            "avatarHash": avatar,
            "avatarUrl": f"https://trello-members.s3.amazonaws.com/{self.id}/{avatar}",
            "fullName": self.full_name,
            "idMemberReferrer": None,
            "initials": initials,
            "nonPublic": {},
            "nonPublicAvailable": True,
            "username": self.username,
        }


@dataclass
class Board:
    id: str
    name: str
    short_link: str
    id_member_creator: str
    members: list[str] = field(default_factory=list)
    desc: str = ""
    closed: bool = False

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "desc": self.desc,
            "descData": None,
            "closed": self.closed,
            "idMemberCreator": self.id_member_creator,
            "idOrganization": None,
            "pinned": False,
            "url": f"https://trello.com/b/{self.short_link}/{slug(self.name)}",
            "shortUrl": f"https://trello.com/b/{self.short_link}",
            "shortLink": self.short_link,
            "prefs": {"hideVotes": False, "selfJoin": True, "cardCovers": True, "isTemplate": False,
                      "calendarFeedEnabled": False},
            "labelNames": {},
        }

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "shortLink": self.short_link}


@dataclass
class TrelloList:
    id: str
    id_board: str
    name: str
    pos: float
    closed: bool = False

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "closed": self.closed, "idBoard": self.id_board, "pos": self.pos,
                "subscribed": False, "softLimit": None}

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass
class Label:
    id: str
    id_board: str
    name: str
    color: str | None

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "idBoard": self.id_board, "name": self.name, "color": self.color}


@dataclass
class CheckItem:
    id: str
    id_checklist: str
    name: str
    pos: float
    state: str = "incomplete"

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "nameData": None, "pos": self.pos, "state": self.state,
                "due": None, "dueReminder": None, "idMember": None, "idChecklist": self.id_checklist}

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "state": self.state}


@dataclass
class Checklist:
    id: str
    id_board: str
    id_card: str
    name: str
    pos: float
    items: list[CheckItem] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "idBoard": self.id_board, "idCard": self.id_card, "pos": self.pos,
                "checkItems": [item.render() for item in sorted(self.items, key=lambda i: i.pos)]}

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass
class Attachment:
    id: str
    id_card: str
    name: str
    url: str
    id_member: str
    date: str
    pos: float
    file: Stored | None = None  # an upload, kept in the World's FileVault (connectors/emulation/files.py)
    file_name: str | None = None

    def render(self) -> dict[str, Any]:
        upload = self.file is not None
        return {"id": self.id, "bytes": self.file.size if self.file else None, "date": self.date, "edgeColor": None,
                "idMember": self.id_member, "isUpload": upload, "mimeType": self.file.content_type if self.file else "",
                "name": self.name, "previews": [], "url": self.url, "pos": self.pos,
                "fileName": self.file_name if upload else None}

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "url": self.url}


@dataclass
class Card:
    id: str
    id_board: str
    id_list: str
    name: str
    pos: float
    id_short: int
    short_link: str
    date_last_activity: str
    desc: str = ""
    due: str | None = None
    start: str | None = None
    due_complete: bool = False
    closed: bool = False
    id_members: list[str] = field(default_factory=list)
    id_labels: list[str] = field(default_factory=list)
    checklists: list[Checklist] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    def render(self, labels: dict[str, Label], comments: int) -> dict[str, Any]:
        items = [item for checklist in self.checklists for item in checklist.items]
        return {
            "id": self.id,
            "badges": {"attachmentsByType": {"trello": {"board": 0, "card": 0}}, "location": False, "votes": 0,
                       "viewingMemberVoted": False, "subscribed": False, "fogbugz": "",
                       "checkItems": len(items), "checkItemsChecked": sum(i.state == "complete" for i in items),
                       "comments": comments, "attachments": len(self.attachments), "description": bool(self.desc),
                       "due": self.due, "start": self.start, "dueComplete": self.due_complete},
            "checkItemStates": [],
            "closed": self.closed,
            "dueComplete": self.due_complete,
            "dateLastActivity": self.date_last_activity,
            "desc": self.desc,
            "descData": {"emoji": {}},
            "due": self.due,
            "dueReminder": None,
            "idBoard": self.id_board,
            "idChecklists": [c.id for c in self.checklists],
            "idList": self.id_list,
            "idMembers": list(self.id_members),
            "idMembersVoted": [],
            "idShort": self.id_short,
            "idAttachmentCover": None,
            "idLabels": list(self.id_labels),
            "labels": [labels[i].render() for i in self.id_labels if i in labels],
            "manualCoverAttachment": False,
            "name": self.name,
            "pos": self.pos,
            "shortLink": self.short_link,
            "shortUrl": f"https://trello.com/c/{self.short_link}",
            "start": self.start,
            "subscribed": False,
            "url": f"https://trello.com/c/{self.short_link}/{self.id_short}-{slug(self.name)}",
            "cover": {"idAttachment": None, "color": None, "idUploadedBackground": None, "size": "normal",
                      "brightness": "light", "isTemplate": False},
            "isTemplate": False,
        }

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "idShort": self.id_short, "shortLink": self.short_link}


@dataclass
class Action:
    id: str
    id_board: str
    type: str
    data: dict[str, Any]
    id_member_creator: str
    date: str

    def render(self, creator: Member | None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "idMemberCreator": self.id_member_creator, "data": self.data,
                               "appCreator": None, "type": self.type, "date": self.date,
                               "limits": {"reactions": {"perAction": {"status": "ok", "disableAt": 1000, "warnAt": 900},
                                                        "uniquePerAction": {"status": "ok", "disableAt": 17, "warnAt": 16}}}}
        if creator is not None:
            out["memberCreator"] = creator.as_creator()
        return out


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


class World:
    """Everything the emulator holds, plus the id and action-log machinery."""

    def __init__(self, clock: Clock, epoch: float) -> None:
        self.clock = clock
        self.epoch = epoch  # wall-clock seconds at clock.now() == 0
        self._machine = _random.token_hex(5)
        self._counter = itertools.count(_random.randbelow(1 << 20))
        self._short = itertools.count(1)
        self.keys: set[str] = set()
        self.tokens: dict[str, str] = {}  # token -> member id
        self.members: dict[str, Member] = {}
        self.boards: dict[str, Board] = {}
        self.lists: dict[str, TrelloList] = {}
        self.cards: dict[str, Card] = {}
        self.labels: dict[str, Label] = {}
        self.checklists: dict[str, Checklist] = {}
        # Custom Fields (emulator/custom_fields.py): definitions by id, and (card id, field id) -> item value
        self.custom_fields: dict[str, Any] = {}
        self.custom_field_items: dict[tuple[str, str], dict[str, Any]] = {}
        self.actions: list[Action] = []  # creation order == id order
        self.listeners: list[Callable[[Action], None]] = []  # told of every new action (webhooks)
        self.vault = FileVault()
        # "10MB per file" on the free plan, 250MB on paid ones (docs/files.md); set per emulator.
        self.file_limit = FREE_FILE_LIMIT

    # -- time and ids -------------------------------------------------------

    def wall(self) -> float:
        return self.epoch + self.clock.now()

    def object_id(self) -> str:
        """A Mongo ObjectId: 4-byte creation time, 5-byte machine part, 3-byte counter."""
        return f"{int(self.wall()) & 0xFFFFFFFF:08x}{self._machine}{next(self._counter) & 0xFFFFFF:06x}"

    def short_link(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(_random.choice(alphabet) for _ in range(8))

    def next_short(self) -> int:
        return next(self._short)

    # -- lookups ----------------------------------------------------------

    def board(self, ident: str) -> Board | None:
        if ident in self.boards:
            return self.boards[ident]
        return next((b for b in self.boards.values() if b.short_link == ident), None)

    def card(self, ident: str) -> Card | None:
        if ident in self.cards:
            return self.cards[ident]
        return next((c for c in self.cards.values() if c.short_link == ident), None)

    def check_item(self, ident: str) -> tuple[Checklist, CheckItem] | None:
        for checklist in self.checklists.values():
            for item in checklist.items:
                if item.id == ident:
                    return checklist, item
        return None

    def comment_count(self, card_id: str) -> int:
        return sum(1 for a in self.actions if a.type == "commentCard" and a.data.get("card", {}).get("id") == card_id)

    def render_card(self, card: Card) -> dict[str, Any]:
        return card.render(self.labels, self.comment_count(card.id))

    def render_action(self, action: Action) -> dict[str, Any]:
        return action.render(self.members.get(action.id_member_creator))

    # -- the action log -------------------------------------------------------

    def record(self, board: Board, kind: str, actor: str, /, **data: Any) -> Action:
        """Log the board action Trello writes for a change (what polling and webhooks see)."""
        data["board"] = board.ref()
        action = Action(self.object_id(), board.id, kind, data, actor, iso(self.wall()))
        self.actions.append(action)
        for listener in self.listeners:
            listener(action)
        return action

    def touch(self, card: Card) -> None:
        card.date_last_activity = iso(self.wall())

    def bottom(self, positions: list[float]) -> float:
        return max(positions, default=0.0) + POS_STEP if positions else POS_STEP - 1

    def position(self, value: str | None, positions: list[float]) -> float:
        """``top``, ``bottom`` or a positive number, as Trello's ``pos`` parameters take it."""
        if value in (None, "", "bottom"):
            return self.bottom(positions)
        if value == "top":
            return min(positions, default=POS_STEP) / 2
        try:
            number = float(value)
        except ValueError:
            raise ValueError("invalid value for pos") from None
        if number < 0:
            raise ValueError("invalid value for pos")
        return number
