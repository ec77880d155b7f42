"""When to try a message again after the relay refused it (pure: no I/O, no clock).

A message the relay would not take (a 5xx for good, a 4xx or a dropped connection for now) is
held on its own: the other messages of the cycle still go, and the held one is offered again
after 1 minute, then 2, 4 ... at most 6 hours (docs/email.md, "When sending fails"). The
record is plain JSON, kept in the connection's email meta.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

FIRST = dt.timedelta(minutes=1)
LONGEST = dt.timedelta(hours=6)


def after_failure(previous: dict[str, Any] | None, now: dt.datetime, error: str, **about: Any) -> dict[str, Any]:
    """The hold after one more failed attempt: the attempts so far, when to try next, the last error."""
    attempts = int((previous or {}).get("attempts", 0)) + 1
    wait = min(FIRST * 2 ** min(attempts - 1, 30), LONGEST)
    return {**(previous or {}), **about, "attempts": attempts, "next_at": (now + wait).isoformat(), "error": error}


def due(hold: dict[str, Any] | None, now: dt.datetime) -> bool:
    """No hold, or its wait is over."""
    return hold is None or dt.datetime.fromisoformat(str(hold["next_at"])) <= now


def summary(holds: list[dict[str, Any]]) -> str:
    """One line for the cycle's error: how many wait, the next try, the last error."""
    first = min(holds, key=lambda h: str(h["next_at"]))
    return (f"{len(holds)} email message(s) to the client not delivered, tried again with a growing pause "
            f"(next try {first['next_at']}, after {first['attempts']} attempt(s)): {first['error']}")
