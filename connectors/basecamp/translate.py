"""Basecamp JSON <-> the canonical model.

Mapping: top-level to-do list -> Section; to-do -> Task (title = ``content``,
plain text; notes = ``description`` HTML as Markdown; done = ``completed``;
due/start = ``due_on``/``starts_on``; assignees = person ids); a to-do inside a
list group belongs to the group's list. Comment on a to-do -> Comment (HTML as
Markdown); a comment that is exactly one "📎 link" is how this connector keeps a
link attachment, and reads back as an Attachment. Person -> Person.

Mentions are ``<bc-attachment sgid>`` tags naming a person's ``attachable_sgid``.
The canonical model has no place for it, so the pull keeps person id -> sgid
next to the snapshot (:func:`sgids_of`, :func:`mentionable`).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from bridge import richtext
from bridge.core.model import Attachment, Comment, Person, Section, Task
from bridge.richtext import People
from bridge.richtext.mentions import NOBODY
from connectors import payloads
from connectors.basecamp.footer import split_footer, with_footer
from connectors.payloads import instant as instant  # callers read timestamps through translate

ATTACHMENT_MARK = "\N{PAPERCLIP}"
MENTION_TYPE = "application/vnd.basecamp.mention"
_FILE_COMMENT = re.compile(
    r'^\s*(?:<div>\s*)?<bc-attachment((?:\s+[a-z-]+="[^"]*")*)\s*>.*?</bc-attachment>\s*(?:</div>\s*)?$', re.S
)
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
_INLINE = re.compile(r'<bc-attachment((?:\s+[a-z-]+="[^"]*")*)\s*>.*?</bc-attachment>', re.S)
# A file inside a longer comment is an Attachment of its own, its id the comment's and the file's sgid
# (stable across edits and cycles): "<comment id>/<sgid>" (docs/files.md).
FILE_IN_COMMENT = "/"
_ATTACHMENT = re.compile(r'^\s*<div>\s*' + ATTACHMENT_MARK + r' <a href="([^"]*)">(.*?)</a>\s*</div>\s*$', re.S)


def shape(what: str) -> AbstractContextManager[None]:
    """Turn a missing key or a wrong type in a response into :class:`Malformed` naming Basecamp."""
    return payloads.shape("basecamp", what)


def day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value not in (None, "") else None


def ident(raw: Any) -> str:
    """Basecamp ids are integers; the canonical model keeps them as strings."""
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise ValueError(f"not an id: {raw!r}")
    return str(raw)


def person(raw: dict[str, Any]) -> Person:
    return Person(id=ident(raw["id"]), name=str(raw.get("name") or ""), email=raw.get("email_address") or None)


def sgids_of(people: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Person id -> ``attachable_sgid``, the handle a mention of them is written with."""
    found: dict[str, str] = {}
    for raw in people:
        sgid = raw.get("attachable_sgid")
        if isinstance(sgid, str) and sgid:
            found[ident(raw["id"])] = sgid
    return found


def mentionable(persons: Iterable[Person], sgids: Mapping[str, str]) -> People:
    """Whom rich text can mention: the persons whose sgid we know (without it, a mention is a name)."""
    return People.of("basecamp", [p for p in persons if p.id in sgids], sgids)


def section(raw: dict[str, Any]) -> Section:
    name = raw.get("name") if raw.get("name") is not None else raw["title"]
    return Section(id=ident(raw["id"]), name=str(name), position=float(raw.get("position") or 0),
                   version=str(raw.get("updated_at") or "") or None)


def parent_id(raw: dict[str, Any]) -> str:
    return ident(raw["parent"]["id"])


def task(raw: dict[str, Any], section_id: str, people: People = NOBODY) -> Task:
    if raw.get("type", "Todo") != "Todo":
        raise ValueError(f"expected a Todo, got {raw.get('type')!r}")
    # Custom fields live in a footer at the end of the notes (connectors/basecamp/footer.py).
    notes, fields = split_footer(richtext.read("basecamp", str(raw.get("description") or ""), people))
    return Task(
        id=ident(raw["id"]),
        title=str(raw["content"]),
        notes=notes,
        custom_fields=fields,
        done=bool(raw.get("completed", False)),
        section_id=section_id,
        due=day(raw.get("due_on")),
        start=day(raw.get("starts_on")),
        assignees=[ident(p["id"]) for p in raw.get("assignees") or []],
        position=float(raw.get("position") or 0),
        created_at=instant(raw.get("created_at")),
        modified_at=instant(raw.get("updated_at")),
        url=str(raw.get("app_url") or "") or None,
        version=str(raw.get("updated_at") or "") or None,
    )


def embedded_people(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The person objects a to-do or comment carries (creator, assignees)."""
    found = [raw["creator"]] if isinstance(raw.get("creator"), dict) else []
    return found + [p for p in raw.get("assignees") or [] if isinstance(p, dict)]


def people_of(raw: dict[str, Any]) -> list[Person]:
    """Everyone a to-do or comment names (creator, assignees), so a snapshot's people cover them."""
    return [person(p) for p in embedded_people(raw)]


def comment(raw: dict[str, Any], people: People = NOBODY) -> Comment | Attachment:
    """A comment on a to-do, or the link attachment or file this connector wrote as a comment."""
    content = str(raw["content"])
    task_id = parent_id(raw)
    stamp = str(raw.get("updated_at") or "") or None
    uploaded = _inline_file(content)
    if uploaded is not None:
        name, href, size = uploaded
        return Attachment(id=ident(raw["id"]), task_id=task_id, name=name, url=href, hosted=True, size=size,
                          created_at=instant(raw.get("created_at")), version=stamp)
    link = _ATTACHMENT.match(content)
    if link:
        name = html.unescape(re.sub(r"<[^>]+>", "", link.group(2)))
        return Attachment(id=ident(raw["id"]), task_id=task_id, name=name, url=html.unescape(link.group(1)),
                          created_at=instant(raw.get("created_at")), version=stamp)
    return Comment(id=ident(raw["id"]), task_id=task_id, text=richtext.read("basecamp", content, people),
                   author=person(raw["creator"]) if isinstance(raw.get("creator"), dict) else None,
                   created_at=instant(raw.get("created_at")), version=stamp)


def comment_items(raw: dict[str, Any], people: People = NOBODY) -> list[Comment | Attachment]:
    """What one comment on a to-do holds: :func:`comment`, or, for a comment with text and files
    (or several files), its text as a Comment and each inline file as an Attachment of its own.

    A person writes a comment with files inline (Basecamp's editor puts a ``<bc-attachment>`` per
    file in the rich text); the files come back to the internal task as files, the text as a comment.
    """
    item = comment(raw, people)
    if not isinstance(item, Comment):
        return [item]
    content = str(raw["content"])
    files = [(match, found) for match in _INLINE.finditer(content) if (found := _file_of(match.group(1))) is not None]
    if not files:
        return [item]
    rest = _INLINE.sub(lambda m: "" if _file_of(m.group(1)) is not None else m.group(0), content)
    text = richtext.read("basecamp", rest, people)
    out: list[Comment | Attachment] = [item.model_copy(update={"text": text})] if text.strip() else []
    for index, (_, (name, href, size, sgid)) in enumerate(files):
        out.append(Attachment(id=f"{item.id}{FILE_IN_COMMENT}{sgid or index}", task_id=item.task_id, name=name, url=href,
                              hosted=True, size=size, created_at=item.created_at, version=item.version))
    return out


def recording_of(item_id: str) -> str:
    """The comment an item read from it belongs to (a file inside a comment has an id of its own)."""
    return item_id.split(FILE_IN_COMMENT, 1)[0]


def _inline_file(content: str) -> tuple[str, str, int | None] | None:
    """A comment that is one inline file (``<bc-attachment>`` of an upload, not of a person): its
    filename, download link and, where Basecamp renders it, size."""
    whole = _FILE_COMMENT.match(content)
    if whole is None or len(_INLINE.findall(content)) != 1:  # the pattern alone also spans several files
        return None
    found = _file_of(whole.group(1))
    return found[:3] if found is not None else None


def _file_of(attributes: str) -> tuple[str, str, int | None, str] | None:
    """An inline file's filename, download link, size (where rendered) and sgid; None for a mention."""
    attrs = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(attributes)}
    href = attrs.get("href") or attrs.get("url")
    if not href or attrs.get("content-type") == MENTION_TYPE:
        return None
    size = attrs.get("filesize", "")
    name = attrs.get("filename") or attrs.get("caption") or href.rsplit("/", 1)[-1]
    return name, href, int(size) if size.isdigit() else None, attrs.get("sgid", "")


def file_content(attachable_sgid: str) -> str:
    """A comment holding only the uploaded file (bc3-api rich_text.md, "Inserting an image or file attachment")."""
    return f'<bc-attachment sgid="{html.escape(attachable_sgid, quote=True)}"></bc-attachment>'


def on_todo(raw: dict[str, Any]) -> bool:
    parent = raw.get("parent")
    return isinstance(parent, dict) and parent.get("type") == "Todo"


# -- writes -------------------------------------------------------------------


def comment_content(text: str, people: People = NOBODY) -> str:
    rendered = richtext.write("basecamp", text, people) or "<div></div>"
    if _ATTACHMENT.match(rendered):
        # A comment that is one paperclip link must not read back as an attachment; a trailing
        # <br> keeps it a comment and converts back to the same Markdown.
        rendered = rendered[: -len("</div>")] + "<br></div>"
    return rendered


def attachment_content(name: str, url: str) -> str:
    return f'<div>{ATTACHMENT_MARK} <a href="{html.escape(url, quote=True)}">{html.escape(name, quote=False)}</a></div>'


def todo_body(task: Task, subscribers: list[int], people: People = NOBODY, description: str | None = None) -> dict[str, Any]:
    """Every writable field of a to-do: Basecamp clears whatever a PUT leaves out (mentions in the notes too).
    ``description``: the HTML to send as it is, when the notes are not being changed."""
    return {
        "content": task.title,
        "description": (richtext.write("basecamp", with_footer(task.notes, task.custom_fields), people)
                        if description is None else description),
        "assignee_ids": [int(a) for a in task.assignees],
        "completion_subscriber_ids": subscribers,
        "notify": False,
        "due_on": task.due.isoformat() if task.due else None,
        "starts_on": task.start.isoformat() if task.start else None,
    }
