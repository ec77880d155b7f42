"""Custom fields on Basecamp, which has none: a short footer at the end of a to-do's notes.

A rule of three dashes, then one paragraph ``Name: value`` per field (docs/custom-fields.md
"Basecamp")::

    Hero image and footer links.

    ———

    Priority: P1

    Size: S

The rule keeps the footer apart from notes that merely end in "Owner: Carla". Reading is
tolerant: any rule of three or more dashes (``---``, ``———``, ``___``), then paragraphs or lines
that each read as ``Name: value``, whatever the bold, extra spaces or line breaks a person left
around them, in any order; a field named twice keeps its last value. The notes the bridge compares and mirrors are
what stands above the footer, so a field change is never a notes change. Writing rebuilds the footer
from the to-do's fields, once, at the end: it is never duplicated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# A field name is short and no sentence (no . ! ? ; , inside); a space follows the colon, so a URL is no field.
_LINE = re.compile(r"^[*_\s]*(?P<name>[^\s:*_\\.!?;,][^:\n.!?;,]{0,39}?)[*_\s]*:[*_]*\s+[*_\s]*(?P<value>\S.*?)[*_\s\\]*$")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~:])")
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_RULE = re.compile(r"^[\s\\]*[-–—_=]{3,}[\s]*$")
RULE = "———"


def _field(line: str) -> tuple[str, str] | None:
    found = _LINE.match(_ESCAPE.sub(r"\1", line.strip()))
    if found is None:
        return None
    return " ".join(found["name"].split()), " ".join(found["value"].split())


def split_footer(notes: str) -> tuple[str, dict[str, str]]:
    """(the notes above the footer, {field name: value}); no rule, or a line after it that is no field: no footer."""
    blocks = _PARAGRAPHS.split(notes.strip())
    rule = next((i for i in range(len(blocks) - 1, -1, -1) if _RULE.match(blocks[i])), None)
    if rule is None:
        return notes, {}
    lines = [line for block in blocks[rule + 1:] for line in block.splitlines() if line.strip()]
    read = [_field(line) for line in lines]
    if any(r is None for r in read):
        return notes, {}
    out: dict[str, str] = {}
    for name, value in (r for r in read if r is not None):  # one field typed twice, in any case: its last value
        out.pop(next((k for k in out if k.casefold() == name.casefold()), name), None)
        out[name] = value
    return "\n\n".join(blocks[:rule]).strip(), out


def with_footer(notes: str, fields: Mapping[str, str]) -> str:
    """The notes followed by one paragraph per field that holds a value."""
    # A backslash is doubled: the notes are Markdown, where "\," would read as a plain comma and so
    # lose a multi-select option's escaped comma (docs/custom-fields.md "Canonical values").
    lines = [f"{name}: {' '.join(value.split())}".replace("\\", "\\\\") for name, value in fields.items() if value]
    if not lines:
        return notes
    footer = "\n\n".join([RULE, *lines])
    return f"{notes.rstrip()}\n\n{footer}" if notes.strip() else footer
