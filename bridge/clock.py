"""Time as a dependency, so rate limits and Retry-After are testable without waiting."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def same_clock(held: Clock, wanted: Clock | None) -> bool:
    """Whether state made on ``held`` may serve a client asking for ``wanted`` (None: the real clock).

    Rate budgets and pacing are shared per credential; a client on the real clock must never
    inherit one made on a test's or a benchmark's virtual clock, which may never move again.
    """
    return held is wanted if wanted is not None else isinstance(held, RealClock)


class VirtualClock:
    """A clock that only moves when somebody sleeps; shared by a client and an emulator."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            if seconds > 0:
                self._now += seconds
            self.slept.append(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
