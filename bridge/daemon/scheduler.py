"""When each link's cycle runs: APScheduler interval jobs with jitter, plus debounced webhook triggers.

Every link has a polling job every ``interval`` seconds (± ``jitter`` share),
the first one spread over the jitter window so a hundred links do not all
start at once. A webhook adds a one-off job ``debounce`` seconds later;
deliveries arriving before it runs join it rather than adding more. Polling
stays on regardless: it is the fallback when a tool's webhook is late,
lost, or was never registered.

Each scheduled poll is timed against the link's previous one: how much the gap
exceeded the interval (beyond the jitter), as a share of the interval, is what
``/metrics`` reports as ``pm_bridge_poll_lateness_ratio_max`` (docs/benchmarks.md holds the target,
at most 0.10). The worker pool grows with the link count unless
``daemon.workers`` fixes it, so a thousand links do not queue behind four
threads; threads are started only when work is waiting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
import threading
import time
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bridge.config.schema import DaemonConfig
from bridge.daemon.cycles import LinkRunner, Outcome, Reason
from bridge.daemon.metrics import Metrics

LINKS_PER_WORKER = 25  # without daemon.workers: one worker per this many links...
MIN_WORKERS, MAX_WORKERS = 4, 40  # ...within these bounds
LATE_SHARE = 0.10  # a poll starting later than this share of its interval counts as late
REANCHOR_SHARE = 0.01  # a poll later than this moves the link's later polls to one interval after its real start


def pool_size(settings: DaemonConfig, links: int) -> int:
    """Cycles run at once: ``daemon.workers`` when set, else enough for ``links`` idle cycles to keep their pace.

    An idle cycle is mostly waiting on two HTTP answers, so threads, not cores, bound the throughput:
    at 300 s intervals a thousand links need 3.3 cycles a second, which four threads keep up with only
    while a cycle takes under 1.2 s.
    """
    if settings.workers is not None:
        return settings.workers
    return max(MIN_WORKERS, min(MAX_WORKERS, math.ceil(links / LINKS_PER_WORKER)))


class _TimedPool(ThreadPoolExecutor):
    """Notes when each run was planned for, before a worker can start it (APScheduler does not pass it on)."""

    def __init__(self, workers: int, planned: dict[str, float]) -> None:
        super().__init__(workers)
        self._planned = planned

    def _do_submit_job(self, job: Any, run_times: list[dt.datetime]) -> None:
        self._planned[job.id] = run_times[-1].timestamp()  # coalesced runs: the latest one is the one run
        super()._do_submit_job(job, run_times)


def poll_id(link: str) -> str:
    return f"poll:{link}"


def trigger_id(link: str) -> str:
    return f"soon:{link}"


class Scheduler:
    def __init__(
        self, runner: LinkRunner, settings: DaemonConfig, *, seed: int | None = None, metrics: Metrics | None = None
    ) -> None:
        self.runner = runner
        self.settings = settings
        self.metrics = metrics or runner.metrics
        self.workers = pool_size(settings, len(runner.links))
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._planned: dict[str, float] = {}
        self._closing, self._moving = False, 0
        self._polled: dict[str, float] = {}  # when each link's latest scheduled poll started
        self._aps = BackgroundScheduler(
            executors={"default": _TimedPool(self.workers, self._planned)},
            # coalesce + max_instances=1: a link's polling job never runs twice at once, and a
            # daemon that fell behind runs a missed cycle once rather than once per missed interval.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=dt.UTC,
        )

    def start(self) -> None:
        now = dt.datetime.now(dt.UTC)
        for link in self.runner.links:
            self._add_poll(link, now)
        self._aps.start()

    def _add_poll(self, link: str, now: dt.datetime) -> None:
        interval = self.runner.interval(link)
        spread = interval * self.settings.jitter
        first = now + dt.timedelta(seconds=self._random.uniform(0, spread))
        self._aps.add_job(
            self._poll,
            IntervalTrigger(seconds=interval, start_date=first, jitter=spread or None, timezone=dt.UTC),
            args=[link, "schedule"],
            id=poll_id(link),
            name=f"poll {link}",
            next_run_time=first,
            replace_existing=True,
        )

    def _poll(self, link: str, reason: Reason = "schedule") -> Outcome:
        planned, now = self._planned.pop(poll_id(link), None), time.time()
        interval = self.runner.interval(link)
        if planned is not None and now - planned > REANCHOR_SHARE * interval:
            # Polls that came due together (start-up, a pause) would stay bunched on a fixed grid and
            # be late together at every interval; counting from the real start spreads them out at
            # the pace the workers keep, so the next round is on time.
            self._reanchor(link, now)
        previous = self._polled.get(link)
        if previous is not None:
            # The slip: how much longer than the interval (and the jitter it allows) the gap since the
            # link's previous poll was. The first poll after start-up has no previous one.
            slip = max(0.0, now - previous - interval * (1 + self.settings.jitter)) / interval
            self.metrics.set("pm_bridge_poll_lateness_ratio_max",
                             max(slip, self.metrics.value("pm_bridge_poll_lateness_ratio_max")))
            self.metrics.add("pm_bridge_polls_total")
            if slip > LATE_SHARE:
                self.metrics.add("pm_bridge_polls_late_total")
        self._polled[link] = now
        return self.runner.tick(link, reason)

    def _reanchor(self, link: str, started: float) -> None:
        interval = self.runner.interval(link)
        spread = interval * self.settings.jitter
        first = dt.datetime.fromtimestamp(started + interval, dt.UTC)
        trigger = IntervalTrigger(seconds=interval, start_date=first, jitter=spread or None, timezone=dt.UTC)
        # APScheduler's shutdown holds its job store lock while it waits for the queued runs, so a run
        # must not reach for that lock once shutdown began: ``_moving`` counts the ones inside.
        with self._lock:
            if self._closing:
                return
            self._moving += 1
        try:
            with contextlib.suppress(JobLookupError):  # a reload may have removed the link meanwhile
                self._aps.reschedule_job(poll_id(link), trigger=trigger)
        finally:
            with self._lock:
                self._moving -= 1

    def refresh(self) -> None:
        """After a config reload: poll the links added, stop polling the ones gone, follow changed intervals."""
        now = dt.datetime.now(dt.UTC)
        wanted = set(self.runner.links)
        with self._lock:
            for job in self._aps.get_jobs():
                link = job.args[0] if job.args else None
                if link is not None and link not in wanted:
                    job.remove()
            for link in self.runner.links:
                job = self._aps.get_job(poll_id(link))
                interval = dt.timedelta(seconds=self.runner.interval(link))
                if job is None or getattr(job.trigger, "interval", None) != interval:
                    self._add_poll(link, now)

    def trigger(self, link: str, reason: Reason = "webhook", delay: float | None = None) -> bool:
        """Run the link soon; False when a run already waits (this trigger joined it) or the daemon is stopping."""
        if not self._aps.running or self.runner.stopping.is_set():
            return False
        wait = self.settings.debounce if delay is None else delay
        with self._lock:
            if self._aps.get_job(trigger_id(link)) is not None:
                return False
            self._aps.add_job(
                self.runner.tick,
                DateTrigger(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait), timezone=dt.UTC),
                args=[link, reason],
                id=trigger_id(link),
                name=f"{reason} {link}",
            )
        return True

    def next_run(self, link: str) -> dt.datetime | None:
        """This daemon's next attempt at the link (a pending triggered run, else the next poll)."""
        times = [job.next_run_time for job in (self._aps.get_job(trigger_id(link)), self._aps.get_job(poll_id(link)))
                 if job is not None and job.next_run_time is not None]
        return min(times) if times else None

    @property
    def running(self) -> bool:
        return bool(self._aps.running)

    def shutdown(self) -> None:
        """Stop scheduling and wait for the cycles in flight (queued ticks see ``stopping`` and return at once)."""
        with self._lock:
            self._closing = True
        while True:
            with self._lock:
                if not self._moving:
                    break
            time.sleep(0.01)
        if self._aps.running:
            self._aps.shutdown(wait=True)
