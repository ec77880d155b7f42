"""Subtasks as a Markdown task list inside the issue body.

GitHub issues (REST, 2022-11-28) have no nesting we can write to, so a
task's subtasks live in the body under a heading the connector owns::

    Notes written by people.

    ### Subtasks
    - [ ] Draft the copy <!-- pm:3f2a91c0 -->
    - [x] Pick photos <!-- pm:a81b02de -->

The HTML comment (invisible once rendered) carries the subtask's key, so a
subtask keeps its id when it is renamed or reordered. A line a person adds
without a marker gets a key derived from its title; the connector writes the
marker on its next edit of that body, so the id stays the same from then on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_HEADING = "### Subtasks"

_ITEM = re.compile(r"^\s*[-*+]\s+\[(?P<mark>[ xX])\]\s?(?P<rest>.*)$")
_MARKER = re.compile(r"\s*<!--\s*pm:(?P<key>[A-Za-z0-9_-]{1,40})\s*-->\s*$")
_HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}(\s|$)")


@dataclass(frozen=True)
class Subtask:
    key: str
    title: str
    done: bool = False


@dataclass(frozen=True)
class Body:
    notes: str
    subtasks: tuple[Subtask, ...] = ()


def normalise_newlines(text: str | None) -> str:
    # Bodies edited in GitHub's web UI come back with CRLF line ends.
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def derived_key(title: str, taken: set[str]) -> str:
    """A key for an unmarked line: stable for the same title, unique within the body."""
    base = hashlib.sha1(" ".join(title.split()).casefold().encode()).hexdigest()[:8]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def split_body(body: str | None, heading: str = DEFAULT_HEADING) -> Body:
    """Separate the people-written notes from the connector-owned task list."""
    lines = normalise_newlines(body).split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip().casefold() == heading.casefold()), None)
    if start is None:
        return Body(normalise_newlines(body))
    end = start + 1
    items: list[tuple[str, bool, str | None]] = []
    while end < len(lines):
        line = lines[end]
        match = _ITEM.match(line)
        if match:
            rest = match.group("rest")
            marker = _MARKER.search(rest)
            title = (rest[: marker.start()] if marker else rest).strip()
            items.append((title, match.group("mark") != " ", marker.group("key") if marker else None))
        elif line.strip() and (_HEADING_LINE.match(line) or not line.startswith((" ", "\t"))):
            break
        end += 1
    taken: set[str] = set()
    subtasks: list[Subtask] = []
    for title, done, key in items:
        if key is None or key in taken:
            key = derived_key(title, taken)
        taken.add(key)
        subtasks.append(Subtask(key, title, done))
    return Body(_join_notes("\n".join(lines[:start]), "\n".join(lines[end:])), tuple(subtasks))


def _join_notes(before: str, after: str) -> str:
    # join_body writes notes + a blank line + heading; ``before`` then ends in exactly one extra newline.
    if before.endswith("\n"):
        before = before[:-1]
    after = after.strip("\n")
    if not after:
        return before
    return f"{before}\n\n{after}" if before else after


def join_body(notes: str, subtasks: Sequence[Subtask], heading: str = DEFAULT_HEADING) -> str:
    """The body GitHub should hold for these notes and subtasks."""
    notes = normalise_newlines(notes)
    if not subtasks:
        return notes
    lines = [f"- [{'x' if s.done else ' '}] {_one_line(s.title)} <!-- pm:{s.key} -->" for s in subtasks]
    block = heading + "\n" + "\n".join(lines) + "\n"
    return f"{notes}\n\n{block}" if notes else block


def _one_line(title: str) -> str:
    # A newline would end the list item; a trailing marker-like comment would be read back as a key.
    return _MARKER.sub("", " ".join(title.split()))
