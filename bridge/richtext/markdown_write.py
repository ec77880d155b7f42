"""The canonical tree to canonical Markdown.

Output is plain CommonMark (+ ``~~strike~~``) that GitHub and Trello show as
intended: ``**bold** *em* ~~strike~~ `code` [text](url)``, ``# heading``,
fenced code, ``-``/``1.`` lists indented under their marker, ``> `` quotes, a
newline for a line break and a blank line between blocks. Mentions are
``@[Name](person:key)``, images ``![alt](src "title")``, embedded objects
``[name](href "embed:..")`` (markdown_read.py).

Text is escaped only where Markdown would read markup into it, so prose stays
readable. Each paragraph is checked by parsing it back: if the light escaping is
not enough (CommonMark's emphasis rules refuse some placements, e.g. ``a**!b**``)
the paragraph is written again with every markup character escaped, and then
with HTML tags (``<strong>``) for the formatting, which CommonMark always reads.
"""

from __future__ import annotations

import re
import urllib.parse

from bridge.richtext.ast import (
    Block,
    Break,
    Code,
    CodeBlock,
    Document,
    Embed,
    Emph,
    Heading,
    Image,
    Inline,
    Link,
    ListBlock,
    Mention,
    Paragraph,
    Strike,
    Strong,
    Text,
    normalize,
)
from bridge.richtext.markdown_read import PERSON_SCHEME, embed_title, parse_markdown

# A line whose start CommonMark would read as a block marker.
_LINE_START = re.compile(
    r"^(?:#{1,6}(?:[ \t]|$)|[-+*](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|>|`{3,}[^`]*$|~{3}|=+[ \t]*$|-+[ \t]*$"
    r"|([-*_])(?:[ \t]*\1){2,}[ \t]*$)"
)
_ALWAYS = re.compile(r"([\\`*_~\[\]]|<(?=[A-Za-z/!?])|&(?=#?\w+;))")
_PARANOID = re.compile(r"([\\`*_~\[\]<>#&!|])")
_MODES = ("raw", "light", "paranoid", "html")


def render_markdown(doc: Document) -> str:
    return "\n\n".join(_block(b) for b in normalize(doc).blocks)


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return _paragraph(block)
    if isinstance(block, Heading):
        return _heading(block)
    if isinstance(block, CodeBlock):
        longest = max((len(run) for run in re.findall(r"`+", block.text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{block.info}\n{block.text}\n{fence}"
    if isinstance(block, ListBlock):
        return "\n".join(_item(block.ordered, n, item.blocks) for n, item in enumerate(block.items, 1))
    inner = "\n\n".join(_block(b) for b in block.blocks)
    return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))


def _item(ordered: bool, number: int, blocks: tuple[Block, ...]) -> str:
    marker = f"{number}. " if ordered else "- "
    parts: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            # A paragraph after another block of the item needs a blank line, or it joins the block before.
            parts.append("\n\n" if isinstance(block, Paragraph) else "\n")
        parts.append(_block(block))
    lines = "".join(parts).split("\n")
    pad = " " * len(marker)
    return "\n".join([marker + lines[0]] + [pad + line if line else "" for line in lines[1:]])


def _paragraph(block: Paragraph) -> str:
    rendered = ""
    for mode in _MODES:
        rendered = _lines(_inlines(block.children, mode))
        if parse_markdown(rendered).blocks == (block,):
            return rendered
    return rendered


def _heading(block: Heading) -> str:
    rendered = ""
    for mode in _MODES:
        rendered = "#" * block.level + " " + _inlines(block.children, mode)
        # A heading ending in "#" would lose it as a closing sequence.
        if rendered.endswith("#"):
            rendered = rendered[:-1] + "\\#"
        if parse_markdown(rendered).blocks == (block,):
            return rendered
    return rendered


def _lines(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if _LINE_START.match(line):
            line = "\\" + line if not line[:1].isdigit() else re.sub(r"^(\d+)([.)])", r"\1\\\2", line)
        out.append(line)
    return "\n".join(out)


def _inlines(nodes: tuple[Inline, ...], mode: str) -> str:
    return "".join(_inline(n, mode) for n in nodes)


def _inline(node: Inline, mode: str) -> str:
    if isinstance(node, Text):
        if mode == "raw":
            return node.text
        return (_ALWAYS if mode == "light" else _PARANOID).sub(r"\\\1", node.text)
    if isinstance(node, Break):
        return "\n"
    if isinstance(node, Code):
        return _code(node.text)
    if isinstance(node, Mention):
        label = _inline(Text(node.name), "paranoid")
        return f"@[{label}]({PERSON_SCHEME}{urllib.parse.quote(node.key, safe='@:/.+-_~')})"
    if isinstance(node, Link):
        return f"[{_inlines(node.children, mode)}]({_href(node.href)})"
    if isinstance(node, Image):
        title = f' "{_title(node.title)}"' if node.title else ""
        return f"![{_inline(Text(node.alt), mode)}]({_href(node.src)}{title})"
    if isinstance(node, Embed):
        return f'[{_inline(Text(node.name), mode)}]({_href(node.href) or "<>"} "{embed_title(node)}")'
    inner = _inlines(node.children, mode)
    if mode == "html":
        tag = {Strong: "strong", Emph: "em", Strike: "del"}[type(node)]
        return f"<{tag}>{inner}</{tag}>"
    mark = {Strong: "**", Emph: "*", Strike: "~~"}[type(node)]
    return f"{mark}{inner}{mark}"


def _code(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = text.startswith("`") or text.endswith("`") or (text[:1] == " " and text[-1:] == " " and text.strip())
    return f"{fence} {text} {fence}" if padded else f"{fence}{text}{fence}"


def _href(href: str) -> str:
    depth = 0
    for char in href:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth or re.search(r"[\s<>]", href):
        return "<" + href.replace("<", "%3C").replace(">", "%3E") + ">"
    return href


def _title(title: str) -> str:
    return re.sub(r'(["\\])', r"\\\1", title)


def normalize_markdown(text: str) -> str:
    """Markdown in the canonical dialect: parse and render (idempotent)."""
    return render_markdown(parse_markdown(text))

