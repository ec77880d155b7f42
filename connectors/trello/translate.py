"""Trello JSON <-> the canonical model.

Mapping: list -> Section; open card -> Task (done = ``dueComplete``, notes =
``desc``, already Markdown; labels = label names, a nameless label by its
colour); check item -> subtask Task whose parent is the card; ``commentCard``
action -> Comment; link attachment -> Attachment; board member -> Person.

Mentions: ``@username`` of a board member reads as a canonical mention (see
:func:`mentionable`); any other ``@word`` stays text.

The copied OpenAPI spec types a card's ``idLabels`` as label objects and
``labels`` as ids; the real API does the opposite. Reading tolerates both, so
the spec's composed examples lose no label either.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from bridge import richtext
from bridge.core.model import Attachment, Comment, Person, Section, Task
from bridge.richtext import People
from bridge.richtext.mentions import NOBODY
from connectors import payloads
from connectors.payloads import instant as instant  # callers read timestamps through translate

OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
# Dates are whole days in the canonical model; Trello stores instants. Writing
# noon UTC keeps the calendar day the same for every timezone from UTC-11 to UTC+11.
_WRITE_TIME = "T12:00:00.000Z"


def shape(what: str) -> AbstractContextManager[None]:
    """Turn a missing key or a wrong type in a response into :class:`Malformed` naming Trello."""
    return payloads.shape("trello", what)


def day(value: Any) -> dt.date | None:
    moment = instant(value)
    return moment.astimezone(dt.UTC).date() if moment else None


def write_day(value: dt.date | None) -> str:
    """The ``due``/``start`` parameter for a canonical date; ``null`` clears it."""
    return "null" if value is None else value.isoformat() + _WRITE_TIME


def created_at(object_id: str) -> dt.datetime | None:
    """A Trello id is a Mongo ObjectId: its first 4 bytes are the creation time."""
    try:
        return dt.datetime.fromtimestamp(int(object_id[:8], 16), tz=dt.UTC)
    except ValueError:
        return None


def label_name(label: dict[str, Any]) -> str:
    return str(label.get("name") or label.get("color") or "")


def card_labels(card: dict[str, Any], board_labels: dict[str, dict[str, Any]] | None = None) -> list[str]:
    objects = [x for x in [*card.get("labels", []), *card.get("idLabels", [])] if isinstance(x, dict)]
    seen = {str(x.get("id")) for x in objects}
    for ident in [*card.get("idLabels", []), *card.get("labels", [])]:
        if isinstance(ident, str) and ident not in seen and board_labels and ident in board_labels:
            objects.append(board_labels[ident])
            seen.add(ident)
    names: list[str] = []
    for label in objects:
        name = label_name(label)
        if name and name not in names:
            names.append(name)
    return names


def section(raw: dict[str, Any]) -> Section:
    with shape("a list"):
        return Section(id=str(raw["id"]), name=str(raw["name"]), position=float(raw.get("pos") or 0.0))


def task(raw: dict[str, Any], board_labels: dict[str, dict[str, Any]] | None = None, people: People = NOBODY) -> Task:
    with shape("a card"):
        return Task(
            id=str(raw["id"]),
            title=str(raw["name"]),
            notes=richtext.read("trello", str(raw.get("desc") or ""), people),
            done=bool(raw.get("dueComplete", False)),
            section_id=str(raw["idList"]) if raw.get("idList") else None,
            due=day(raw.get("due")),
            start=day(raw.get("start")),
            assignees=[str(m) for m in raw.get("idMembers", [])],
            labels=card_labels(raw, board_labels),
            position=float(raw.get("pos") or 0.0),
            created_at=created_at(str(raw["id"])),
            modified_at=instant(raw.get("dateLastActivity")),
            # shortUrl, not url: url's slug follows the card's name, shortUrl survives renames.
            url=str(raw.get("shortUrl") or raw.get("url") or "") or None,
            version=raw.get("dateLastActivity"),
        )


def subtask(card_id: str, item: dict[str, Any]) -> Task:
    with shape("a check item"):
        return Task(
            id=str(item["id"]),
            title=str(item.get("name") or ""),
            done=item.get("state") == "complete",
            parent_id=card_id,
            # The spec types CheckItem.pos as a string; the API sends a number.
            position=float(item.get("pos") or 0.0),
            created_at=created_at(str(item["id"])),
        )


def subtasks(card_id: str, checklists: list[dict[str, Any]]) -> list[Task]:
    with shape("a checklist"):
        ordered = sorted(checklists, key=lambda c: float(c.get("pos") or 0.0))
        return [subtask(card_id, item) for checklist in ordered for item in checklist.get("checkItems", [])]


def person(raw: dict[str, Any]) -> Person:
    with shape("a member"):
        return Person(id=str(raw["id"]), name=str(raw.get("fullName") or ""), email=raw.get("email") or None,
                      username=raw.get("username") or None)


def mentionable(members: Iterable[Person]) -> People:
    """The board's members, by username: whom a card or comment can ``@mention``.

    Only board members count (not every comment author Trello embeds), so a full
    and an incremental pull read the same text the same way.
    """
    return People.of("trello", [m for m in members if m.username])


def comment(action: dict[str, Any], people: People = NOBODY) -> Comment:
    with shape("a commentCard action"):
        data = action["data"]
        creator = action.get("memberCreator")
        author = person(creator) if isinstance(creator, dict) else Person(id=str(action["idMemberCreator"]))
        return Comment(
            id=str(action["id"]),
            task_id=str(data["card"]["id"]),
            text=richtext.read("trello", str(data["text"]), people),
            author=author,
            created_at=instant(action.get("date")),
            version=data.get("dateLastEdited") or action.get("date"),
        )


def attachment(card_id: str, raw: dict[str, Any]) -> Attachment:
    with shape("an attachment"):
        size = raw.get("bytes")
        return Attachment(id=str(raw["id"]), task_id=card_id, name=str(raw.get("name") or raw["url"]), url=str(raw["url"]),
                          created_at=instant(raw.get("date")), version=raw.get("date"),
                          # An upload (not a link): its url is the download route (docs/files.md).
                          hosted=raw.get("isUpload") is True,
                          size=size if isinstance(size, int) and not isinstance(size, bool) else None)


def card_parts(raw: dict[str, Any], people: People = NOBODY) -> tuple[Task, list[Task], list[Attachment]]:
    """A card fetched with ``checklists=all&attachments=true``: the task, its check items, its links."""
    card = task(raw, people=people)
    with shape("a card's nested checklists or attachments"):
        children = subtasks(card.id, list(raw.get("checklists", [])))
        links = [attachment(card.id, a) for a in raw.get("attachments", [])]
    return card, children, links
