"""Real ``pm-bridge daemon`` processes against emulators served over HTTP on 127.0.0.1.

One daemon on SQLite: a real Asana webhook (handshake, signed delivery) wakes
a link within seconds; SIGTERM exits 0; the JSON log never holds a secret.
Three daemons on PostgreSQL: one is SIGKILLed mid-run; every link keeps
syncing, the client tool holds no duplicate, no two cycles of a link overlap.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bridge.daemon.leases import holders
from bridge.store import Store
from bridge.webhook_tokens import callback_url, webhook_token
from connectors.emulation.sandbox import USERS
from tests.daemon.conftest import MASTER, RunRow, assert_no_overlap, runs_of, wait_for
from tests.daemon.served import DaemonProcess, ServedTool, free_port, write_config

POSTGRES_ENV = "PM_BRIDGE_TEST_POSTGRES_URL"


@pytest.fixture
def tools() -> Iterator[tuple[ServedTool, ServedTool]]:
    asana, trello = ServedTool("asana", latency=0.01), ServedTool("trello", latency=0.01)
    yield asana, trello
    asana.stop()
    trello.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"several daemons need a shared PostgreSQL: set {POSTGRES_ENV}")
    schema = f"pmb_daemon_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _healthy(daemon: DaemonProcess) -> bool:
    assert daemon.process.poll() is None, daemon.output()
    try:
        return httpx.get(f"{daemon.url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _secrets(asana: ServedTool, trello: ServedTool) -> list[str]:
    key = trello.sandbox.extra_credentials("bridge")["key"]
    return [USERS["bridge"].token, key.get_secret_value(), MASTER]  # type: ignore[attr-defined]


def test_one_daemon_wakes_on_a_real_asana_webhook_and_stops_on_sigterm(
    tmp_path: Path, tools: tuple[ServedTool, ServedTool]
) -> None:
    asana, trello = tools
    internal, client = asana.agency_project("Acme", 2), trello.sandbox.create_project("Acme x Agency", [])
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    config = write_config(tmp_path / "pm-bridge.yaml", f"sqlite:///{tmp_path / 'state.db'}",
                          asana.connection_yaml("agency") + trello.connection_yaml("client"), {"acme": (internal, client)},
                          interval=60, daemon={"jitter": 0, "debounce": 0.2, "lease_ttl": 5, "public_url": public,
                                               "webhook_secret": MASTER})
    daemon = DaemonProcess(config, port)
    try:
        wait_for(lambda: _healthy(daemon), timeout=60, what="the daemon to start")
        wait_for(lambda: sorted(trello.titles(client)) == ["Acme task 0", "Acme task 1"], timeout=20, what="the first cycle")
        token = webhook_token(MASTER, "acme", "internal")
        # Asana's handshake reaches the daemon while this create call waits; the daemon keeps the secret.
        asana.sandbox.connector("bridge").register_webhook(  # type: ignore[attr-defined]
            internal, callback_url(public, "acme", "internal", token), "unused")
        asana.add_task(internal, "Woken by a webhook")
        asana.sandbox.emulator.deliver_pending()
        sent = time.monotonic()
        wait_for(lambda: "Woken by a webhook" in trello.titles(client), timeout=10, what="the webhook's cycle")
        assert time.monotonic() - sent < 5  # the next poll is a minute away: this was the webhook
        assert "pm_bridge_webhooks_total{" in httpx.get(f"{daemon.url}/metrics").text
        assert httpx.get(f"{daemon.url}/healthz").json()["links"]["acme"]["state"] == "ok"
    finally:
        code = daemon.terminate()
    assert code == 0
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        handshake = store.link_meta("acme")["webhook_secret.internal"]
        assert holders(store, ["acme"]) == {}  # released on the way out
        assert all(run.finished_at is not None for run in runs_of(store))
    finally:
        store.close()
    lines = [json.loads(line) for line in daemon.output().splitlines() if line.strip()]
    assert any(e["message"] == "cycle finished" and e.get("reason") == "webhook" for e in lines)
    assert lines[-1]["message"] == "daemon stopped"
    text = daemon.output()
    for secret in [*_secrets(asana, trello), token, handshake]:
        assert secret not in text


def _overlaps_but_for_the_killed(rows: list[RunRow], killed_at: float) -> None:
    """A run the SIGKILL cut short stays unfinished; the link's next run began only after the kill."""
    unfinished = [row for row in rows if row.finished_at is None]
    for row in unfinished:
        later = [r for r in rows if r.link == row.link and r.started_at > row.started_at]
        assert row.started_at.timestamp() <= killed_at and all(r.started_at.timestamp() >= killed_at for r in later)
    assert_no_overlap([row for row in rows if row.finished_at is not None])


def _synced_since(store: Store, links: list[str], since: float) -> bool:
    """Every link has a successful run that started after ``since`` (so it saw what was written before)."""
    done = {r.link for r in runs_of(store) if r.status == "ok" and r.started_at.timestamp() > since}
    return done >= set(links)


def test_three_daemons_share_the_links_and_survive_a_sigkill(
    tmp_path: Path, tools: tuple[ServedTool, ServedTool], postgres_url: str
) -> None:
    asana, trello = tools
    links = {f"l{n}": (asana.agency_project(f"P{n}", 2), trello.sandbox.create_project(f"Client {n}", [])) for n in range(3)}
    config = write_config(tmp_path / "pm-bridge.yaml", postgres_url,
                          asana.connection_yaml("agency") + trello.connection_yaml("client"), links,
                          interval=10, daemon={"jitter": 0.2, "debounce": 0.2, "lease_ttl": 3})
    store = Store.open(postgres_url)  # migrated before the daemons race to do it
    daemons = [DaemonProcess(config, free_port()) for _ in range(3)]
    names = list(links)
    try:
        for daemon in daemons:  # start-up is mostly imports: seconds, more on a busy machine
            wait_for(functools.partial(_healthy, daemon), timeout=60, what="the daemons to start", every=0.25)
        wait_for(lambda: _synced_since(store, names, 0), timeout=30, what="every link's first cycle", every=0.25)
        for name, (internal, _) in links.items():
            asana.add_task(internal, f"{name} before the kill")
        owners = {name: held.owner for name, held in holders(store, names).items()}
        victim = max(daemons, key=lambda d: sum(f":{d.process.pid}:" in owner for owner in owners.values()))
        mine = [name for name, owner in owners.items() if f":{victim.process.pid}:" in owner]
        assert mine
        # Mid-run: wait (up to about one interval) for one of its cycles to be in flight, then kill it.
        wait_for(lambda: any(r.finished_at is None for r in runs_of(store) if r.link in mine), timeout=14,
                 what="a cycle of the victim in flight", every=0.02)
        victim.kill()
        killed_at = time.time()
        for name, (internal, _) in links.items():
            asana.add_task(internal, f"{name} after the kill")
        edited = time.time()
        wait_for(lambda: _synced_since(store, names, edited), timeout=30, what="every link to keep syncing", every=0.25)
        survivors = [d for d in daemons if d is not victim]
        assert [d.terminate() for d in survivors] == [0, 0]
        for name, (_, client) in links.items():
            titles = trello.titles(client)
            assert len(titles) == 4 and len(set(titles)) == 4, (name, titles)  # every change arrived, none twice
            assert f"{name} after the kill" in titles
        _overlaps_but_for_the_killed(runs_of(store), killed_at)
        assert holders(store, names) == {}  # taken over from the dead daemon, then released
        for daemon in survivors:
            assert USERS["bridge"].token not in daemon.output()
    finally:
        for daemon in daemons:
            if daemon.process.poll() is None:
                daemon.process.send_signal(signal.SIGUSR1)
                time.sleep(0.5)
                daemon.kill()
            print(f"--- daemon {daemon.process.pid}\n{daemon.output()[-4000:]}")  # shown when the test fails
        store.close()
