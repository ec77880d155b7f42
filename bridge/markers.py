"""Reading the agency's markers: the notes cut line, the comment marker, the file marker.

One rule decides how each is read: *tolerant where a marker hides, strict where
it shares*, so a mistake always falls on the private side (docs/ and README,
"What the client sees").

- The cut line hides, so it is found on the document, not the string: any
  block, or line inside a block, whose *visible* text is the marker cuts
  everything below it in document order. Visible text ignores inline
  formatting (emphasis, bold, code spans, link text), spaces of any kind
  (no-break, zero-width, between the dashes) and case. Paragraphs, headings, list items, quotes and
  code blocks all count, whichever tool's dialect the text came from (every
  connector hands over canonical Markdown, bridge/richtext/).
- The comment and file markers share, so they are strict: only the exact,
  case-sensitive marker as a whole word (no word character glued to either
  side) shares. A near miss (``#Client``, ``#clientele``, ``# client``) stays
  internal and becomes a :class:`~bridge.ops.Notice` so the agency can fix it.

Pure: no I/O. An empty marker never loops and never matches anything it would
share; config validation refuses one (bridge/rules.py).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from bridge.richtext.ast import (
    Block,
    Break,
    Code,
    CodeBlock,
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
    normalize,
)
from bridge.richtext.markdown_read import parse_markdown
from bridge.richtext.markdown_write import render_markdown

# A marker that shares every comment and file: only a migration that copies everything uses it
# (bridge/migrate/filters.py); no config can hold it, since a config marker must be visible text.
EVERY_ITEM = "\x00pm-bridge: every item\x00"

NEAR_MISS = "marker-near-miss"

_INVISIBLE = re.compile("[\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff]")
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def visible_key(text: str) -> str:
    """Text as a reader sees it, for comparing with a hiding marker: no invisible characters, spaces collapsed, case folded."""
    text = _ODD_SPACES.sub(" ", _INVISIBLE.sub("", text))
    return " ".join(text.split()).casefold()


_STRAY_MARKUP = re.compile(r"[*_~`]")


def _cut_key(text: str) -> str:
    """A line as compared with the cut line: visible text with no spaces at all (``--- internal ---`` cuts too).

    Emphasis characters a Markdown tool left as text (``*---internal---*`` next to
    an invisible space is not emphasis to CommonMark) are dropped as well: they
    were meant as formatting.
    """
    bare = "".join(visible_key(text).split())
    return _STRAY_MARKUP.sub("", bare) or bare  # a marker made of those characters alone keeps them


def _is_cut(line: str, keys: frozenset[str]) -> bool:
    """A line reads as the cut line, also when raw HTML (a Markdown tool shows it rendered) wraps it."""
    if _cut_key(line) in keys:
        return True
    return ("<" in line or "&" in line) and _cut_key(html.unescape(_TAG.sub("", line))) in keys


def inline_text(nodes: tuple[Inline, ...] | list[Inline]) -> str:
    """The visible text of inlines: formatting dropped, a link as its text, a mention as its name."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text | Code):
            out.append(node.text)
        elif isinstance(node, Break):
            out.append("\n")
        elif isinstance(node, Mention):
            out.append(node.name)
        elif isinstance(node, Strong | Emph | Strike | Link):
            out.append(inline_text(node.children))
    return "".join(out)


def block_text(blocks: tuple[Block, ...] | list[Block]) -> str:
    """The visible text of blocks, one line per line break or block."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading):
            out.append(inline_text(block.children))
        elif isinstance(block, CodeBlock):
            out.append(block.text)
        elif isinstance(block, ListBlock):
            out.extend(block_text(item.blocks) for item in block.items)
        else:
            out.append(block_text(block.blocks))
    return "\n".join(out)


# -- the cut line (hides: tolerant) ---------------------------------------------------------


@lru_cache(maxsize=64)
def _cut_keys(marker: str) -> frozenset[str]:
    """What a line must read as to be the cut line: the marker as typed, and as Markdown would show it."""
    keys = {_cut_key(marker), _cut_key(block_text(parse_markdown(marker).blocks))}
    return frozenset(k for k in keys if k)


def _lines(children: tuple[Inline, ...]) -> list[tuple[Inline, ...]]:
    lines: list[list[Inline]] = [[]]
    for node in children:
        if isinstance(node, Break):
            lines.append([])
        else:
            lines[-1].append(node)
    return [tuple(line) for line in lines]


def _joined(lines: list[tuple[Inline, ...]]) -> tuple[Inline, ...]:
    out: list[Inline] = []
    for index, line in enumerate(lines):
        if index:
            out.append(Break())
        out.extend(line)
    return tuple(out)


Split = tuple[list[Block], list[Block]]


def _split_blocks(blocks: tuple[Block, ...], keys: frozenset[str]) -> Split | None:
    for index, block in enumerate(blocks):
        found = _split_block(block, keys)
        if found is not None:
            above, below = found
            return [*blocks[:index], *above], [*below, *blocks[index + 1 :]]
    return None


def _split_block(block: Block, keys: frozenset[str]) -> Split | None:
    if isinstance(block, Paragraph | Heading):
        lines = _lines(block.children)
        for index, line in enumerate(lines):
            if _is_cut(inline_text(line), keys):
                upper, lower = _joined(lines[:index]), _joined(lines[index:])
                if isinstance(block, Heading):
                    return [Heading(block.level, upper)], [Heading(block.level, lower)]
                return [Paragraph(upper)], [Paragraph(lower)]
        return None
    if isinstance(block, CodeBlock):
        text_lines = block.text.split("\n")
        for index, code_line in enumerate(text_lines):
            if _is_cut(code_line, keys):
                head, tail = "\n".join(text_lines[:index]), "\n".join(text_lines[index:])
                return [CodeBlock(head, block.info)], [CodeBlock(tail, block.info)]
        return None
    if isinstance(block, ListBlock):
        for index, item in enumerate(block.items):
            found = _split_blocks(item.blocks, keys)
            if found is not None:
                above, below = found
                return (
                    [ListBlock(block.ordered, (*block.items[:index], ListItem(tuple(above))))],
                    [ListBlock(block.ordered, (ListItem(tuple(below)), *block.items[index + 1 :]))],
                )
        return None
    found = _split_blocks(block.blocks, keys)
    if found is None:
        return None
    return [Quote(tuple(found[0]))], [Quote(tuple(found[1]))]


@dataclass(frozen=True)
class NotesCut:
    """Notes split at the cut line: ``above`` is shared; ``below`` (from the cut line on) stays internal."""

    above: str
    below: str | None = None  # None: no cut line


def split_notes(markdown: str, marker: str | None, agreed: str | None = None) -> NotesCut:
    """Canonical Markdown split at its first cut line.

    ``agreed`` is the text both sides last agreed on (the client's own notes, once
    filed internally). When the notes start with it, cut-line look-alikes inside
    it are the client's text, not the agency's cut: the search starts after it.
    That reveals nothing, since the client's tool already holds exactly that text.
    """
    keys = _cut_keys(marker) if marker else frozenset()
    if not keys:
        return NotesCut(markdown)
    if agreed and markdown.startswith(agreed) and markdown[len(agreed) : len(agreed) + 1] in ("", "\n"):
        rest = split_notes(markdown[len(agreed) :], marker)
        if rest.below is None:
            return NotesCut(markdown)
        return NotesCut(f"{agreed}\n\n{rest.above}".rstrip() if rest.above else agreed, rest.below)
    found = _split_blocks(parse_markdown(markdown).blocks, keys)
    if found is None:
        return NotesCut(markdown)
    above, below = found
    return NotesCut(render_markdown(normalize(Document(tuple(above)))), render_markdown(normalize(Document(tuple(below)))))


def shared_notes(markdown: str, marker: str | None, agreed: str | None = None) -> str:
    """What of the notes may go out: everything above the first cut line."""
    return split_notes(markdown, marker, agreed).above


# -- the comment and file markers (share: strict) ----------------------------------------


@lru_cache(maxsize=64)
def _exact(marker: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(marker) + r"(?!\w)")


@lru_cache(maxsize=64)
def _loose(marker: str) -> re.Pattern[str]:
    """The marker in any case, with spaces between its characters, glued to anything: what a near miss looks like."""
    chars = [re.escape(c) for c in marker if not c.isspace()]
    return re.compile(r"\w*" + r"\s*".join(chars) + r"\w*", re.IGNORECASE)


def _usable(marker: str | None) -> bool:
    return bool(marker and marker.strip())


def marked(text: str, marker: str | None) -> bool:
    """True when ``text`` holds the exact marker as a whole word (case-sensitive)."""
    if marker == EVERY_ITEM:
        return True
    return _usable(marker) and _exact(str(marker)).search(text) is not None


def near_miss(text: str, marker: str | None) -> str | None:
    """What was typed instead of the marker (``#Client``, ``#clientele``), when the exact marker is absent."""
    if marker == EVERY_ITEM or not _usable(marker) or marked(text, marker):
        return None
    found = _loose(str(marker)).search(text)
    if found is None:
        return None
    typed = " ".join(found.group(0).split())
    return typed if len(typed) <= 40 else typed[:39] + "…"


def strip_exact(text: str, marker: str) -> str:
    """``text`` without the exact marker (and the spaces before it); single line, spaces collapsed."""
    if marker == EVERY_ITEM or not _usable(marker):
        return text
    return " ".join(re.sub(r"\s*" + _exact(marker).pattern, "", text).split())


@dataclass(frozen=True)
class CommentShare:
    """A comment read for sharing: ``text`` is what may go out, or ``typed`` the near miss that kept it internal."""

    shared: bool
    text: str = ""
    typed: str | None = None


def read_comment(markdown: str, marker: str, cut: str | None) -> CommentShare:
    """Whether a comment goes out, and its shown text: above the cut line, the exact marker removed.

    The marker counts only in the visible text above the cut (a ``#client`` in a
    link's address or below the cut line shares nothing).
    """
    above = shared_notes(markdown, cut)
    if marker == EVERY_ITEM:
        return CommentShare(True, above)
    doc = parse_markdown(above)
    seen = block_text(doc.blocks)
    if not marked(seen, marker):
        # A Markdown tool reads "# client" as a heading: the source shows what was typed.
        return CommentShare(False, typed=near_miss(seen, marker) or near_miss(above, marker))
    pattern = re.compile(r"[^\S\n]*" + _exact(marker).pattern)
    changed = False

    def strip(nodes: tuple[Inline, ...]) -> tuple[Inline, ...]:
        nonlocal changed
        out: list[Inline] = []
        for node in nodes:
            if isinstance(node, Text) and pattern.search(node.text):
                changed = True
                out.append(Text(pattern.sub("", node.text)))
            elif isinstance(node, Strong | Emph | Strike):
                out.append(type(node)(strip(node.children)))
            elif isinstance(node, Link):
                out.append(Link(node.href, strip(node.children)))
            else:
                out.append(node)
        return tuple(out)

    def blocks(items: tuple[Block, ...]) -> tuple[Block, ...]:
        out: list[Block] = []
        for block in items:
            if isinstance(block, Paragraph):
                out.append(Paragraph(strip(block.children)))
            elif isinstance(block, Heading):
                out.append(Heading(block.level, strip(block.children)))
            elif isinstance(block, ListBlock):
                out.append(ListBlock(block.ordered, tuple(ListItem(blocks(i.blocks)) for i in block.items)))
            elif isinstance(block, Quote):
                out.append(Quote(blocks(block.blocks)))
            else:
                out.append(block)
        return tuple(out)

    stripped = Document(blocks(doc.blocks))
    return CommentShare(True, render_markdown(normalize(stripped)) if changed else above)


def shorten(text: str, limit: int = 60) -> str:
    """A title as a notice quotes it: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def comment_notice(title: str, typed: str, marker: str) -> str:
    return f"A comment on “{shorten(title)}” says “{typed}”, so it stays internal; write “{marker}” to share it."


def file_notice(title: str, typed: str, marker: str) -> str:
    return f"A file on “{shorten(title)}” is named with “{typed}”, so it stays internal; use “{marker}” to share it."
