"""The emulated ``/events`` stream: per-project event logs read through sync tokens.

Asana's documented contract, which this reproduces:

* a call without ``sync`` (or with an unknown or expired one) answers 412 with
  a fresh token positioned at "now", so the caller lists everything and then
  reads only what happened after the token was issued;
* a call with a valid token returns at most 100 events after it, a new token
  and ``has_more`` when more events are waiting;
* tokens expire (after 24 hours here).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.clock import Clock

PAGE = 100
TOKEN_TTL = 24 * 3600.0
SYNC_INVALID = (
    "Sync token invalid or too old. If you are attempting to keep resources in sync, "
    "you must fetch the full dataset for this query now and use the new sync token for the next sync."
)


@dataclass(frozen=True)
class _Token:
    resource: str
    position: int
    issued_at: float


@dataclass(frozen=True)
class EventPage:
    events: list[dict[str, Any]]
    sync: str
    has_more: bool


class EventFeed:
    """Event logs keyed by the subscribed resource (a project gid)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._logs: dict[str, list[dict[str, Any]]] = {}
        self._tokens: dict[str, _Token] = {}
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        # Called with every recorded event (webhooks hear about changes here).
        self.listeners: list[Callable[[set[str], dict[str, Any]], None]] = []

    def record(self, resources: set[str], event: dict[str, Any]) -> None:
        with self._lock:
            for resource in resources:
                self._logs.setdefault(resource, []).append(event)
        for listener in self.listeners:
            listener(resources, event)

    def fresh_token(self, resource: str) -> str:
        with self._lock:
            return self._issue(resource, len(self._logs.get(resource, [])))

    def read(self, resource: str, sync: str, *, lagging: bool = False) -> EventPage | None:
        """Events after ``sync``; None when the token is unknown, expired or for another resource."""
        with self._lock:
            token = self._tokens.get(sync)
            if token is None or token.resource != resource or self.clock.now() - token.issued_at > TOKEN_TTL:
                return None
            if lagging:
                # A lagging stream has nothing new yet, and the caller keeps its token.
                return EventPage([], sync, False)
            log = self._logs.get(resource, [])
            chunk = log[token.position : token.position + PAGE]
            end = token.position + len(chunk)
            return EventPage(list(chunk), self._issue(resource, end), end < len(log))

    def _issue(self, resource: str, position: int) -> str:
        serial = next(self._serial)
        token = hashlib.md5(f"{resource}:{position}:{serial}".encode()).hexdigest()
        self._tokens[token] = _Token(resource, position, self.clock.now())
        return token
