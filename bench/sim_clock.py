"""A virtual clock for concurrent code: sleepers overlap, as they would in real time.

:class:`bridge.clock.VirtualClock` adds every sleep to one shared "now", so ten
threads each waiting 100 ms cost a second of virtual time. Here a sleeping
thread waits until virtual time reaches its wake-up, and time jumps to the
earliest wake-up once nothing has happened for ``quiet`` real seconds (every
busy thread is asleep). It is a benchmark tool: a thread that computes for
longer than ``quiet`` between sleeps lets time run ahead of it, which can only
make the measured time longer, never shorter.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time


class SimClock:
    def __init__(self, start: float = 1_000_000.0, quiet: float = 0.003) -> None:
        self._now = start
        self._quiet = quiet
        self._cond = threading.Condition()
        self._wakeups: list[tuple[float, int]] = []
        self._ids = itertools.count()
        self._last_activity = time.monotonic()
        self._stop = False
        self._ticker = threading.Thread(target=self._tick, name="sim-clock", daemon=True)
        self._ticker.start()

    def now(self) -> float:
        with self._cond:
            return self._now

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._cond:
            wake = self._now + seconds
            heapq.heappush(self._wakeups, (wake, next(self._ids)))
            self._last_activity = time.monotonic()
            while self._now < wake:
                self._cond.wait()
            self._last_activity = time.monotonic()

    def _tick(self) -> None:
        while not self._stop:
            time.sleep(self._quiet / 3)
            with self._cond:
                if not self._wakeups or time.monotonic() - self._last_activity < self._quiet:
                    continue
                wake, _ = heapq.heappop(self._wakeups)
                while self._wakeups and self._wakeups[0][0] <= wake:
                    heapq.heappop(self._wakeups)
                self._now = max(self._now, wake)
                self._last_activity = time.monotonic()
                self._cond.notify_all()

    def close(self) -> None:
        self._stop = True
