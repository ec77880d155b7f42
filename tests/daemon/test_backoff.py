"""A broken link backs off exponentially and says so in /healthz and /metrics; the other links keep syncing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.daemon import Daemon
from bridge.daemon.backoff import Backoff, after_failure, delay, read
from connectors.emulation.toolkit import Fault
from tests.daemon.conftest import REVOKED, Tool, WallClock, config_for


def test_delay_doubles_from_the_interval_up_to_the_cap() -> None:
    assert [delay(n, 60, 1000) for n in range(6)] == [0, 60, 120, 240, 480, 960]
    assert delay(7, 60, 1000) == 1000
    assert delay(3, 600, 100) == 600  # never more often than the link's own interval
    assert delay(10_000, 60, 3600) == 3600
    state = after_failure(Backoff(), 1000.0, 60, 3600, "boom")
    assert state == Backoff(failures=1, until=1060.0, error="boom") and state.active(1059) and not state.active(1060)
    assert read({"daemon.backoff": {"failures": "many"}}) == Backoff()  # unreadable state restarts, never blocks


def test_revoked_token_and_deleted_project_back_off_while_the_good_link_syncs(tmp_path: Path) -> None:
    tool = Tool()
    good = (tool.agency_project(), tool.sandbox.create_project("Good client", []))
    revoked = (tool.agency_project(), tool.sandbox.create_project("Revoked client", []), "revoked")
    gone = (tool.agency_project(), "no-such-project")
    config = config_for(tmp_path, tool, {"good": good, "revoked": revoked, "gone": gone}, max_backoff=10_000)
    clock = WallClock()
    daemon = Daemon(config, clock=clock)  # not started: ticks are driven by hand, time by the clock
    try:
        runner = daemon.runner
        assert runner.tick("good") == "ok" and runner.tick("revoked") == "failed" and runner.tick("gone") == "failed"
        assert runner.tick("revoked") == "backoff" and runner.tick("gone", "webhook") == "backoff"
        tool.add_task(good[0], "Still syncing")
        assert runner.tick("good") == "ok" and "Still syncing" in tool.titles(good[1])

        clock.advance(3600)  # one interval: the first retry is due, and fails again
        assert runner.tick("revoked") == "failed"
        state = read(daemon.runtime.store.link_meta("revoked"))
        assert state.failures == 2 and state.remaining(clock.now()) == pytest.approx(7200)
        clock.advance(3600)
        assert runner.tick("revoked") == "backoff"
        clock.advance(3600)
        assert runner.tick("revoked") == "failed"
        assert read(daemon.runtime.store.link_meta("revoked")).remaining(clock.now()) == pytest.approx(10_000)  # the cap

        report = daemon.health.report()
        assert report["status"] == "degraded"
        links = report["links"]
        assert links["good"]["state"] == "ok" and links["good"]["failures"] == 0
        assert links["revoked"]["state"] == "backing_off" and links["revoked"]["failures"] == 3
        assert "credential was refused" in links["revoked"]["last_error"]["message"]
        assert REVOKED not in str(report)
        assert links["revoked"]["next_run"] is not None  # the end of its backoff (the scheduler is not running here)
        assert "was not found" in links["gone"]["last_error"]["message"]

        metrics = daemon.metrics.render(daemon.health.refresh_gauges).splitlines()
        assert 'pm_bridge_link_up{link="good"} 1' in metrics and 'pm_bridge_link_up{link="revoked"} 0' in metrics
        assert 'pm_bridge_errors_total{link="revoked"} 3' in metrics
        assert 'pm_bridge_cycles_total{link="revoked",status="failed"} 3' in metrics
        assert 'pm_bridge_link_failures{link="revoked"} 3' in metrics
        assert any(line.startswith('pm_bridge_link_backoff_seconds{link="revoked"} 1') for line in metrics)

        # A link that fails once (the tool refuses it for a moment) recovers at its next due cycle, backoff cleared.
        tool.sandbox.world.inject(Fault.UNAUTHORIZED, op="pull")
        assert runner.tick("good") == "failed" and read(daemon.runtime.store.link_meta("good")).failures == 1
        clock.advance(3600)
        assert runner.tick("good") == "ok"
        assert read(daemon.runtime.store.link_meta("good")) == Backoff()
        assert daemon.health.report()["links"]["good"]["state"] == "ok"
    finally:
        daemon.stop()
