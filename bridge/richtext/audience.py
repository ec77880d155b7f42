"""Mentions in the terms of one side of a link: whom that side knows, and by which name.

A mention read on one side carries that side's key for the person (their email,
or ``<tool>:<id>``). Before the text crosses a link it is *localized* for the
side it goes to: the key goes through the link's ``people.map``, a person the
target knows keeps the mention under the target's own key and display name,
and anyone else becomes their plain name. That is exactly what the target tool
will hold after the write and read back, so the planner compares like with like
and a quiet cycle writes nothing (docs/design.md invariant 3), and a person the client
does not know never reaches it as more than the name the text already showed.

An embedded object (a Basecamp file, an Asana task link) means something only
where it was read: crossing a link it becomes its name, linked (ast.plain_embed).

``same_text`` is the comparison that tolerates the one loss no write can undo: a
mention that became a plain name because the other side does not know the
person reads as equal to that name. It compares canonical forms (:func:`comparable`):
a tool reads back the canonical form of what the bridge wrote, which need not be
the very text (a list right after a comment's attribution gains a blank line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from bridge.richtext.ast import Embed, Inline, Mention, Text, normalize, plain_embed
from bridge.richtext.markdown_read import EMBED_SCHEME, parse_markdown
from bridge.richtext.markdown_write import render_markdown
from bridge.richtext.mentions import Mentionable, map_inlines, person_key

_MARK = "](person:"


@dataclass(frozen=True)
class Audience:
    """The people one side knows by email (casefolded), and key renames applied on the way in."""

    known: Mapping[str, Mention] = field(default_factory=dict)
    rename: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, people: Iterable[Mentionable], rename: Mapping[str, str] | None = None, tool: str = "") -> Audience:
        """``people`` by their key: the email; with ``tool``, ``<tool>:<id>`` for those who show none."""
        known: dict[str, Mention] = {}
        for person in people:
            key = person_key(tool, person) if tool else (person.email or "").strip()
            if key:
                known.setdefault(key.casefold(), Mention(key, person.name or person.username or person.id))
        return cls(known, {k.strip().casefold(): v.strip() for k, v in (rename or {}).items()})

    def resolve(self, mention: Mention) -> Inline:
        key = self.rename.get(mention.key.casefold(), mention.key)
        return self.known.get(key.casefold()) or Text(mention.name)


def localize(markdown: str, audience: Audience) -> str:
    """Canonical Markdown with every mention in the audience's terms (or a plain name), embedded objects plain."""
    if _MARK not in markdown and EMBED_SCHEME not in markdown:
        return markdown

    def local(node: Inline) -> list[Inline]:
        if isinstance(node, Mention):
            return [audience.resolve(node)]
        return [plain_embed(node)] if isinstance(node, Embed) else [node]

    return render_markdown(normalize(map_inlines(parse_markdown(markdown), local)))


def flatten(markdown: str) -> str:
    """The text with every mention as its plain name."""
    if _MARK not in markdown:
        return markdown
    doc = map_inlines(parse_markdown(markdown), lambda n: [Text(n.name)] if isinstance(n, Mention) else [n])
    return render_markdown(normalize(doc))


@lru_cache(maxsize=8192)  # every cycle compares the same texts again
def comparable(markdown: str) -> str:
    """What any tool reads back of ``markdown``: canonical Markdown, mentions as the names they show,
    embedded objects as their plain form."""

    def plain(node: Inline) -> list[Inline]:
        if isinstance(node, Mention):
            return [Text(node.name)]
        return [plain_embed(node)] if isinstance(node, Embed) else [node]

    return render_markdown(normalize(map_inlines(parse_markdown(markdown), plain))).strip()


def same_text(a: str, b: str) -> bool:
    """Equal, or equal once both are canonical and mentions are read as the names they show."""
    return a == b or comparable(a) == comparable(b)
