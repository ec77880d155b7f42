"""Two daemons on one store take turns through leases; a graceful stop finishes the cycle in flight first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bridge.daemon import Daemon
from bridge.daemon.leases import holders
from bridge.sync.events import Event, Pulled
from bridge.webhook_tokens import webhook_token
from tests.daemon.conftest import MASTER, Tool, assert_no_overlap, config_for, runs_of, wait_for


def test_a_link_has_one_daemon_and_a_dead_daemons_link_is_taken_over(
    tmp_path: Path, running: Callable[[Daemon], Daemon]
) -> None:
    tool = Tool()
    internal, client = tool.agency_project(), tool.sandbox.create_project("Acme x Agency", [])
    config = config_for(tmp_path, tool, {"acme": (internal, client)}, lease_ttl=1)
    first = running(Daemon(config, port=0, owner="daemon-a"))
    wait_for(lambda: runs_of(first.runtime.store, "acme") and runs_of(first.runtime.store, "acme")[-1].finished_at)
    second = running(Daemon(config, port=0, owner="daemon-b"))
    time.sleep(1.5)  # its first poll has run and heartbeats have passed: it must have stayed off the link
    assert second.runner.tick("acme", "webhook") == "held"
    assert len(runs_of(first.runtime.store, "acme")) == 1
    view = httpx.get(f"http://127.0.0.1:{second.port}/healthz").json()["links"]["acme"]
    assert view["lease_owner"] == "daemon-a" and view["leased_here"] is False and view["last_status"] == "ok"

    # The first daemon dies: it stops renewing without releasing anything.
    first.runner.stopping.set()
    first.scheduler.shutdown()
    first.keeper.stop()
    died = time.time()
    tool.add_task(internal, "Written while daemon-a was dead")
    wait_for(lambda: "Written while daemon-a was dead" in tool.titles(client), timeout=8, what="the takeover cycle")
    assert holders(second.runtime.store, ["acme"])["acme"].owner == "daemon-b"
    rows = runs_of(second.runtime.store, "acme")
    assert len(rows) == 2 and rows[-1].started_at.timestamp() >= died + 0.6  # not before the lease (renewed every ttl/3) expired
    assert_no_overlap(rows)


class SlowPull:
    """Holds the first client pull of a cycle for ``seconds``, to have a cycle in flight on demand."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.inside = threading.Event()

    def __call__(self, event: Event) -> None:
        if isinstance(event, Pulled) and event.side == "client" and not self.inside.is_set():
            self.inside.set()
            time.sleep(self.seconds)


def test_graceful_stop_lets_the_cycle_in_flight_finish_and_releases_the_lease(tmp_path: Path) -> None:
    tool = Tool()
    internal, client = tool.agency_project(), tool.sandbox.create_project("Acme x Agency", [])
    daemon = Daemon(config_for(tmp_path, tool, {"acme": (internal, client)}), port=0)
    slow = SlowPull(1.0)
    daemon.runtime.engine.listeners.append(slow)
    daemon.start()
    assert slow.inside.wait(5)
    stopper = threading.Thread(target=daemon.stop)
    began = time.monotonic()
    stopper.start()
    wait_for(lambda: daemon.stopping, what="the stop to begin")
    hook = f"http://127.0.0.1:{daemon.port}/hooks/acme/internal/{webhook_token(MASTER, 'acme', 'internal')}"
    assert httpx.post(hook, content=b"{}").status_code == 503  # the tool will retry; another daemon will take it
    stopper.join(10)
    assert not stopper.is_alive() and time.monotonic() - began >= 0.5
    rows = runs_of(daemon.runtime.store, "acme")
    assert [(r.status, r.finished_at is not None) for r in rows] == [("ok", True)]
    assert tool.titles(client) == ["Shared task 0", "Shared task 1"]
    assert holders(daemon.runtime.store, ["acme"]) == {}
    assert daemon.scheduler.trigger("acme") is False
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{daemon.port}/healthz")
