"""Canonical Markdown (CommonMark + ``~~strike~~``) to the canonical tree.

markdown-it-py does the CommonMark parsing; this module maps its tokens to
nodes. The canonical dialect differs from CommonMark in one reading: a single
newline inside a paragraph is a line break (as GitHub comments, Trello and every
HTML tool show it). Anything outside the node set degrades to text it can carry:
rules become "---", raw HTML blocks become their text, inline ``<b> <i> <s> <del>
<br>`` tags become formatting.

An embedded object (ast.Embed) is a link whose title carries it:
``[name](href "embed:<tool>:<base64url of its HTML>")``. Only the canonical text
holds one; text read from GitHub or Trello never does (``embeds=False``), so a
user typing that syntax cannot have raw HTML written into another tool.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

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
    Mention,
    Paragraph,
    Quote,
    Strike,
    Strong,
    Text,
    normalize,
    plain_embed,
)
from bridge.richtext.mentions import map_inlines

PERSON_SCHEME = "person:"
EMBED_SCHEME = "embed:"
_HTML_TAG = re.compile(r"^<(/?)([a-zA-Z]+)\s*/?>$")
_HTML_WRAPPERS: dict[str, type[Strong] | type[Emph] | type[Strike]] = {
    "strong": Strong, "b": Strong, "em": Emph, "i": Emph, "s": Strike, "del": Strike, "strike": Strike,
}  # fmt: skip


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("strikethrough")


def parse_markdown(text: str, *, embeds: bool = True) -> Document:
    tokens = markdown_parser().parse(text.replace("\r\n", "\n"))
    blocks, _ = _blocks(tokens, 0, None)
    doc = normalize(Document(tuple(blocks)))
    if not embeds and EMBED_SCHEME in text:
        doc = normalize(map_inlines(doc, lambda n: [plain_embed(n)] if isinstance(n, Embed) else [n]))
    return doc


def embed_title(node: Embed) -> str:
    data = base64.urlsafe_b64encode(node.html.encode()).decode().rstrip("=")
    return f"{EMBED_SCHEME}{node.tool}:{data}"


def _embed(title: str, href: str, children: tuple[Inline, ...]) -> Embed | None:
    tool, _, data = title[len(EMBED_SCHEME) :].partition(":")
    try:
        markup = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    name = "".join(n.text if isinstance(n, Text | Code) else " " for n in children)
    return Embed(tool, markup, name, href) if tool and markup else None


def _blocks(tokens: list[Token], i: int, until: str | None) -> tuple[list[Block], int]:
    """Blocks from ``tokens[i]`` up to the closing token ``until``; returns them and the index after it."""
    out: list[Block] = []
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == until:
            return out, i + 1
        if tok.type == "paragraph_open":
            out.append(Paragraph(tuple(inlines(tokens[i + 1].children or []))))
            i += 3
        elif tok.type == "heading_open":
            out.append(Heading(int(tok.tag[1:]), tuple(inlines(tokens[i + 1].children or []))))
            i += 3
        elif tok.type in ("fence", "code_block"):
            out.append(CodeBlock(tok.content.rstrip("\n"), tok.info if tok.type == "fence" else ""))
            i += 1
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            ordered = tok.type == "ordered_list_open"
            items: list[ListItem] = []
            i += 1
            while tokens[i].type == "list_item_open":
                item, i = _blocks(tokens, i + 1, "list_item_close")
                items.append(ListItem(tuple(item)))
            out.append(ListBlock(ordered, tuple(items)))
            i += 1
        elif tok.type == "blockquote_open":
            inner, i = _blocks(tokens, i + 1, "blockquote_close")
            out.append(Quote(tuple(inner)))
        elif tok.type == "hr":
            out.append(Paragraph((Text("---"),)))
            i += 1
        elif tok.type == "html_block":
            out.append(Paragraph((Text(tok.content.strip("\n")),)))
            i += 1
        else:
            i += 1
    return out, i


class _Frame:
    def __init__(self, kind: str, href: str = "", title: str = "") -> None:
        self.kind = kind
        self.href = href
        self.title = title
        self.children: list[Inline] = []


def inlines(tokens: list[Token]) -> list[Inline]:
    stack = [_Frame("root")]

    def close(kind: str) -> None:
        if not any(f.kind == kind for f in stack[1:]):
            return
        while True:
            frame = stack.pop()
            node = _wrap(frame)
            stack[-1].children.extend([node] if node else frame.children)
            if frame.kind == kind:
                return

    for tok in tokens:
        kind = tok.type
        if kind == "text":
            stack[-1].children.append(Text(tok.content))
        elif kind in ("softbreak", "hardbreak"):
            stack[-1].children.append(Break())
        elif kind == "code_inline":
            stack[-1].children.append(Code(tok.content))
        elif kind in ("strong_open", "em_open", "s_open"):
            stack.append(_Frame(kind[:-5]))
        elif kind in ("strong_close", "em_close", "s_close"):
            close(kind[:-6])
        elif kind == "link_open":
            stack.append(_Frame("link", str(tok.attrs.get("href", "")), str(tok.attrs.get("title", ""))))
        elif kind == "link_close":
            close("link")
        elif kind == "image":
            # The alt text is the plain text of the description (CommonMark: formatting is dropped).
            alt = "".join(c.content for c in tok.children or [] if c.type in ("text", "code_inline"))
            stack[-1].children.append(Image(str(tok.attrs.get("src", "")), alt, str(tok.attrs.get("title", ""))))
        elif kind == "html_inline":
            _html_inline(tok.content, stack, close)
        else:
            stack[-1].children.append(Text(tok.content))
    while len(stack) > 1:
        close(stack[-1].kind)
    return _mentions(stack[0].children)


def _html_inline(raw: str, stack: list[_Frame], close: object) -> None:
    match = _HTML_TAG.match(raw.strip())
    tag = match.group(2).lower() if match else ""
    if tag == "br":
        stack[-1].children.append(Break())
    elif tag in _HTML_WRAPPERS:
        kind = {Strong: "strong", Emph: "em", Strike: "s"}[_HTML_WRAPPERS[tag]]
        if match and match.group(1):
            assert callable(close)
            close(kind)
        else:
            stack.append(_Frame(kind))
    else:
        stack[-1].children.append(Text(raw))


def _wrap(frame: _Frame) -> Inline | None:
    children = tuple(frame.children)
    if frame.kind == "strong":
        return Strong(children)
    if frame.kind == "em":
        return Emph(children)
    if frame.kind == "s":
        return Strike(children)
    if frame.kind == "link":
        embed = _embed(frame.title, frame.href, children) if frame.title.startswith(EMBED_SCHEME) else None
        return embed or Link(frame.href, children)
    return None


def _mentions(nodes: list[Inline]) -> list[Inline]:
    """``@[Name](person:key)`` (and a bare ``[Name](person:key)``) is a mention."""
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Link) and node.href.startswith(PERSON_SCHEME):
            prev = out[-1] if out else None
            if isinstance(prev, Text) and prev.text.endswith("@"):
                out[-1] = Text(prev.text[:-1])
            name = "".join(n.text if isinstance(n, Text | Code) else " " for n in node.children)
            out.append(Mention(urllib.parse.unquote(node.href[len(PERSON_SCHEME):]), name))
        elif isinstance(node, Strong | Emph | Strike):
            out.append(type(node)(tuple(_mentions(list(node.children)))))
        else:
            out.append(node)
    return out
