"""Webhook deliveries over real HTTP to an in-process daemon: verified, debounced, and logged without secrets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import httpx

from bridge.daemon import Daemon
from bridge.webhook_tokens import webhook_token
from tests.daemon.conftest import MASTER, Tool, assert_no_overlap, config_for, runs_of, sign, wait_for

HANDSHAKE = "hs-secret-from-the-tool-42"
BODY = b'{"events": [{"action": "changed", "note": "BODY-MARKER-never-logged"}]}'


def _setup(tmp_path: Path, running: Callable[[Daemon], Daemon], **daemon: object) -> tuple[Tool, str, str, Daemon]:
    tool = Tool()
    internal, client = tool.agency_project(), tool.sandbox.create_project("Acme x Agency", [])
    daemon_ = running(Daemon(config_for(tmp_path, tool, {"acme": (internal, client)}, **daemon), port=0))
    wait_for(lambda: tool.titles(client) == ["Shared task 0", "Shared task 1"], what="the first (polling) cycle")
    wait_for(lambda: len(runs_of(daemon_.runtime.store, "acme")) == 1 and runs_of(daemon_.runtime.store)[0].finished_at)
    return tool, internal, client, daemon_


def _url(daemon: Daemon, link: str = "acme", side: str = "internal", token: str | None = None) -> str:
    return f"http://127.0.0.1:{daemon.port}/hooks/{link}/{side}/{token or webhook_token(MASTER, link, side)}"


def test_a_burst_of_deliveries_runs_the_link_once_within_seconds(tmp_path: Path, running: Callable[[Daemon], Daemon]) -> None:
    tool, internal, client, daemon = _setup(tmp_path, running, debounce=1.0)
    # The handshake: the tool's secret is kept for verifying what follows; it runs nothing.
    answer = httpx.post(_url(daemon), headers={"X-Hook-Secret": HANDSHAKE})
    assert answer.status_code == 200 and answer.headers["x-hook-secret"] == HANDSHAKE
    assert daemon.runtime.store.link_meta("acme")["webhook_secret.internal"] == HANDSHAKE

    tool.add_task(internal, "Fresh from Anna")
    began = time.monotonic()
    with httpx.Client() as http:
        for _ in range(3):
            delivered = http.post(_url(daemon), content=BODY, headers={"X-Hook-Signature": sign(HANDSHAKE, BODY)})
            assert delivered.status_code == 200
    wait_for(lambda: "Fresh from Anna" in tool.titles(client), timeout=5, what="the webhook-triggered cycle")
    assert 1.0 <= time.monotonic() - began < 3  # after the debounce, well within seconds
    time.sleep(1.5)  # longer than the debounce: a second cycle would have started by now
    rows = runs_of(daemon.runtime.store, "acme")
    assert [r.status for r in rows] == ["ok", "ok"]  # the first poll, then one cycle for the three deliveries
    assert_no_overlap(rows)
    assert daemon.metrics.value("pm_bridge_webhooks_total", link="acme", side="internal", outcome="triggered") == 3


def test_bad_deliveries_are_refused_and_logged_without_body_or_token(
    tmp_path: Path, running: Callable[[Daemon], Daemon], daemon_log: StringIO
) -> None:
    _, _, _, daemon = _setup(tmp_path, running)
    token = webhook_token(MASTER, "acme", "internal")
    assert httpx.post(_url(daemon, token="not-the-token"), content=BODY).status_code == 403
    assert httpx.post(_url(daemon, link="nope"), content=BODY).status_code == 404
    assert httpx.post(_url(daemon, side="sideways"), content=BODY).status_code == 404
    # Right token, but the tool's own check fails: no handshake yet, then a forged signature.
    assert httpx.post(_url(daemon), content=BODY, headers={"X-Hook-Signature": "00"}).status_code == 401
    httpx.post(_url(daemon), headers={"X-Hook-Secret": HANDSHAKE})
    assert httpx.post(_url(daemon), content=BODY, headers={"X-Hook-Signature": sign("forged", BODY)}).status_code == 401
    time.sleep(0.5)
    assert len(runs_of(daemon.runtime.store, "acme")) == 1  # nothing refused ran a cycle
    assert daemon.metrics.value("pm_bridge_webhooks_total", link="acme", side="internal", outcome="refused") == 3

    text = daemon_log.getvalue()
    for secret in ("BODY-MARKER", token, MASTER, HANDSHAKE, "tok-bridge-0001"):
        assert secret not in text
    refused = [json.loads(line) for line in text.splitlines() if '"webhook delivery"' in line and '"status": 4' in line]
    assert {entry["status"] for entry in refused} == {401, 403, 404}
    assert any(entry.get("reason") == "bad signature" for entry in refused)


def test_without_a_master_secret_webhooks_are_off_but_polling_runs(tmp_path: Path, running: Callable[[Daemon], Daemon]) -> None:
    _, _, _, daemon = _setup(tmp_path, running, webhook_secret=None)
    assert httpx.post(_url(daemon), content=BODY).status_code == 404


def test_healthz_and_metrics_describe_each_link(tmp_path: Path, running: Callable[[Daemon], Daemon]) -> None:
    _, _, _, daemon = _setup(tmp_path, running)
    health = httpx.get(f"http://127.0.0.1:{daemon.port}/healthz")
    assert health.status_code == 200
    report = health.json()
    assert report["status"] == "ok" and report["daemon"] == daemon.keeper.owner
    link = report["links"]["acme"]
    assert link["state"] == "ok" and link["last_status"] == "ok" and link["last_error"] is None
    assert link["lease_owner"] == daemon.keeper.owner and link["leased_here"] is True
    assert link["last_success"] is not None and link["next_run"] is not None and link["interval"] == 3600
    assert link["last_delivery"] == {"internal": None, "client": None}, "no delivery yet: both sides polled"
    assert daemon.runtime.engine.webhook_led, "the daemon takes deliveries in, so its pulls may follow their hints"
    daemon.runtime.store.note_hints("acme", "client", frozenset({"todos"}), 1_700_000_000.0)
    after = httpx.get(f"http://127.0.0.1:{daemon.port}/healthz").json()["links"]["acme"]["last_delivery"]
    assert after == {"internal": None, "client": "2023-11-14T22:13:20+00:00"}

    metrics = httpx.get(f"http://127.0.0.1:{daemon.port}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = metrics.text.splitlines()
    assert 'pm_bridge_cycles_total{link="acme",status="ok"} 1' in lines
    assert 'pm_bridge_link_up{link="acme"} 1' in lines
    assert 'pm_bridge_link_leased{link="acme"} 1' in lines
    assert any(line.startswith('pm_bridge_requests_total{link="acme",side="client"} ') for line in lines)
    assert "# TYPE pm_bridge_cycles_total counter" in lines
    samples = [line for line in lines if line and not line.startswith("#")]
    assert all(len(line.rsplit(" ", 1)) == 2 and float(line.rsplit(" ", 1)[1]) >= 0 for line in samples)
