"""One canonical rich-text form for every tool.

``Task.notes`` and ``Comment.text`` hold canonical Markdown (markdown_write.py
says exactly which). Connectors convert their tool's format to and from it
here, so a document crosses any pair of tools through the same tree:

    asana html_notes/html_text --+                 +-- render_markdown -> canonical Markdown
    basecamp HTML ---------------+-> Document -----+
    github / trello Markdown ----+   (ast.py)      +-- each tool's writer

``read(tool, raw, people)`` gives canonical Markdown; ``write(tool, markdown,
people)`` gives what to send. ``people`` (mentions.py) lets mentions become the
target tool's mention markup; without it they are plain names. Embedded objects
(ast.Embed) are written back only to the tool they came from; GitHub and Trello
show their name as a link, and never read one from their own text.
"""

from __future__ import annotations

from typing import Literal

from bridge.richtext.ast import Document, Embed, normalize, plain_embed
from bridge.richtext.html_dialect import ASANA_NOTES, ASANA_STORY, BASECAMP, HtmlDialect
from bridge.richtext.html_read import parse_html
from bridge.richtext.html_write import render_html
from bridge.richtext.markdown_read import parse_markdown
from bridge.richtext.markdown_write import normalize_markdown, render_markdown
from bridge.richtext.mentions import NOBODY, Member, People, map_inlines, person_key, read_handles, write_handles

Tool = Literal["asana", "asana_story", "basecamp", "github", "trello"]
TOOLS: tuple[Tool, ...] = ("asana", "asana_story", "basecamp", "github", "trello")
_DIALECTS: dict[str, HtmlDialect] = {"asana": ASANA_NOTES, "asana_story": ASANA_STORY, "basecamp": BASECAMP}


def to_document(tool: Tool, raw: str, people: People = NOBODY) -> Document:
    """A tool's rich text as the canonical tree."""
    if tool in _DIALECTS:
        return parse_html(raw, _DIALECTS[tool], people)
    return normalize(read_handles(parse_markdown(raw, embeds=False), people))


def from_document(tool: Tool, doc: Document, people: People = NOBODY) -> str:
    """The canonical tree in a tool's format."""
    if tool in _DIALECTS:
        return render_html(doc, _DIALECTS[tool], people)
    plain = map_inlines(normalize(doc), lambda n: [plain_embed(n)] if isinstance(n, Embed) else [n])
    return render_markdown(write_handles(normalize(plain), people))


def read(tool: Tool, raw: str, people: People = NOBODY) -> str:
    """A tool's rich text as canonical Markdown."""
    return render_markdown(to_document(tool, raw, people))


def write(tool: Tool, markdown: str, people: People = NOBODY) -> str:
    """Canonical Markdown in a tool's format."""
    return from_document(tool, parse_markdown(markdown), people)


__all__ = [
    "Document", "Member", "People", "TOOLS", "Tool", "from_document", "normalize", "normalize_markdown",
    "parse_html", "parse_markdown", "person_key", "read", "render_html", "render_markdown", "to_document", "write",
]  # fmt: skip
