"""One scheduled or webhook-triggered attempt at a link's cycle: lease, backoff, cycle, record.

:meth:`LinkRunner.tick` is what the scheduler calls. It runs a cycle only
when this daemon holds the link's lease and the link is not backing off,
and never two cycles of a link at once in this process (a per-link lock,
on top of the engine's own) nor across daemons (the lease).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from bridge import secrets
from bridge.alerts.alerter import Alerter
from bridge.config.schema import DaemonConfig
from bridge.daemon import backoff
from bridge.daemon.leases import LeaseKeeper
from bridge.daemon.logs import log
from bridge.daemon.metrics import Metrics
from bridge.daemon.webhook_watch import WebhookWatch
from bridge.runtime import SIDES, Runtime
from bridge.store.leases import LeaseClock, WallClock

Reason = Literal["schedule", "webhook", "takeover", "reload"]
Outcome = Literal["ok", "partial", "failed", "guarded", "held", "backoff", "busy", "stopping", "removed"]


@dataclass
class LinkState:
    """What this daemon saw of the link's cycles (the store holds what every daemon saw)."""

    last_started: float = 0.0  # wall-clock seconds
    running: bool = False


class LinkRunner:
    def __init__(
        self,
        runtime: Runtime,
        keeper: LeaseKeeper,
        metrics: Metrics,
        settings: DaemonConfig,
        *,
        clock: LeaseClock | None = None,
    ) -> None:
        self.runtime = runtime
        self.keeper = keeper
        self.metrics = metrics
        self.settings = settings
        self.clock: LeaseClock = clock or WallClock()
        self.links = list(runtime.links) + [name for name in runtime.broken if name not in runtime.links]
        self.state = {name: LinkState() for name in self.links}
        self._locks = {name: threading.Lock() for name in self.links}
        self.stopping = threading.Event()
        self.alerter: Alerter | None = None  # set by the daemon; told of each cycle's outcome (docs/alerts.md)
        self.watch: WebhookWatch | None = None  # set by the daemon; looks after each cycle at the sides' webhooks

    @contextmanager
    def between_cycles(self, link: str) -> Iterator[bool]:
        """Keep the link's cycle from starting here; yields False (holding nothing) while one runs."""
        lock = self._locks[link]
        if not lock.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def lock(self, link: str) -> threading.Lock:
        """The link's cycle lock (a link added by a config reload gets one here)."""
        return self._locks.setdefault(link, threading.Lock())

    def interval(self, link: str) -> float:
        return float(self.runtime.config.links[link].interval)

    def tick(self, link: str, reason: Reason = "schedule") -> Outcome:
        """Run the link's cycle if it is ours to run now; say what happened."""
        if self.stopping.is_set():
            return "stopping"
        lock = self.lock(link)
        # A delivery may describe a change the running cycle's pull missed: wait and run again.
        # A scheduled tick that finds a cycle running has nothing to add.
        if not lock.acquire(blocking=reason != "schedule"):
            return "busy"
        try:
            if self.stopping.is_set():
                return "stopping"
            if link not in self.links:  # a config reload removed or paused it (bridge/daemon/reload.py)
                return "removed"
            if not self.keeper.acquire(link):
                return "held"
            state = backoff.read(self.runtime.store.link_meta(link))
            if state.active(self.clock.now()):
                return "backoff"
            return self._cycle(link, reason, state)
        finally:
            lock.release()

    def _cycle(self, link: str, reason: Reason, previous: backoff.Backoff) -> Outcome:
        seen = self.state[link]
        seen.last_started, seen.running = self.clock.now(), True
        before = self._usage(link)
        began = time.monotonic()
        status, error, counts, cause = self._run(link)
        seconds = time.monotonic() - began
        if status != "failed":
            self._watch(link)  # before the usage is read: its listing requests count as the side's
        seen.running = False
        for side, (requests, waited) in self._usage(link).items():
            self.metrics.add("pm_bridge_requests_total", requests - before[side][0], link=link, side=side)
            self.metrics.add("pm_bridge_rate_limit_wait_seconds_total", waited - before[side][1], link=link, side=side)
        self.metrics.add("pm_bridge_cycles_total", link=link, status=status)
        self.metrics.add("pm_bridge_cycle_seconds_total", seconds, link=link)
        fields = {"link": link, "status": status, "reason": reason, "seconds": round(seconds, 3), **counts}
        if status == "failed":
            after = backoff.after_failure(previous, self.clock.now(), self.interval(link), self.settings.max_backoff, error)
            self.runtime.store.set_link_meta(link, **{backoff.META_KEY: after.model_dump()})
            retry = round(after.remaining(self.clock.now()))
            log().warning("cycle failed", extra={**fields, "error": error, "failures": after.failures, "retry_in": retry})
            failures = after.failures
        else:
            if previous.failures:
                self.runtime.store.set_link_meta(link, **{backoff.META_KEY: None})
            log().info("cycle finished", extra={**fields, **({"error": error} if error else {})})
            failures = 0
        self._alert(link, status, error, cause, failures)
        return status  # type: ignore[return-value]

    def _alert(self, link: str, status: str, error: str | None, cause: BaseException | None, failures: int) -> None:
        if self.alerter is None or not self.alerter.enabled:
            return
        config = self.runtime.config.links.get(link)
        connections = (config.internal.connection, config.client.connection) if config is not None else ()
        try:
            self.alerter.after_cycle(link, status, error=error, cause=cause, failures=failures, connections=connections)
        except Exception as exc:  # alerting must never break a cycle
            log().warning("alerts not evaluated", extra={"link": link, "error": secrets.redact(f"{type(exc).__name__}: {exc}")})

    def _watch(self, link: str) -> None:
        runtime_link = self.runtime.links.get(link)
        if self.watch is None or runtime_link is None:
            return
        try:
            self.watch.after_cycle(runtime_link)
        except Exception as exc:  # the watch must never break a cycle (a store hiccup, say): next cycle looks again
            log().warning("webhooks not watched", extra={"link": link, "error": secrets.redact(f"{type(exc).__name__}: {exc}")})

    def _run(self, link: str) -> tuple[str, str | None, dict[str, int], BaseException | None]:
        store = self.runtime.store
        if link in self.runtime.broken:
            # The link cannot even be built (a connection failed): record it like a failed cycle.
            message = self.runtime.broken[link]
            run_id = store.start_run(link)
            store.finish_run(run_id, "failed", {}, message)
            self.metrics.add("pm_bridge_errors_total", link=link)
            return "failed", message, {}, None
        try:
            report = self.runtime.engine.run(self.runtime.links[link])
        except Exception as exc:  # a bug in one link must not stop the daemon or the other links
            self.metrics.add("pm_bridge_errors_total", link=link)
            return "failed", secrets.redact(f"unexpected error: {type(exc).__name__}: {exc}"), {}, None
        counts = {"applied": report.applied, "failed": report.failed, "deferred": report.deferred}
        if report.plan is not None:
            counts["conflicts"] = len(report.plan.conflicts)
        return report.status, ("; ".join(report.errors[:3]) or None), counts, report.cause

    def _usage(self, link: str) -> dict[str, tuple[int, float]]:
        """Requests sent and seconds waited on rate limits so far, by each side's connection."""
        usage = {side: (0, 0.0) for side in SIDES}
        runtime_link = self.runtime.links.get(link)
        if runtime_link is None:
            return usage
        for side in SIDES:
            stats = getattr(getattr(runtime_link, side).connector, "stats", None)
            if stats is not None:
                usage[side] = (int(getattr(stats, "total", 0)), float(getattr(stats, "rate_limit_waits", 0.0)))
        return usage
