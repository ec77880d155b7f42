"""Per-credential rate budgets: a token bucket shared by every client of one credential."""

from __future__ import annotations

import hashlib
import threading

from bridge.clock import Clock, RealClock, same_clock


class RateBudget:
    """Allows ``rate`` requests per ``per`` seconds, with bursts up to ``rate``.

    ``pause_until`` lets a server's own signal (GitHub's ``x-ratelimit-reset``,
    a 429's ``Retry-After``) stop every user of the credential, not just the
    request that saw it.
    """

    def __init__(self, rate: float, per: float, clock: Clock | None = None) -> None:
        self.rate = rate
        self.per = per
        self.clock = clock or RealClock()
        self._tokens = float(rate)
        self._stamp = self.clock.now()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(self.rate, self._tokens + (now - self._stamp) * self.rate / self.per)
        self._stamp = now

    def acquire(self) -> float:
        """Take one token, sleeping as long as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock.now()
                self._refill(now)
                delay = max(0.0, self._paused_until - now)
                if delay == 0.0 and self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.waited += waited
                    return waited
                if delay == 0.0:
                    delay = (1.0 - self._tokens) * self.per / self.rate
            # A floor: a sub-microsecond sleep may not move a clock that reads ~1e6 s
            # (below one ulp), and the loop would spin for ever.
            delay = max(delay, 1e-3)
            self.clock.sleep(delay)
            waited += delay

    def pause_until(self, when: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, when)


_registry: dict[tuple[str, str], RateBudget] = {}
_registry_lock = threading.Lock()


def budget_for(tool: str, credential: str, rate: float, per: float, clock: Clock | None = None) -> RateBudget:
    """The shared budget of one credential of one tool (keyed by a hash, never the secret)."""
    digest = hashlib.sha256(credential.encode()).hexdigest()[:16]
    key = (tool, digest)
    with _registry_lock:
        budget = _registry.get(key)
        if budget is None or not same_clock(budget.clock, clock):
            budget = RateBudget(rate, per, clock)
            _registry[key] = budget
        return budget
