"""Exponential backoff for a failing link, shared by every daemon through the store's link metadata.

A link whose cycle fails (revoked token, deleted project, a tool that keeps
answering 5xx) waits ``interval * 2**(failures - 1)`` seconds before its next
cycle, at most ``max_backoff``. The state lives in ``link_meta`` under
:data:`META_KEY` so that a daemon taking the link over keeps backing off
instead of hammering the tool again. A successful cycle clears it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

META_KEY = "daemon.backoff"


class Backoff(BaseModel):
    failures: int = 0
    until: float = 0.0  # wall-clock seconds; no cycle before this
    error: str | None = None

    def active(self, now: float) -> bool:
        return self.until > now

    def remaining(self, now: float) -> float:
        return max(0.0, self.until - now)


def delay(failures: int, interval: float, cap: float) -> float:
    """Seconds to wait after ``failures`` consecutive failed cycles (never less than the link's interval)."""
    if failures <= 0:
        return 0.0
    return min(max(cap, interval), interval * 2 ** min(failures - 1, 32))


def after_failure(previous: Backoff, now: float, interval: float, cap: float, error: str | None) -> Backoff:
    failures = previous.failures + 1
    return Backoff(failures=failures, until=now + delay(failures, interval, cap), error=error)


def read(meta: dict[str, Any]) -> Backoff:
    raw = meta.get(META_KEY)
    if not isinstance(raw, dict):
        return Backoff()
    try:
        return Backoff.model_validate(raw)
    except ValueError:  # written by another version: start afresh rather than stop the link
        return Backoff()
