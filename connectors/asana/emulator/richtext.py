"""How the Asana emulator keeps ``notes``/``html_notes`` (and ``text``/``html_text``) consistent.

From the reference (asana docs ``_rich-text``, "Writing rich text"): rich text is
XML in a root ``<body>``; invalid XML, an unsupported tag, or an attribute on any
tag but ``<a>`` is rejected with 400. ``<a data-asana-gid="..">`` naming a user is
expanded to the full link (``href``, ``data-asana-*``, "@Name"); an ``<a>`` with
neither a gid nor an ``href`` is rejected. Writing the plain field stores it as
escaped text in ``<body>``; writing the rich field derives the plain one from its
text. Sending both is an error (as for stories).
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from connectors.asana.emulator.model import User
from connectors.emulation import HttpError

APP = "https://app.asana.com"
_INLINE = {"strong", "em", "u", "s", "code", "a"}
STORY_TAGS = frozenset({"body", "ol", "ul", "li", "blockquote", "pre", *_INLINE})
NOTES_TAGS = STORY_TAGS | {"h1", "h2", "hr"}
_BLOCKS = {"li", "blockquote", "pre", "h1", "h2", "hr", "ul", "ol"}
_BLOCK_END = "\x00"


def rich_of(data: Mapping[str, Any], plain: str, rich: str, users: Mapping[str, User], tags: frozenset[str]) -> str | None:
    """The stored rich text for a write carrying ``plain`` or ``rich``; None when it carries neither."""
    if plain in data and rich in data:
        raise HttpError(400, f"{plain}: Only one of {plain} and {rich} can be specified")
    if plain in data:
        return f"<body>{html.escape(str(data[plain] or ''), quote=False)}</body>"
    if rich in data:
        return expand(str(data[rich] or "<body></body>"), rich, users, tags)
    return None


def expand(rich: str, field: str, users: Mapping[str, User], tags: frozenset[str]) -> str:
    try:
        root = ET.fromstring(rich)
    except ET.ParseError as exc:
        raise HttpError(400, f"{field}: XML is invalid: {exc}") from None
    if root.tag != "body":
        raise HttpError(400, f"{field}: The root element must be <body>")
    for node in root.iter():
        if node.tag not in tags:
            raise HttpError(400, f"{field}: Unsupported tag <{node.tag}>")
        if node.attrib and node.tag != "a":
            raise HttpError(400, f"{field}: Attributes are only allowed on <a> tags")
        if node.tag == "a":
            _link(node, field, users)
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def _link(node: ET.Element, field: str, users: Mapping[str, User]) -> None:
    gid = node.attrib.get("data-asana-gid")
    user = users.get(gid) if gid else None
    if user is not None:
        dynamic = node.attrib.get("data-asana-dynamic", "true") != "false"
        label = f"@{user.name}" if dynamic else "".join(node.itertext())
        node.attrib.clear()
        node.attrib.update({"href": f"{APP}/0/{user.gid}/list", "data-asana-accessible": "true",
                            "data-asana-dynamic": "true" if dynamic else "false",
                            "data-asana-type": "user", "data-asana-gid": user.gid})  # fmt: skip
        for child in list(node):
            node.remove(child)
        node.text = label
    elif not node.attrib.get("href"):
        raise HttpError(400, f"{field}: A link needs the gid of an object you can see or an href")


def plain_text(rich: str) -> str:
    """The plain-text twin of rich text: the text, with list items and other blocks on their own lines."""
    try:
        root = ET.fromstring(rich)
    except ET.ParseError:
        return rich
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.tag in _BLOCKS and parts and not parts[-1].endswith(("\n", _BLOCK_END)):
            parts.append("\n")
        add(node.text)
        for child in node:
            walk(child)
            add(child.tail)
        if node.tag in _BLOCKS and node.tag != "hr" and parts and not parts[-1].endswith(_BLOCK_END):
            parts.append(_BLOCK_END)

    def add(text: str | None) -> None:
        if text:
            # A newline right after a block is only its line end.
            parts.append(text[1:] if parts and parts[-1].endswith(_BLOCK_END) and text[0] == "\n" else text)

    walk(root)
    # A block's line ends where the next text starts; after the last block nothing follows.
    text = "".join(parts)
    return text.rstrip(_BLOCK_END).replace(_BLOCK_END, "\n")
