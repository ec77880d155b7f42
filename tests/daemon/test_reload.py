"""A live `pm-bridge daemon` process takes config changes without a restart (SIGHUP, `pm-bridge daemon reload`)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.daemon.conftest import MASTER, wait_for
from tests.daemon.served import PM_BRIDGE, DaemonProcess, ServedTool, free_port, write_config


@pytest.fixture
def tools() -> Iterator[tuple[ServedTool, ServedTool]]:
    asana, trello = ServedTool("asana"), ServedTool("trello")
    yield asana, trello
    asana.stop()
    trello.stop()


def health(daemon: DaemonProcess) -> dict[str, Any] | None:
    assert daemon.process.poll() is None, daemon.output()
    try:
        answer = httpx.get(f"{daemon.url}/healthz", timeout=2)
    except httpx.TransportError:
        return None
    return answer.json() if answer.status_code == 200 else None  # type: ignore[no-any-return]


def links_served(daemon: DaemonProcess) -> set[str] | None:
    report = health(daemon)
    return None if report is None else set(report["links"])


def edit(config: Path, change: Any) -> None:
    data = yaml.safe_load(config.read_text())
    change(data)
    config.write_text(yaml.safe_dump(data, sort_keys=False))


def reload_command(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PM_BRIDGE, "daemon", "reload", "--config", str(config)], capture_output=True, text=True,
                          timeout=60, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_links_are_added_paused_changed_and_removed_live_and_a_bad_config_is_refused(
    tmp_path: Path, tools: tuple[ServedTool, ServedTool]
) -> None:
    asana, trello = tools
    first = (asana.agency_project("First", 1), trello.sandbox.create_project("First x Agency", []))
    second = (asana.agency_project("Second", 2), trello.sandbox.create_project("Second x Agency", []))
    connections = asana.connection_yaml("agency") + trello.connection_yaml("client")
    config = write_config(tmp_path / "pm-bridge.yaml", f"sqlite:///{tmp_path / 'state.db'}", connections,
                          {"first": first}, 3600, {"jitter": 0.0, "debounce": 0.2, "webhook_secret": MASTER})
    daemon = DaemonProcess(config, free_port())
    try:
        assert wait_for(lambda: links_served(daemon), 30, "the daemon to serve") == {"first"}
        wait_for(lambda: trello.titles(first[1]) == ["First task 0"], 30, "the first link's cycle")

        # Added: the reload command checks the file and signals the daemon; the new link runs at once.
        whole = write_config(tmp_path / "next.yaml", "x", connections, {"first": first, "second": second}, 3600, {})
        edit(config, lambda data: data["links"].update(yaml.safe_load(whole.read_text())["links"]))
        result = reload_command(config)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"pid {daemon.process.pid}" in result.stdout
        wait_for(lambda: links_served(daemon) == {"first", "second"}, 20, "the added link")
        wait_for(lambda: sorted(trello.titles(second[1])) == ["Second task 0", "Second task 1"], 30, "the added link's cycle")

        # Refused: an invalid file never reaches the daemon through the command, and a SIGHUP keeps the old config.
        good = config.read_text()
        config.write_text(good.replace("interval: 3600", "interval: soon", 1))
        refused = reload_command(config)
        assert refused.returncode == 2 and "interval" in refused.stdout + refused.stderr
        daemon.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reload failed" in daemon.output(), 20, "the refusal in the log")
        assert links_served(daemon) == {"first", "second"}

        # Paused: enabled: false stops the link live; a change to the other one (its interval) applies too.
        config.write_text(good)
        edit(config, lambda data: (data["links"]["second"].update(enabled=False),
                                   data["links"]["first"].update(interval=1800)))
        daemon.process.send_signal(signal.SIGHUP)
        wait_for(lambda: links_served(daemon) == {"first"}, 20, "the paused link to leave")
        assert (health(daemon) or {})["links"]["first"]["interval"] == 1800
        asana.add_task(second[0], "Second task 2")
        asana.add_task(first[0], "First task 1")
        daemon.process.send_signal(signal.SIGHUP)  # nothing changed: nothing runs, nothing breaks
        wait_for(lambda: daemon.output().count("config reloaded") >= 3, 20, "the third reload")

        # Resumed: enabled again, the link catches up with what happened while it was paused.
        edit(config, lambda data: data["links"]["second"].update(enabled=True))
        assert reload_command(config).returncode == 0
        wait_for(lambda: "Second task 2" in trello.titles(second[1]), 30, "the resumed link's cycle")

        # Removed: the link leaves the daemon; the remaining one keeps running.
        edit(config, lambda data: data["links"].pop("first"))
        assert reload_command(config).returncode == 0
        wait_for(lambda: links_served(daemon) == {"second"}, 20, "the removed link to leave")
        assert daemon.process.poll() is None
    finally:
        assert daemon.terminate() == 0, daemon.output()
    assert "Traceback" not in daemon.output(), daemon.output()
    assert not list(tmp_path.glob(".pm-bridge-daemon-*.pid"))  # the daemon removes its pid file on the way out
    gone = reload_command(config)
    assert gone.returncode == 2 and "no running pm-bridge daemon uses" in gone.stdout + gone.stderr
