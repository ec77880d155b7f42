"""Mentions: one canonical form, each tool's markup, plain names where a person is not known.

Canonical Markdown writes a mention as ``@[Name](person:<key>)``. The key is
the person's **email address** when the tool told us one: email is what the
bridge already matches people by across tools (``bridge/core/mirror.py``), so a
mention read in Asana renders as a GitHub ``@login`` when the same email is
known there. A person without an email gets a tool-scoped key
``<tool>:<id>`` (e.g. ``trello:5f1c...``); it survives a round trip through its
own tool and renders as the plain name anywhere else.

Each connector describes the people it knows as :class:`People`: for every
person, the canonical key, the display name, and the *handle* the tool's markup
needs (Asana user gid, GitHub login, Trello username, Basecamp
``attachable_sgid``). Rendering a mention of someone the target tool does not
know writes the plain name, so nothing dangles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bridge.richtext.ast import (
    Block,
    Document,
    Emph,
    Heading,
    Inline,
    Link,
    ListBlock,
    ListItem,
    Mention,
    Paragraph,
    Quote,
    Strike,
    Strong,
    Text,
)

# @login (GitHub: letters, digits, hyphens) / @username (Trello: letters, digits, underscores).
_HANDLE = re.compile(r"(?<![\w@/`.])@([A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)")


class Mentionable(Protocol):
    """Someone a text can mention: the shape of :class:`bridge.core.model.Person`, named here so that rich text
    stays below the core model it serves (tests/test_architecture.py)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def username(self) -> str | None: ...


@dataclass(frozen=True)
class Member:
    key: str
    name: str
    handle: str


def person_key(tool: str, person: Mentionable) -> str:
    return person.email.strip() if person.email and person.email.strip() else f"{tool}:{person.id}"


class People:
    """The people one tool knows, for reading and writing its mentions."""

    def __init__(self, tool: str, members: Iterable[Member] = ()) -> None:
        self.tool = tool
        self._by_handle: dict[str, Member] = {}
        self._by_key: dict[str, Member] = {}
        for member in members:
            self._by_handle.setdefault(member.handle.casefold(), member)
            self._by_key.setdefault(member.key.casefold(), member)

    @classmethod
    def of(cls, tool: str, people: Iterable[Mentionable], handles: Mapping[str, str] | None = None) -> People:
        """People from canonical persons; the handle is ``handles[id]``, else the username (GitHub, Trello), else the id."""
        members = []
        for person in people:
            handle = (handles or {}).get(person.id) or person.username or person.id
            members.append(Member(person_key(tool, person), person.name or handle, handle))
        return cls(tool, members)

    def by_handle(self, handle: str) -> Member | None:
        return self._by_handle.get(handle.casefold())

    def mention(self, handle: str) -> Mention | None:
        member = self.by_handle(handle)
        return Mention(member.key, member.name) if member else None

    def handle_of(self, mention: Mention) -> str | None:
        member = self._by_key.get(mention.key.casefold())
        return member.handle if member else None


NOBODY = People("none")


# -- Markdown tools (GitHub, Trello): @handle in text <-> mentions --------------------------------


def read_handles(doc: Document, people: People) -> Document:
    """``@login`` of a known person becomes a mention; unknown handles stay text."""

    def split(node: Inline) -> list[Inline]:
        if not isinstance(node, Text):
            return [node]
        out: list[Inline] = []
        last = 0
        for match in _HANDLE.finditer(node.text):
            mention = people.mention(match.group(1))
            if mention is None:
                continue
            out.extend([Text(node.text[last : match.start()]), mention])
            last = match.end()
        return [*out, Text(node.text[last:])] if out else [node]

    return map_inlines(doc, split)


def write_handles(doc: Document, people: People) -> Document:
    """Mentions become ``@login`` where the tool knows the person, the plain name otherwise."""

    def render(node: Inline) -> list[Inline]:
        if not isinstance(node, Mention):
            return [node]
        handle = people.handle_of(node)
        return [Text(f"@{handle}" if handle else node.name)]

    return map_inlines(doc, render)


def map_inlines(doc: Document, fn: Callable[[Inline], list[Inline]]) -> Document:
    """Apply ``fn`` to every inline node, bottom-up (``fn`` sees wrappers after their children)."""

    def inlines(nodes: tuple[Inline, ...]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for node in nodes:
            if isinstance(node, Link):
                node = Link(node.href, inlines(node.children))
            elif isinstance(node, Strong | Emph | Strike):
                node = type(node)(inlines(node.children))
            out.extend(fn(node))
        return tuple(out)

    def block(b: Block) -> Block:
        if isinstance(b, ListBlock):
            return ListBlock(b.ordered, tuple(ListItem(tuple(block(x) for x in item.blocks)) for item in b.items))
        if isinstance(b, Quote):
            return Quote(tuple(block(x) for x in b.blocks))
        if isinstance(b, Paragraph):
            return Paragraph(inlines(b.children))
        if isinstance(b, Heading):
            return Heading(b.level, inlines(b.children))
        return b

    return Document(tuple(block(b) for b in doc.blocks))
