"""Reading a tool's JSON payloads: what Trello and Basecamp share (their ``translate`` modules bind the tool's name).

A payload that lacks a documented key or has the wrong type becomes :class:`Malformed`, naming the
tool and the object, rather than a KeyError deep in a pull.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bridge.errors import Malformed


@contextmanager
def shape(tool: str, what: str) -> Iterator[None]:
    """Turn a missing key or a wrong type in a response into :class:`Malformed`."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Malformed(f"{tool}: {what} does not have the documented shape ({type(exc).__name__}: {exc})") from None


def instant(value: Any) -> dt.datetime | None:
    """An ISO-8601 timestamp (``Z`` or an offset; none means UTC), or None for a missing one."""
    if value in (None, ""):
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
