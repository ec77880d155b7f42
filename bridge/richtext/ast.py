"""The canonical rich-text tree every tool's format converts through.

A document is a tuple of blocks; blocks hold inlines. The node set is what all
four tools can carry (Asana html_notes, Basecamp HTML, GitHub and Trello
Markdown), plus headings, code-block languages and images, which only some
keep (a tool without images shows an image as a link to it, named by its alt
text), and embedded objects, which only the tool they come from can hold.
Nodes are frozen and compare by value, so "a round trip is lossless" is plain
``==`` on trees.

:func:`normalize` defines the *canonical* tree: two trees that render the same
in every tool normalise to the same value (merged text, collapsed spaces, no
empty formatting, whitespace outside emphasis, adjacent same-kind lists merged).
Every parser returns a normalised tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from markdown_it.common.normalize_url import normalizeLink, validateLink


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Break:
    """A hard line break inside a block (a single newline in canonical Markdown)."""


@dataclass(frozen=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Emph:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Strike:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    href: str
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Mention:
    """A person. ``key`` is an email address (portable) or ``<tool>:<id>`` (one tool only); see mentions.py."""

    key: str
    name: str


@dataclass(frozen=True)
class Image:
    """An image by URL (Markdown ``![alt](src "title")``)."""

    src: str
    alt: str = ""
    title: str = ""


@dataclass(frozen=True)
class Embed:
    """An object embedded in one tool's rich text: a Basecamp ``<bc-attachment>`` (an inline file, or a
    mention of someone the bridge cannot map), an Asana ``<a data-asana-gid>`` of a task or project.

    ``html`` is its markup exactly as that tool gave it, and that tool is written it back
    unchanged (its sgid or gid means nothing anywhere else); every other tool shows ``name``,
    linked to ``href`` when there is one.
    """

    tool: str
    html: str
    name: str
    href: str = ""


Inline = Text | Code | Break | Strong | Emph | Strike | Link | Mention | Image | Embed


@dataclass(frozen=True)
class Paragraph:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class CodeBlock:
    text: str
    info: str = ""


@dataclass(frozen=True)
class ListItem:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class Quote:
    blocks: tuple[Block, ...]


Block = Paragraph | Heading | CodeBlock | ListBlock | Quote


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...] = field(default_factory=tuple)


_SPACES = re.compile(r"[ \t\r\f\v]+")


def canonical_href(href: str) -> str:
    """The URL as CommonMark stores it (percent-encoded), or "" for one it refuses (``javascript:``)."""
    href = href.strip()
    if not href or not validateLink(href):
        return ""
    return normalizeLink(href)


# -- inline normalisation -----------------------------------------------------------


def normalize_inlines(nodes: tuple[Inline, ...] | list[Inline], *, in_link: bool = False) -> tuple[Inline, ...]:
    """Canonical inline sequence of one block (see the module docstring)."""
    flat = _flatten(nodes, in_link=in_link, outer=())
    merged = _merge(flat)
    return _trim(merged)


def _flatten(nodes: tuple[Inline, ...] | list[Inline], *, in_link: bool, outer: tuple[type, ...]) -> list[Inline]:
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text):
            parts = node.text.replace("\r\n", "\n").split("\n")
            for i, part in enumerate(parts):
                if i:
                    out.append(Break())
                if part:
                    out.append(Text(_SPACES.sub(" ", part)))
        elif isinstance(node, Code):
            # Browsers collapse spaces in inline code too; Basecamp's HTML keeps only one.
            # Edge spaces are dropped too (Basecamp's backtick spans could not keep them).
            text = _SPACES.sub(" ", node.text.replace("\n", " "))
            text = text.strip(" ") or text
            if text:
                out.append(Code(text))
        elif isinstance(node, Break):
            out.append(node)
        elif isinstance(node, Mention):
            # A mention renders as a link; links cannot nest, so inside one it is just the name.
            name = " ".join(node.name.split()) or node.key
            out.append(Text(name) if in_link else Mention(node.key.strip(), name))
        elif isinstance(node, Image):
            src = canonical_href(node.src)
            alt = " ".join(node.alt.split())
            if src:
                out.append(Image(src, alt, " ".join(node.title.split())))
            elif alt:
                out.append(Text(alt))
        elif isinstance(node, Embed):
            # Like a mention, an embedded object is a link of its own: inside a link it is its name.
            name = " ".join(node.name.split())
            if in_link:
                out.extend([Text(name)] if name else [])
            elif node.html:
                out.append(Embed(node.tool, node.html, name, canonical_href(node.href)))
        elif isinstance(node, Link):
            children = _flatten(node.children, in_link=True, outer=outer)
            href = canonical_href(node.href)
            if in_link or not href:
                out.extend(children)
            else:
                out.extend(_hoist(Link, href, children or [Text(href)]))
        else:
            kind = type(node)
            children = _flatten(node.children, in_link=in_link, outer=outer + (kind,))
            # **a **b** c** is just bold: a wrapper inside the same wrapper adds nothing.
            out.extend(children if kind in outer else _hoist(kind, "", children))
    return out


def plain_embed(node: Embed) -> Inline:
    """An embedded object as a tool that cannot hold it shows it: its name, linked when it has a link."""
    name = node.name or node.href
    return Link(node.href, (Text(name),)) if node.href else Text(name)


def image_link(node: Image) -> Inline:
    """An image in a tool without images: a link to it, named by its alt text."""
    return Link(node.src, (Text(node.alt or node.src),))


def _hoist(kind: type, href: str, children: list[Inline]) -> list[Inline]:
    """Wrap children, moving leading/trailing spaces and breaks outside (Markdown cannot keep them inside)."""
    children = _merge(children)
    lead: list[Inline] = []
    trail: list[Inline] = []
    while children and _blank_edge(children[0], first=True):
        head = children.pop(0)
        if isinstance(head, Text) and head.text.strip():
            stripped = head.text.lstrip()
            lead.append(Text(head.text[: len(head.text) - len(stripped)]))
            children.insert(0, Text(stripped))
            break
        lead.append(head)
    while children and _blank_edge(children[-1], first=False):
        tail = children.pop()
        if isinstance(tail, Text) and tail.text.strip():
            stripped = tail.text.rstrip()
            trail.insert(0, Text(tail.text[len(stripped):]))
            children.append(Text(stripped))
            break
        trail.insert(0, tail)
    # Two breaks in a row would end the paragraph inside the wrapper: one is all a wrapper keeps.
    children = [n for i, n in enumerate(children) if not (isinstance(n, Break) and i and isinstance(children[i - 1], Break))]
    if not children:
        return lead + trail
    wrapped: Inline = Link(href, tuple(children)) if kind is Link else kind(tuple(children))
    return [*lead, wrapped, *trail]


def _blank_edge(node: Inline, *, first: bool) -> bool:
    if isinstance(node, Break):
        return True
    if isinstance(node, Text):
        return node.text[:1].isspace() if first else node.text[-1:].isspace()
    return False


def _merge(nodes: list[Inline]) -> list[Inline]:
    """Join adjacent text, code and same-kind wrappers (``**a****b**`` is not Markdown for two bold runs)."""
    out: list[Inline] = []
    for node in nodes:
        prev = out[-1] if out else None
        if isinstance(node, Text) and isinstance(prev, Text):
            out[-1] = Text(_SPACES.sub(" ", prev.text + node.text))
        elif isinstance(node, Code) and isinstance(prev, Code):
            joined = _SPACES.sub(" ", prev.text + node.text)
            out[-1] = Code(joined.strip(" ") or joined)
        elif isinstance(node, Strong | Emph | Strike) and type(prev) is type(node):
            assert isinstance(prev, Strong | Emph | Strike)
            out[-1] = replace(prev, children=tuple(_merge([*prev.children, *node.children])))
        elif isinstance(node, Text) and isinstance(prev, Break):
            if node.text.lstrip(" "):
                out.append(Text(node.text.lstrip(" ")))
        else:
            out.append(node)
    # Spaces before a break are invisible (and Markdown drops them).
    for i in range(len(out) - 1):
        cur = out[i]
        if isinstance(cur, Text) and isinstance(out[i + 1], Break):
            out[i] = Text(cur.text.rstrip(" "))
    return _space_mentions([n for n in out if not (isinstance(n, Text) and not n.text)])


def _space_mentions(nodes: list[Inline]) -> list[Inline]:
    """A mention is a word of its own: "@login" glued to a word would not read as a mention in GitHub or Trello."""
    out = list(nodes)
    for i, node in enumerate(out):
        if not isinstance(node, Mention):
            continue
        prev = out[i - 1] if i else None
        if isinstance(prev, Text) and re.search(r"[\w.@/`]$", prev.text):
            out[i - 1] = Text(prev.text + " ")
        elif isinstance(prev, Mention):
            out.insert(i, Text(" "))
            return _space_mentions(out)
        nxt = out[i + 1] if i + 1 < len(out) else None
        if isinstance(nxt, Text) and re.match(r"[\w@-]", nxt.text):
            out[i + 1] = Text(" " + nxt.text)
    return out


def _trim(nodes: list[Inline]) -> tuple[Inline, ...]:
    """No spaces or breaks at the edges of a block; never two breaks in a row (that is a new paragraph)."""
    out = list(nodes)
    while out and (isinstance(out[0], Break) or (isinstance(out[0], Text) and not out[0].text.strip())):
        out.pop(0)
    while out and (isinstance(out[-1], Break) or (isinstance(out[-1], Text) and not out[-1].text.strip())):
        out.pop()
    if out and isinstance(out[0], Text):
        out[0] = Text(out[0].text.lstrip())
    if out and isinstance(out[-1], Text):
        out[-1] = Text(out[-1].text.rstrip())
    return tuple(out)


# -- block normalisation --------------------------------------------------------------


def normalize(doc: Document) -> Document:
    return Document(normalize_blocks(doc.blocks))


def normalize_blocks(blocks: tuple[Block, ...] | list[Block]) -> tuple[Block, ...]:
    out: list[Block] = []
    for block in blocks:
        out.extend(_normalize_block(block))
    merged: list[Block] = []
    for block in out:
        prev = merged[-1] if merged else None
        if isinstance(block, ListBlock) and isinstance(prev, ListBlock) and prev.ordered == block.ordered:
            merged[-1] = ListBlock(prev.ordered, prev.items + block.items)
        else:
            merged.append(block)
    return tuple(merged)


def _normalize_block(block: Block) -> list[Block]:
    if isinstance(block, Paragraph):
        return [Paragraph(part) for part in split_paragraph(normalize_inlines(block.children)) if part]
    if isinstance(block, Heading):
        flat = tuple(Text(" ") if isinstance(n, Break) else n for n in block.children)
        children = normalize_inlines(flat)
        return [Heading(min(max(block.level, 1), 6), children)] if children else []
    if isinstance(block, CodeBlock):
        text = block.text.replace("\r\n", "\n").strip("\n")
        info = block.info.strip().split()[0].replace("`", "") if block.info.strip() else ""
        return [CodeBlock(text, info)] if text.strip() else []
    if isinstance(block, ListBlock):
        items = [ListItem(normalize_blocks(item.blocks)) for item in block.items]
        kept = tuple(item for item in items if item.blocks)
        return [ListBlock(block.ordered, kept)] if kept else []
    inner = normalize_blocks(block.blocks)
    return [Quote(inner)] if inner else []


def split_paragraph(children: tuple[Inline, ...]) -> list[tuple[Inline, ...]]:
    """Two breaks in a row end a paragraph (a blank line in every format)."""
    parts: list[list[Inline]] = [[]]
    for i, node in enumerate(children):
        if isinstance(node, Break) and i + 1 < len(children) and isinstance(children[i + 1], Break):
            parts.append([])
        elif isinstance(node, Break) and parts[-1] == []:
            continue
        else:
            parts[-1].append(node)
    return [_trim(p) for p in parts]
