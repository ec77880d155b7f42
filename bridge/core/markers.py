"""Reading the agency's markers: the notes cut line, the comment marker, the file marker.

One rule decides how each is read: *tolerant where a marker hides, strict where
it shares*, so a mistake always falls on the private side (docs/mirror-rules.md,
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
  internal and becomes a :class:`~bridge.core.ops.Notice` so the agency can fix it.

Pure: no I/O. An empty marker never loops and never matches anything it would
share; config validation refuses one (bridge/core/rules.py).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from markdown_it.token import Token

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
from bridge.richtext.markdown_read import markdown_parser, parse_markdown
from bridge.richtext.markdown_write import render_markdown

# A marker that shares every comment and file: only a migration that copies everything uses it
# (bridge/migrate/filters.py); no config can hold it, since a config marker must be visible text.
EVERY_ITEM = "\x00pm-bridge: every item\x00"

NEAR_MISS = "marker-near-miss"

_INVISIBLE = re.compile("[\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff]")
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<!--.*?-->")  # tags and comments: neither shows


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


_NOT_LETTER = re.compile(r"\W|_")


@lru_cache(maxsize=64)
def _spellings(keys: frozenset[str]) -> tuple[tuple[str, re.Pattern[str]], ...] | None:
    """Per cut key, its distinct letters and a pattern for its letters in order with only non-letters
    between them; None when a key has no letters (then any text may hold it)."""
    out = []
    for key in keys:
        word = _NOT_LETTER.sub("", key)
        if not word:
            return None
        out.append(("".join(sorted(set(word))), re.compile(r"[\W_]*".join(map(re.escape, word)))))
    return tuple(out)


def _may_hold(markdown: str, keys: frozenset[str]) -> bool:
    """A cheap test that never says no to a text holding a cut line: are the marker's letters in it, in order?

    Spaces, markup, invisible characters and tags may sit between them; entities
    may spell them. Most notes hold no cut line and are then never parsed.
    """
    spellings = _spellings(keys)
    if spellings is None:
        return True
    decoded = (html.unescape(markdown) if "&" in markdown else markdown).casefold()
    # A word whose letters are not all in the text cannot be spelled in it: the common case, decided by a
    # substring test per letter (a plain loop: no comprehension frame or iterator objects per call).
    patterns = []
    for letters, pattern in spellings:
        for letter in letters:
            if letter not in decoded:
                break
        else:
            patterns.append(pattern)
    if not patterns:
        return False
    texts = (decoded, _TAG.sub("", decoded)) if "<" in decoded else (decoded,)
    return any(pattern.search(text) for pattern in patterns for text in texts)


def _token_lines(token: Token) -> list[tuple[int, str]]:
    """The visible lines of a block token, each with its source line (relative to the block's first)."""
    if token.type == "inline":
        lines: list[tuple[int, str]] = [(0, "")]
        row = 0
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                row += 1
                lines.append((row, ""))
            elif child.type == "html_inline" and re.match(r"<br\s*/?>$", child.content.strip(), re.IGNORECASE):
                lines.append((row, ""))  # a line on the same source line: a cut there hides that whole line
            elif child.type == "image":
                lines[-1] = (lines[-1][0], lines[-1][1] + "".join(c.content for c in child.children or []))
            elif child.type in ("text", "code_inline"):  # other inline HTML (tags, comments) does not show
                lines[-1] = (lines[-1][0], lines[-1][1] + child.content)
        return lines
    first = 1 if token.type == "fence" else 0
    return [(first + index, line) for index, line in enumerate(token.content.split("\n"))]


@dataclass(frozen=True)
class _Fence:
    """The code fence a cut line sits in: its opening line, its markup and its info string."""

    line: int
    markup: str
    info: str


def _cut_at(source: str, keys: frozenset[str]) -> tuple[int, _Fence | None] | None:
    """The source line of the first cut line, and the fence it sits in (if any)."""
    for token in markdown_parser().parse(source):
        if token.map is None or token.type not in ("inline", "fence", "code_block", "html_block"):
            continue
        for row, line in _token_lines(token):
            if _is_cut(line, keys):
                fence = _Fence(token.map[0], token.markup, token.info) if token.type == "fence" else None
                return token.map[0] + row, fence
    return None


class NotesCut(NamedTuple):
    """Notes split at the cut line: ``above`` is shared; ``below`` (from the cut line on) stays internal.

    A named tuple: the mirror splits every shared task's notes every cycle, and a tuple is the cheapest to make.
    """

    above: str
    below: str | None = None  # None: no cut line


def split_notes(markdown: str, marker: str | None, agreed: str | None = None) -> NotesCut:
    """Canonical Markdown split at its first cut line.

    ``agreed`` is the text both sides last agreed on (the client's own notes, once
    filed internally). When the notes start with it, cut-line look-alikes inside
    it are the client's text, not the agency's cut: the search starts after it.
    That reveals nothing, since the client's tool already holds exactly that text.
    """
    return _cut(markdown, marker, agreed) or NotesCut(markdown)


def shared_notes(markdown: str, marker: str | None, agreed: str | None = None) -> str:
    """What of the notes may go out: everything above the first cut line."""
    cut = _cut(markdown, marker, agreed)
    return markdown if cut is None else cut.above


def _cut(markdown: str, marker: str | None, agreed: str | None) -> NotesCut | None:
    """:func:`split_notes`, or None where no cut line cuts the notes (most notes: then no NotesCut is made)."""
    keys = _cut_keys(marker) if marker and markdown else frozenset()
    if not keys:  # no cut line configured, or no notes at all (most tasks): nothing to cut
        return None
    if agreed and markdown.startswith(agreed) and markdown[len(agreed) : len(agreed) + 1] in ("", "\n"):
        rest = _cut(markdown[len(agreed) :], marker, None)
        if rest is None:
            return None
        return NotesCut(f"{agreed}\n\n{rest.above}" if rest.above else agreed, rest.below)  # rest.above ends trimmed
    # A bare CR ends a line too (old Mac files, some editors): read as the tools render it.
    source = markdown.replace("\r\n", "\n").replace("\r", "\n") if "\r" in markdown else markdown
    found = _cut_at(source, keys) if _may_hold(source, keys) else None
    if found is None:
        return None
    row, fence = found
    lines = source.split("\n")
    above, below = lines[:row], lines[row:]
    if fence is not None:  # keep both halves of a cut code block closed and open
        opening = lines[fence.line]
        indent = " " * (len(opening) - len(opening.lstrip()))
        above, below = [*above, indent + fence.markup], [indent + fence.markup + fence.info, *below]
    return NotesCut("\n".join(above).rstrip(), "\n".join(below).strip("\n"))


# -- the comment and file markers (share: strict) ----------------------------------------


@lru_cache(maxsize=64)
def _exact(marker: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(marker) + r"(?!\w)")


@lru_cache(maxsize=64)
def _loose(marker: str) -> re.Pattern[str]:
    """The marker in any case, with spaces between its characters, glued to anything: what a near miss looks like."""
    chars = [re.escape(c) for c in marker if not c.isspace()]
    return re.compile(r"\s*".join(chars), re.IGNORECASE)  # no leading \w*: that would backtrack on long words


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
    start, end = found.span()
    while start > 0 and found.start() - start < 20 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and end - found.end() < 20 and (text[end].isalnum() or text[end] == "_"):
        end += 1
    typed = " ".join(text[start:end].split())
    return typed if len(typed) <= 40 else typed[:39] + "…"


def strip_exact(text: str, marker: str) -> str:
    """``text`` without the exact marker (and the spaces before it); single line, spaces collapsed."""
    if marker == EVERY_ITEM or not _usable(marker):
        return text
    return " ".join(without(text, _exact(marker)).split())


def without(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with each match removed, and the spaces before it (so ``Logo [client].pdf`` reads ``Logo.pdf``).

    Split and join, not a regex with leading spaces: that would take quadratic time on long runs of spaces.
    """
    parts = pattern.split(text)
    return "".join(part.rstrip(" \t\u00a0") if index < len(parts) - 1 else part for index, part in enumerate(parts))


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
    if not _usable(marker):
        return CommentShare(False)
    if not _loose(marker).search(html.unescape(above)):
        return CommentShare(False)  # no trace of the marker: nothing to parse
    doc = parse_markdown(above)
    seen = block_text(doc.blocks)
    if not marked(seen, marker):
        # A Markdown tool reads "# client" as a heading: the source shows what was typed.
        return CommentShare(False, typed=near_miss(seen, marker) or near_miss(above, marker))
    pattern = _exact(marker)

    def strip(nodes: tuple[Inline, ...]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for node in nodes:
            if isinstance(node, Text) and pattern.search(node.text):
                out.append(Text(without(node.text, pattern)))
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
    # Untouched (the marker sat in a code span, say): the comment goes out as typed, not re-rendered.
    return CommentShare(True, above if stripped == doc else render_markdown(normalize(stripped)))


def shorten(text: str, limit: int = 60) -> str:
    """A title as a notice quotes it: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def comment_notice(title: str, typed: str, marker: str) -> str:
    return f"A comment on “{shorten(title)}” says “{typed}”, so it stays internal; write “{marker}” to share it."


def file_notice(title: str, typed: str, marker: str) -> str:
    return f"A file on “{shorten(title)}” is named with “{typed}”, so it stays internal; use “{marker}” to share it."
