"""The daemon alerts: a link failing N cycles (once, then its recovery), a guard stop, conflicts left waiting, a storm.

Ticks are driven by hand and time by a clock the test moves (as in tests/daemon/test_backoff.py); the alerts
go to a real SMTP server (aiosmtpd) and a real incoming webhook on 127.0.0.1.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bridge.config.schema import AlertsConfig, Config
from bridge.daemon import Daemon
from bridge.store import CONFLICT
from connectors.emulation.toolkit import Fault
from tests.alerts.conftest import SMTP_PASSWORD, Hook, Mailbox, alerts_config, free_port
from tests.daemon.conftest import REVOKED, Tool, WallClock, config_for, wait_for


def with_alerts(config: Config, section: dict[str, Any]) -> Config:
    return config.model_copy(update={"alerts": AlertsConfig.model_validate(section)})


def subjects(mailbox: Mailbox) -> list[str]:
    return [str(message["Subject"]) for message in mailbox.messages]


def test_a_link_failing_n_cycles_alerts_once_then_says_it_recovered(tmp_path: Path, mailbox: Mailbox) -> None:
    tool = Tool()
    acme = (tool.agency_project(), tool.sandbox.create_project("Acme client", []))
    config = with_alerts(config_for(tmp_path, tool, {"acme": acme}, max_backoff=3600), alerts_config(mailbox, failing_cycles=3))
    clock = WallClock()
    daemon = Daemon(config, clock=clock)
    try:
        runner = daemon.runner
        assert runner.tick("acme") == "ok"
        tool.sandbox.world.inject(Fault.FAIL_BEFORE, op="pull", times=-1)  # the tool answers 500, for as long as it lasts
        for _ in range(6):
            assert runner.tick("acme") == "failed"
            daemon.alerter.flush()
            clock.advance(3600)  # the backoff's cap: each tick is the next retry
        assert subjects(mailbox) == ["pm-bridge: link acme is failing"]  # at the 3rd failure, not again at the 4th to 6th
        body = mailbox.messages[0].get_content()
        assert "Link acme: its last 3 cycles failed in a row" in body and "server error" in body
        assert "What to do:" in body and "pm-bridge check --link acme" in body

        tool.sandbox.world.faults = []
        assert runner.tick("acme") == "ok"
        daemon.alerter.flush()
        assert subjects(mailbox)[1:] == ["pm-bridge: resolved: link acme is syncing again"]
        assert runner.tick("acme") == "ok"
        daemon.alerter.flush()
        assert len(mailbox.messages) == 2
    finally:
        daemon.stop()


def test_a_lasting_failure_reminds_once_per_min_interval(tmp_path: Path, hook: Hook) -> None:
    tool = Tool()
    acme = (tool.agency_project(), "no-such-project")  # a client project deleted: every cycle fails
    config = with_alerts(config_for(tmp_path, tool, {"acme": acme}, max_backoff=600),
                         alerts_config(hook=hook, failing_cycles=1, min_interval="2h"))
    clock = WallClock()
    daemon = Daemon(config, clock=clock)
    try:
        for _ in range(12):  # six hours of ticks every 30 min; the backoff lets one cycle an hour through (the interval)
            daemon.runner.tick("acme")
            clock.advance(1800)
        daemon.alerter.flush()
        texts = [body["text"] for body in hook.bodies]
        assert len(texts) == 3 and all("link acme is failing" in text and "was not found" in text for text in texts)
    finally:
        daemon.stop()


def test_a_guard_stop_alerts_and_its_confirmation_resolves_it(tmp_path: Path, hook: Hook) -> None:
    tool = Tool()
    internal = tool.agency_project(shared=4)
    acme = (internal, tool.sandbox.create_project("Acme client", []))
    config = with_alerts(config_for(tmp_path, tool, {"acme": acme}), alerts_config(hook=hook))
    daemon = Daemon(config, clock=WallClock())
    try:
        assert daemon.runner.tick("acme") == "ok"
        anna = tool.sandbox.connector("human")
        snapshot = anna.pull(internal).snapshot
        build = next(s.id for s in snapshot.sections.values() if s.name == "Build")
        for task in list(snapshot.tasks.values())[:3]:  # three of four shared tasks vanish from the client's view at once
            anna.update_task(internal, task, {"section_id": build})
        assert daemon.runner.tick("acme") == "guarded"
        assert daemon.runner.tick("acme") == "guarded"
        daemon.alerter.flush()
        (alert,) = [body["text"] for body in hook.bodies]
        assert alert.startswith("*pm-bridge: link acme was stopped by the removal guard*")
        assert "would remove 3 of 4 mirrored tasks" in alert and "pm-bridge sync --link acme --confirm-removals" in alert

        for task in list(snapshot.tasks.values())[:3]:  # the move was a mistake: put them back
            anna.update_task(internal, task, {"section_id": next(iter(snapshot.sections))})
        assert daemon.runner.tick("acme") in ("ok", "partial")
        daemon.alerter.flush()
        assert len(hook.bodies) == 2 and "resolved: link acme runs again" in hook.bodies[1]["text"]
    finally:
        daemon.stop()


def test_conflicts_waiting_past_the_threshold_alert_once(tmp_path: Path, mailbox: Mailbox) -> None:
    tool = Tool()
    acme = (tool.agency_project(), tool.sandbox.create_project("Acme client", []))
    config = with_alerts(config_for(tmp_path, tool, {"acme": acme}),
                         alerts_config(mailbox, conflicts_waiting="24h", min_interval="12h"))
    clock = WallClock()
    daemon = Daemon(config, clock=clock)
    try:
        assert daemon.runner.tick("acme") == "ok"  # this daemon now holds the link
        store = daemon.runtime.store
        store.audit("acme", CONFLICT, kind="task", key="t1", detail={"field": "due", "internal": "a", "client": "b"})
        daemon.check_alerts()
        clock.advance(23 * 3600)
        daemon.check_alerts()
        daemon.alerter.flush()
        assert mailbox.messages == []  # waiting, but not for long yet
        for _ in range(10):  # two more hours of checks
            clock.advance(720)
            daemon.check_alerts()
        daemon.alerter.flush()
        assert subjects(mailbox) == ["pm-bridge: link acme has conflicts waiting for a decision"]
        body = mailbox.messages[0].get_content()
        assert "1 conflict flagged for review has waited more than 24h" in body
        assert "pm-bridge conflicts list --link acme" in body

        store.resolve_conflicts("acme", "task", "t1")  # someone decided
        daemon.check_alerts()
        daemon.alerter.flush()
        assert subjects(mailbox)[1:] == ["pm-bridge: resolved: link acme has no conflict waiting past the limit any more"]
    finally:
        daemon.stop()


def test_a_storm_stays_within_the_hourly_cap_then_sends_a_summary(tmp_path: Path, hook: Hook, mailbox: Mailbox) -> None:
    tool = Tool()
    names = [f"client{n}" for n in range(8)]
    links = {name: (tool.agency_project(shared=0), tool.sandbox.create_project(name, []), "revoked") for name in names}
    config = with_alerts(config_for(tmp_path, tool, links), alerts_config(mailbox, hook, max_per_hour=3))
    clock = WallClock()
    daemon = Daemon(config, clock=clock)
    try:
        for name in names:
            assert daemon.runner.tick(name) == "failed"  # every token refused at once
        daemon.alerter.flush()
        assert len(hook.bodies) == 3 and len(mailbox.messages) == 3  # the same three messages, on each channel
        assert 'pm_bridge_alerts_total{channel="webhook",kind="credentials",outcome="sent"} 3' in daemon.metrics.render()
        assert all("cannot sign in" in body["text"] for body in hook.bodies)
        for body in hook.bodies:
            assert REVOKED not in body["text"]
        clock.advance(1800)
        daemon.check_alerts()
        daemon.alerter.flush()
        assert len(hook.bodies) == 3  # still inside the hour
        clock.advance(1801)
        daemon.check_alerts()
        daemon.alerter.flush()
        summary = hook.bodies[3]["text"]
        assert summary.startswith("*pm-bridge: 5 more alerts suppressed*")
        assert all(name in summary for name in names[3:]) and "What to do:" in summary
        assert len(hook.bodies) == 4
    finally:
        daemon.stop()


def test_a_dead_smtp_server_never_breaks_a_cycle(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tool = Tool()
    good = (tool.agency_project(), tool.sandbox.create_project("Good client", []))
    bad = (tool.agency_project(), tool.sandbox.create_project("Bad client", []), "revoked")
    dead = {"email": {"host": "127.0.0.1", "port": free_port(), "starttls": False, "user": "u", "password": SMTP_PASSWORD,
                      "from": "a@agency.example", "to": ["ops@agency.example"]}}
    config = with_alerts(config_for(tmp_path, tool, {"good": good, "bad": bad}), dead)
    daemon = Daemon(config, clock=WallClock())
    try:
        with caplog.at_level(logging.INFO):
            assert daemon.runner.tick("bad") == "failed"
            assert daemon.runner.tick("good") == "ok"
            tool.add_task(good[0], "Still syncing")
            assert daemon.runner.tick("good") == "ok" and "Still syncing" in tool.titles(good[1])
            daemon.alerter.flush()
        failed = [r for r in caplog.records if r.getMessage() == "alert not delivered"]
        assert len(failed) == 1 and failed[0].links == "bad"  # type: ignore[attr-defined]
        metrics = daemon.metrics.render().splitlines()
        assert 'pm_bridge_alerts_total{channel="email",kind="credentials",outcome="failed"} 1' in metrics
        assert SMTP_PASSWORD not in caplog.text and REVOKED not in caplog.text
    finally:
        daemon.stop()


def test_a_running_daemon_checks_for_waiting_conflicts_at_its_heartbeat(
    tmp_path: Path, hook: Hook, running: Any
) -> None:
    tool = Tool()
    acme = (tool.agency_project(), tool.sandbox.create_project("Acme client", []))
    section = alerts_config(hook=hook, conflicts_waiting=60)
    config = with_alerts(config_for(tmp_path, tool, {"acme": acme}, lease_ttl=1.5), section)
    clock = WallClock()
    daemon = running(Daemon(config, port=0, clock=clock))
    wait_for(lambda: "acme" in daemon.keeper.owned, what="the daemon to take the link")
    daemon.runtime.store.audit("acme", CONFLICT, kind="task", key="t1", detail={"field": "due"})
    clock.advance(3600)  # the conflict has waited an hour; the next heartbeat's check sees it
    wait_for(lambda: hook.bodies, what="the conflicts alert")
    assert "link acme has conflicts waiting" in hook.bodies[0]["text"]
