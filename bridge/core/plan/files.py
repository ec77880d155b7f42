"""Whether a file crosses as a file or as a link, and what a link says about why (docs/files.md).

Pure: the decision reads only the source attachment and both tools' capabilities. A file crosses
as a file when the source tool holds its bytes (``hosted``) and can hand them over, the target tool
takes uploads, and its size is within the target's limit. Anything else crosses as today's link; a
file over the limit gets a note in its name, so the client sees why. A tool that does not list a
file's size (Basecamp's inline attachments) leaves the check to the copy, which learns the size
from the download and falls back to the same link and note (bridge/sync/files.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.core.model import Attachment
from bridge.core.ports import Capabilities

MB = 1024 * 1024
# How far a tool's clock and ours may disagree when a file's creation time is compared with the
# time an upload was journaled (tools stamp uploads when they land, after the journal entry).
CLOCK_SKEW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Crossing:
    file: bool
    name: str  # the name the copy gets (a link over the limit carries a note)


def crossing(source: Attachment | None, name: str, source_caps: Capabilities, target_caps: Capabilities) -> Crossing:
    """How the attachment ``source`` (shown as ``name``) reaches the target tool."""
    if (
        source is None
        or not source.hosted
        or source_caps.attachments != "file"
        or target_caps.attachments != "file"
    ):
        return Crossing(False, name)
    limit = target_caps.file_limit
    if limit is not None and source.size is not None and source.size > limit:
        return Crossing(False, over_limit_name(name, source.size, limit, target_caps.tool or "the target tool"))
    return Crossing(True, name)


def over_limit_name(name: str, size: int, limit: int, tool: str) -> str:
    return f"{name} (link: {human_size(size)} is over the {human_size(limit)} file limit of {tool})"


def human_size(size: int) -> str:
    """``52 MB``, ``1.5 MB``, ``12 KB``: as a person reads a file's size."""
    if size < MB:
        return f"{max(1, round(size / 1024))} KB"
    value = size / MB
    text = f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} MB"


def same_size(a: int | None, b: int | None) -> bool:
    """Sizes agree, or one tool does not list it."""
    return a is None or b is None or a == b


@dataclass(frozen=True)
class Attempt:
    """An upload journaled but never recorded (a crash, a lost answer): its copy may be on the target."""

    at: dt.datetime  # when the intent was written (our clock, UTC)
    present: frozenset[str]  # files of the same name already on the target task then: never the copy


def may_be_copy(candidate: Attachment, name: str, size: int | None, attempts: Iterable[Attempt]) -> bool:
    """Could ``candidate`` be the copy one of ``attempts`` left? Only its bytes can say yes (docs/files.md).

    A name proves nothing (the client may hold her own ``Logo.png``): this only narrows down the
    files worth reading back and hashing. A file that was already there when the upload was
    journaled, or that the tool says was created before it, is never the copy.
    """
    if not candidate.hosted or candidate.name != name or not same_size(candidate.size, size):
        return False
    return any(
        candidate.id not in attempt.present
        and (candidate.created_at is None or candidate.created_at >= attempt.at - CLOCK_SKEW)
        for attempt in attempts
    )
