"""The canonical tree to Asana / Basecamp HTML (see html_dialect.py for the two shapes).

Output is well-formed XML (Asana rejects anything else with 400) and uses only
the tags each tool keeps, so what the tool stores is what we wrote. Neither
tool takes ``<img>`` here (Asana: only in project briefs; Basecamp: not an
allowed tag, images are uploaded attachments), so an image is written as a link
to it named by its alt text; inside a link, as the alt text. An embedded object
read from this tool is written back as it came; one from another tool is its
name, linked.
"""

from __future__ import annotations

import html
import re

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
    Quote,
    Strike,
    Strong,
    Text,
    image_link,
    normalize,
    plain_embed,
)
from bridge.richtext.html_dialect import HtmlDialect
from bridge.richtext.mentions import NOBODY, People


def render_html(doc: Document, dialect: HtmlDialect, people: People = NOBODY) -> str:
    writer = _Writer(dialect, people)
    inner = writer.blocks(normalize(doc).blocks)
    if dialect.body:
        return f"<body>{inner}</body>"
    return inner


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


class _Writer:
    def __init__(self, dialect: HtmlDialect, people: People) -> None:
        self.dialect = dialect
        self.people = people

    def blocks(self, blocks: tuple[Block, ...], *, in_item: bool = False) -> str:
        parts: list[str] = []
        for i, block in enumerate(blocks):
            if i and self.dialect.newlines:
                # Asana shows newlines: a blank line between paragraphs, one newline around other blocks.
                both = isinstance(block, Paragraph) and isinstance(blocks[i - 1], Paragraph)
                parts.append("\n\n" if both else "\n")
            parts.append(self.block(block, bare=in_item and i == 0))
        return "".join(parts)

    def block(self, block: Block, *, bare: bool = False) -> str:
        if isinstance(block, Paragraph):
            inner = self.inlines(block.children)
            return inner if self.dialect.newlines or bare else f"<div>{inner}</div>"
        if isinstance(block, Heading):
            if self.dialect.headings == 0:
                return self.block(Paragraph((Strong(block.children),)), bare=bare)
            level = min(block.level, self.dialect.headings)
            return f"<h{level}>{self.inlines(block.children)}</h{level}>"
        if isinstance(block, CodeBlock):
            return f"<pre>{_esc(block.text)}</pre>"
        if isinstance(block, ListBlock):
            tag = "ol" if block.ordered else "ul"
            items = "".join(f"<li>{self.blocks(item.blocks, in_item=True)}</li>" for item in block.items)
            return f"<{tag}>{items}</{tag}>"
        return f"<blockquote>{self.quote(block)}</blockquote>"

    def quote(self, block: Quote) -> str:
        if not self.dialect.newlines and len(block.blocks) == 1 and isinstance(block.blocks[0], Paragraph):
            # Basecamp's editor writes a one-paragraph quote without a <div>.
            return self.inlines(block.blocks[0].children)
        return self.blocks(block.blocks)

    def inlines(self, nodes: tuple[Inline, ...]) -> str:
        return "".join(self.inline(n) for n in nodes)

    def inline(self, node: Inline) -> str:
        if isinstance(node, Text):
            return _esc(node.text)
        if isinstance(node, Break):
            return "\n" if self.dialect.newlines else "<br>"
        if isinstance(node, Code):
            if self.dialect.inline_code:
                return f"<code>{_esc(node.text)}</code>"
            return _esc(_backticked(node.text))
        if isinstance(node, Mention):
            return self.mention(node)
        if isinstance(node, Link):
            label = tuple(Text(n.alt or n.src) if isinstance(n, Image) else n for n in node.children)
            return f'<a href="{_attr(node.href)}">{self.inlines(label)}</a>'
        if isinstance(node, Image):
            return self.inline(image_link(node))
        if isinstance(node, Embed):
            return node.html if node.tool == self.dialect.tool else self.inline(plain_embed(node))
        tag = {Strong: "strong", Emph: "em", Strike: self.dialect.strike}[type(node)]
        return f"<{tag}>{self.inlines(node.children)}</{tag}>"

    def mention(self, node: Mention) -> str:
        handle = self.people.handle_of(node)
        if handle is None:
            return _esc(node.name)
        if self.dialect.tool == "asana":
            # Asana fills in href, type and the person's name (docs: "Writing rich text", Links).
            return f'<a data-asana-gid="{_attr(handle)}"/>'
        return f'<bc-attachment sgid="{_attr(handle)}"></bc-attachment>'


def _backticked(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = text.startswith("`") or text.endswith("`") or (text[:1] == " " and text[-1:] == " ")
    return f"{fence} {text} {fence}" if padded else f"{fence}{text}{fence}"
