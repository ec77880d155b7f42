"""Asana / Basecamp HTML to the canonical tree.

Reading is forgiving (the reference tells both APIs' clients to expect tags
they do not know): an unknown tag is dropped and its content kept, ``<u>`` keeps
its text, ``<b> <i> <del>`` read as their semantic twins, an ``<img>`` as an
image. A ``<bc-attachment>`` that is not a mention of someone known (an inline
file, say) and an Asana ``<a data-asana-gid>`` of a task, project or unknown
person read as an :class:`~bridge.richtext.ast.Embed` holding their markup
exactly as received, so writing the text back to the same tool keeps them
(Basecamp's rich-text guide: do not discard attachments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

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
    ListItem,
    Paragraph,
    Quote,
    Strike,
    Strong,
    Text,
    normalize,
)
from bridge.richtext.html_dialect import HtmlDialect
from bridge.richtext.mentions import NOBODY, People

_BLOCKS = frozenset({"div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "ul", "ol", "li", "blockquote",
                     "table", "tr", "hr", "figure", "object"})  # fmt: skip
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link"})
_WRAPPERS: dict[str, type[Strong] | type[Emph] | type[Strike]] = {
    "strong": Strong, "b": Strong, "em": Emph, "i": Emph, "s": Strike, "strike": Strike, "del": Strike,
}  # fmt: skip
_MENTION_TYPE = "application/vnd.basecamp.mention"
_BACKTICKS = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)
    source: str = ""  # the element's markup exactly as received, when it was closed

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else ("\n" if c.tag == "br" else c.text()) for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self, rich: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rich = rich
        self.lines = [0] + [i + 1 for i, c in enumerate(rich) if c == "\n"]
        self.root = Element("root")
        self.stack = [self.root]
        self.starts: dict[int, int] = {}  # id(element) -> offset of its start tag

    def at(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag in _VOID:
            node.source = self.get_starttag_text() or ""
        else:
            self.starts[id(node)] = self.at()
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}, source=self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            node = self.stack[depth]
            if node.tag == tag:
                start, end = self.starts.get(id(node)), self.rich.find(">", self.at())
                if start is not None and end >= 0:
                    node.source = self.rich[start : end + 1]
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_tree(rich: str) -> Element:
    builder = _TreeBuilder(rich)
    builder.feed(rich)
    builder.close()
    return builder.root


def parse_html(rich: str, dialect: HtmlDialect, people: People = NOBODY) -> Document:
    reader = _Reader(dialect, people)
    root = parse_tree(rich)
    body = next((c for c in root.children if isinstance(c, Element) and c.tag == "body"), root)
    return normalize(Document(tuple(reader.blocks(body.children))))


class _Reader:
    def __init__(self, dialect: HtmlDialect, people: People) -> None:
        self.dialect = dialect
        self.people = people

    def blocks(self, children: list[Element | str]) -> list[Block]:
        out: list[Block] = []
        run: list[Element | str] = []
        for child in children:
            if isinstance(child, Element) and child.tag in _BLOCKS:
                if run:
                    out.append(Paragraph(tuple(self.inlines(run))))
                    run = []
                out.extend(self.block(child))
            else:
                run.append(child)
        if run:
            out.append(Paragraph(tuple(self.inlines(run))))
        return out

    def block(self, node: Element) -> list[Block]:
        tag = node.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return [Heading(int(tag[1]), tuple(self.inlines(node.children)))]
        if tag == "pre":
            return [CodeBlock(node.text())]
        if tag in ("ul", "ol"):
            items = [c for c in node.children if isinstance(c, Element) and c.tag == "li"]
            return [ListBlock(tag == "ol", tuple(ListItem(tuple(self.blocks(li.children))) for li in items))]
        if tag == "blockquote":
            return [Quote(tuple(self.blocks(node.children)))]
        if tag == "hr":
            return [Paragraph((Text("---"),))]
        # A paragraph <div>, or a container we do not model: its content, block by block.
        return self.blocks(node.children)

    def inlines(self, children: list[Element | str]) -> list[Inline]:
        out: list[Inline] = []
        for child in children:
            if isinstance(child, str):
                out.extend(self.text(child))
            else:
                out.extend(self.element(child))
        return out

    def text(self, data: str) -> list[Inline]:
        if not self.dialect.newlines:
            data = re.sub(r"\s+", " ", data)
        if self.dialect.inline_code:
            return [Text(data)]
        # Basecamp has no code tag: `code` typed between backticks is inline code.
        out: list[Inline] = []
        last = 0
        for match in _BACKTICKS.finditer(data):
            out.extend([Text(data[last : match.start()]), Code(_strip_code(match.group(2)))])
            last = match.end()
        return [*out, Text(data[last:])]

    def element(self, node: Element) -> list[Inline]:
        tag = node.tag
        if tag == "br":
            return [Break()]
        if tag in _WRAPPERS:
            return [_WRAPPERS[tag](tuple(self.inlines(node.children)))]
        if tag in ("code", "tt"):
            return [Code(node.text())]
        if tag == "a":
            return self.anchor(node)
        if tag == "bc-attachment":
            return self.attachment(node)
        if tag == "img":
            alt = node.attrs.get("alt") or ""
            src = node.attrs.get("src") or ""
            return [Image(src, alt, node.attrs.get("title") or "")] if src else ([Text(alt)] if alt else [])
        if tag in _BLOCKS:
            return [Break(), *self.inlines(node.children), Break()]
        return self.inlines(node.children)

    def anchor(self, node: Element) -> list[Inline]:
        gid = node.attrs.get("data-asana-gid")
        is_user = node.attrs.get("data-asana-type", "user") == "user"
        if gid and is_user and (mention := self.people.mention(gid)):
            return [mention]
        label = self.inlines(node.children)
        href = node.attrs.get("href", "")
        if gid and node.source:
            # A task, project, or someone we cannot map: kept whole for Asana; elsewhere the name Asana
            # showed, linked unless it is a person (a link to their My Tasks helps nobody).
            name = " ".join(node.text().split())
            return [Embed("asana", node.source, name, "" if node.attrs.get("data-asana-type") == "user" else href)]
        if gid and node.attrs.get("data-asana-type") == "user":
            return label
        if not href:
            return label
        return [Link(href, tuple(label) or (Text(href),))]

    def attachment(self, node: Element) -> list[Inline]:
        sgid = node.attrs.get("sgid", "")
        if sgid and (mention := self.people.mention(sgid)):
            return [mention]
        caption = " ".join(node.text().split())
        if node.attrs.get("content-type") == _MENTION_TYPE:
            name, href = ("@" + caption if caption else ""), ""
        else:
            href = node.attrs.get("href") or node.attrs.get("url") or ""
            name = node.attrs.get("filename") or node.attrs.get("caption") or caption or href
        if sgid and node.source:
            return [Embed("basecamp", node.source, name, href)]
        return [Link(href, (Text(name),))] if href else ([Text(name)] if name else [])


def _strip_code(text: str) -> str:
    # As in Markdown: one space each side pads a code span that starts or ends with a backtick.
    return text[1:-1] if len(text) > 2 and text[0] == " " and text[-1] == " " and text.strip() else text
