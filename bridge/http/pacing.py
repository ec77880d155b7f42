"""How fast and how many at once one credential may talk to its tool, as the tool's documentation asks.

A :class:`PacingPolicy` is declared by each connector (its tool's rules); a
:class:`Pacing` enforces it for every client of one credential, whatever the
engine's worker count. Three rules:

* ``concurrency``: at most this many requests of the credential in flight;
* ``write_spacing``: at least this many seconds between the starts of two
  content-creating requests (POST, PATCH, PUT, DELETE);
* after a refusal (a 429, or a 403 with ``Retry-After``), one request at a time
  until one is answered without refusal: the others wait for it, so a tool that
  just said "slow down" never receives a burst the moment the wait ends.

The named wait is remembered too: while it has longer to run than a client's
``max_wait``, that client's requests fail at once instead of asking again.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from bridge.clock import Clock, RealClock, same_clock

CONTENT_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class PacingPolicy:
    concurrency: int | None = None  # None: no cap beyond the engine's workers
    write_spacing: float = 0.0


class Pacing:
    def __init__(self, policy: PacingPolicy, clock: Clock | None = None) -> None:
        self.policy = policy
        self.clock = clock or RealClock()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._probing = False
        self._next_write: float | None = None
        self._refused_until = 0.0

    def _may_start(self) -> bool:
        if self._probing:
            return self._in_flight == 0
        cap = self.policy.concurrency
        return cap is None or self._in_flight < cap

    @contextlib.contextmanager
    def slot(self, method: str) -> Iterator[None]:
        """Hold one of the credential's request slots for one attempt; writes are spaced inside it."""
        with self._cond:
            while not self._may_start():
                self._cond.wait()
            self._in_flight += 1
            delay = 0.0
            if method in CONTENT_WRITES and self.policy.write_spacing > 0:
                now = self.clock.now()
                start = now if self._next_write is None else max(now, self._next_write)
                # Reserved under the lock: two writes never claim the same start, even with concurrency.
                self._next_write = start + self.policy.write_spacing
                delay = start - now
        try:
            if delay > 0:
                self.clock.sleep(delay)
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def refused(self, until: float | None = None) -> None:
        """The tool refused a request for its rate (until ``until``, if it named a wait): one request at a time."""
        with self._cond:
            self._probing = True
            if until is not None:
                self._refused_until = max(self._refused_until, until)

    def refused_for(self) -> float:
        """Seconds until the wait the tool last named is over (0 when it is)."""
        with self._cond:
            return max(0.0, self._refused_until - self.clock.now())

    def answered(self) -> None:
        """The tool answered a request without refusing it: the others may go again."""
        with self._cond:
            if self._probing:
                self._probing = False
                self._cond.notify_all()

    @property
    def probing(self) -> bool:
        with self._cond:
            return self._probing


_registry: dict[tuple[str, str], Pacing] = {}
_registry_lock = threading.Lock()


def pacing_for(tool: str, credential: str, policy: PacingPolicy, clock: Clock | None = None) -> Pacing:
    """The shared pacing of one credential of one tool (keyed by a hash, never the secret)."""
    key = (tool, hashlib.sha256(credential.encode()).hexdigest()[:16])
    with _registry_lock:
        pacing = _registry.get(key)
        if pacing is None or pacing.policy != policy or not same_clock(pacing.clock, clock):
            pacing = _registry[key] = Pacing(policy, clock)
        return pacing
