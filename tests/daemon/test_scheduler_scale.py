"""Many links keep their pace: scheduled polls start within 10% of the interval (docs/benchmarks.md, the daemon)."""

from __future__ import annotations

import threading
import time

import pytest

from bridge.config.schema import DaemonConfig
from bridge.daemon.metrics import Metrics
from bridge.daemon.scheduler import Scheduler, pool_size


class SlowRunner:
    """Stands in for LinkRunner: every cycle takes ``seconds`` (waiting, as an HTTP call does)."""

    def __init__(self, links: int, interval: float, seconds: float) -> None:
        self.links = [f"link{n:03d}" for n in range(links)]
        self.metrics = Metrics()
        self.stopping = threading.Event()
        self._interval, self._seconds = interval, seconds
        self.cycles = 0
        self._lock = threading.Lock()

    def interval(self, _link: str) -> float:
        return self._interval

    def tick(self, _link: str, _reason: str = "schedule") -> str:
        if self.stopping.is_set():  # as LinkRunner: queued ticks return at once on shutdown
            return "stopping"
        time.sleep(self._seconds)
        with self._lock:
            self.cycles += 1
        return "ok"


def test_the_pool_grows_with_the_links_unless_workers_is_set() -> None:
    assert pool_size(DaemonConfig(), 10) == 4
    assert pool_size(DaemonConfig(), 1000) == 40
    assert pool_size(DaemonConfig(), 300) == 12
    assert pool_size(DaemonConfig(workers=2), 1000) == 2


@pytest.mark.parametrize("workers", [None])
def test_150_links_polled_every_10s_never_slip_by_a_tenth_of_their_interval(workers: int | None) -> None:
    # 150 links every 10 s with 0.35 s cycles keep 5.25 workers busy: four (the old fixed default) fall behind
    # from the third round on. Polls due together at start-up must not stay bunched either.
    runner = SlowRunner(150, 10.0, 0.35)
    scheduler = Scheduler(runner, DaemonConfig(jitter=0.02, workers=workers), seed=15)  # type: ignore[arg-type]
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while runner.metrics.value("pm_bridge_polls_total") < 300 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        runner.stopping.set()
        scheduler.shutdown()
    assert runner.metrics.value("pm_bridge_polls_total") >= 300  # every link polled a second and a third time
    assert runner.metrics.value("pm_bridge_poll_lateness_ratio_max") <= 0.10
    assert runner.metrics.value("pm_bridge_polls_late_total") == 0
