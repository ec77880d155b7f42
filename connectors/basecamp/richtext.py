"""Basecamp rich text (HTML) to and from canonical Markdown.

Basecamp keeps only ``div h1 br strong em strike a pre ol ul li blockquote``
(rich_text.md); everything else is stripped on write. So this converter knows
exactly those, each with one Markdown spelling:

    <div>text</div>         paragraph (blocks are separated by a blank line)
    <br>                    a line break inside a block
    <h1>                    "# " (any "#" level reads back as <h1>)
    <strong> <em> <strike>  **x**  *x*  ~~x~~   (also read: _x_)
    <a href="u">t</a>       [t](u)
    <pre>                   a ``` fenced block
    <ul>/<ol> + <li>        "- " / "1. " items, nested by indentation
    <blockquote>            "> " lines

``<bc-attachment>`` (mentions, files) reads back as "@Name" or a link; this
module never writes one. Text that would read back as markup is escaped with
backslashes, and only then, so plain prose round-trips unchanged. A shared
rich-text layer is planned; this one stays private to the Basecamp connector.
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass, field
from html.parser import HTMLParser

_PUNCT = frozenset(string.punctuation)
_LINK = re.compile(r"\[((?:\\.|[^\]\\])+)\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_BLOCK_START = re.compile(r"^(\s*)(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|```)")


# -- Markdown to HTML ------------------------------------------------------------


def markdown_to_html(text: str) -> str:
    """Canonical Markdown to the HTML Basecamp stores; "" stays ""."""
    return "".join(_blocks(text.replace("\r\n", "\n").split("\n")))


def _blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.lstrip().startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```")), len(lines))
            out.append(f"<pre>{html.escape(chr(10).join(lines[i + 1:end]), quote=False)}</pre>")
            i = end + 1
        elif heading := _HEADING.match(line):
            out.append(f"<h1>{_inline(heading.group(1))}</h1>")
            i += 1
        elif line.lstrip().startswith(">"):
            end = i
            while end < len(lines) and lines[end].lstrip().startswith(">"):
                end += 1
            inner = [re.sub(r"^\s*>\s?", "", quoted) for quoted in lines[i:end]]
            body = _blocks(inner)
            single = len(body) == 1 and body[0].startswith("<div>")
            out.append(f"<blockquote>{body[0][5:-6] if single else ''.join(body)}</blockquote>")
            i = end
        elif _ITEM.match(line):
            i = _list(lines, i, out)
        else:
            end = i
            while end < len(lines) and lines[end].strip() and (end == i or not _BLOCK_START.match(lines[end])):
                end += 1
            out.append("<div>" + "<br>".join(_inline(x.strip()) for x in lines[i:end]) + "</div>")
            i = end
    return out


def _list(lines: list[str], start: int, out: list[str]) -> int:
    """Parse one list (and its nested lists) from ``start``; return the index after it."""
    first = _ITEM.match(lines[start])
    assert first is not None
    indent = len(first.group(1))
    ordered = first.group(2)[0].isdigit()
    items: list[str] = []
    i = start
    while i < len(lines):
        match = _ITEM.match(lines[i])
        if not match or len(match.group(1)) != indent or match.group(2)[0].isdigit() != ordered:
            break
        text = [match.group(3).strip()]
        nested: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) > indent:
            if _ITEM.match(lines[i]):
                i = _list(lines, i, nested)
            else:
                text.append(lines[i].strip())
                i += 1
        items.append("<li>" + "<br>".join(_inline(t) for t in text) + "".join(nested) + "</li>")
        # Blank lines between two items of the same list do not end it.
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j > i and j < len(lines) and (nxt := _ITEM.match(lines[j])) and len(nxt.group(1)) == indent \
                and nxt.group(2)[0].isdigit() == ordered:
            i = j
    tag = "ol" if ordered else "ul"
    out.append(f"<{tag}>{''.join(items)}</{tag}>")
    return i


def _closing(text: str, start: int, marker: str) -> int:
    """Index of the next unescaped ``marker`` at or after ``start`` (a lone ``*`` skips ``**``), or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(marker, i):
            if marker in ("*", "_") and text.startswith(marker * 2, i):
                i += 2
                continue
            return i
        i += 1
    return -1


def _inline(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCT:
            out.append(html.escape(text[i + 1], quote=False))
            i += 2
            continue
        wrapped = _wrapped(text, i)
        if wrapped is not None:
            rendered, i = wrapped
            out.append(rendered)
            continue
        if char == "[" and (link := _LINK.match(text, i)):
            out.append(f'<a href="{html.escape(_unescape(link.group(2)), quote=True)}">{_inline(link.group(1))}</a>')
            i = link.end()
            continue
        out.append(html.escape(char, quote=False))
        i += 1
    return "".join(out)


def _wrapped(text: str, i: int) -> tuple[str, int] | None:
    """``**x**``, ``~~x~~``, ``*x*`` or ``_x_`` starting at ``i``, rendered, with the index after it."""
    for marker, tag in (("**", "strong"), ("__", "strong"), ("~~", "strike"), ("*", "em"), ("_", "em")):
        if not text.startswith(marker, i):
            continue
        if marker[0] == "_" and i > 0 and text[i - 1].isalnum():
            return None  # snake_case is not emphasis
        end = _closing(text, i + len(marker), marker)
        if end <= i + len(marker):
            continue
        inner = text[i + len(marker):end]
        after = end + len(marker)
        if inner != inner.strip() or (marker[0] == "_" and after < len(text) and text[after].isalnum()):
            continue
        return f"<{tag}>{_inline(inner)}</{tag}>", after
    return None


def _unescape(text: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


# -- HTML to Markdown ----------------------------------------------------------------


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


_BLOCK_TAGS = frozenset({"div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "ul", "ol", "blockquote", "li"})
_VOID = frozenset({"br", "img", "hr"})


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def html_to_markdown(rich_text: str) -> str:
    """Basecamp HTML to canonical Markdown; "" stays ""."""
    builder = _TreeBuilder()
    builder.feed(rich_text)
    builder.close()
    return "\n\n".join(_md_blocks(builder.root.children)).strip("\n")


def _md_blocks(children: list[_Node | str]) -> list[str]:
    blocks: list[str] = []
    run: list[_Node | str] = []

    def flush() -> None:
        text = _paragraph(run)
        if text:
            blocks.append(text)
        run.clear()

    for child in children:
        if isinstance(child, _Node) and child.tag in _BLOCK_TAGS:
            flush()
            blocks.extend(_md_block(child))
        else:
            run.append(child)
    flush()
    return blocks


def _md_block(node: _Node) -> list[str]:
    if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        text = _inline_md(node.children).replace("\n", " ").strip()
        return [f"# {text}"] if text else []
    if node.tag == "pre":
        return ["```\n" + _text(node).strip("\n") + "\n```"]
    if node.tag in ("ul", "ol"):
        return ["\n".join(_md_list(node, 0))]
    if node.tag == "blockquote":
        inner = "\n\n".join(_md_blocks(node.children))
        return ["\n".join(f"> {line}".rstrip() for line in inner.split("\n"))] if inner else []
    return _md_blocks(node.children)  # div, p, a stray li


def _md_list(node: _Node, indent: int) -> list[str]:
    lines: list[str] = []
    number = 0
    for item in node.children:
        if not isinstance(item, _Node) or item.tag != "li":
            continue
        number += 1
        marker = f"{number}. " if node.tag == "ol" else "- "
        inline = [c for c in item.children if not (isinstance(c, _Node) and c.tag in ("ul", "ol"))]
        text = _escape_lines(_inline_md(inline).strip()).split("\n")
        pad = " " * (indent + len(marker))
        lines.append(" " * indent + marker + text[0])
        lines.extend(pad + extra for extra in text[1:] if extra.strip())
        for sub in item.children:
            if isinstance(sub, _Node) and sub.tag in ("ul", "ol"):
                lines.extend(_md_list(sub, indent + len(marker)))
    return lines


def _paragraph(run: list[_Node | str]) -> str:
    text = _inline_md(run)
    lines = [line.strip() for line in text.split("\n")]
    return _escape_lines("\n".join(lines).strip("\n"))


def _escape_lines(text: str) -> str:
    """Escape a line start that Markdown would read as a heading, list item, quote or fence."""
    out = []
    for line in text.split("\n"):
        match = _BLOCK_START.match(line)
        if match:
            at = len(match.group(1))
            marker = match.group(2)
            at += len(marker.rstrip()) - 1 if marker[0].isdigit() else 0  # "1." escapes its dot
            line = line[:at] + "\\" + line[at:]
        out.append(line)
    return "\n".join(out)


def _inline_md(children: list[_Node | str]) -> str:
    parts: list[str] = []
    for child in children:
        if isinstance(child, str):
            parts.append(_escape_text(re.sub(r"[ \t\r\n]+", " ", child)))
            continue
        tag = child.tag
        if tag == "br":
            parts.append("\n")
        elif tag in ("strong", "b"):
            parts.append(_wrap(_inline_md(child.children), "**"))
        elif tag in ("em", "i"):
            parts.append(_wrap(_inline_md(child.children), "*"))
        elif tag in ("strike", "s", "del"):
            parts.append(_wrap(_inline_md(child.children), "~~"))
        elif tag == "a":
            parts.append(_link(_inline_md(child.children), child.attrs.get("href", "")))
        elif tag == "bc-attachment":
            parts.append(_attachment(child))
        elif tag in _BLOCK_TAGS:
            parts.append("\n" + "\n\n".join(_md_block(child)) + "\n")
        else:
            parts.append(_inline_md(child.children))
    return "".join(parts)


def _wrap(inner: str, marker: str) -> str:
    core = inner.strip()
    if not core:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()):]
    return f"{lead}{marker}{core}{marker}{trail}"


def _link(label: str, href: str) -> str:
    if not href:
        return label
    target = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{label.strip() or _escape_text(href)}]({target})"


def _attachment(node: _Node) -> str:
    caption = " ".join(_text(node).split())
    if node.attrs.get("content-type") == "application/vnd.basecamp.mention":
        return "@" + _escape_text(caption) if caption else ""
    href = node.attrs.get("href") or node.attrs.get("url")
    name = node.attrs.get("filename") or node.attrs.get("caption") or caption or href or ""
    return _link(_escape_text(name), href) if href else _escape_text(name)


def _text(node: _Node) -> str:
    return "".join(c if isinstance(c, str) else ("\n" if c.tag == "br" else _text(c)) for c in node.children)


def _escape_text(text: str) -> str:
    """Leave prose alone unless Markdown would read markup (or an escape) in it."""
    if _inline(text) == html.escape(text, quote=False):
        return text
    return re.sub(r"([\\*_~\[\]])", r"\\\1", text)
