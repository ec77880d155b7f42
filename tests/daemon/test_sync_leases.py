"""``pm-bridge sync`` beside a daemon: it takes each link's lease, skips the links someone else holds, releases its own.

Every test runs on SQLite and, with PM_BRIDGE_TEST_POSTGRES_URL set, on PostgreSQL (the ``store_url`` fixture).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import bridge.cli.app as cli
from bridge.cli.app import app, exit_code
from bridge.clock import VirtualClock
from bridge.config.load import load_config
from bridge.daemon import Daemon
from bridge.daemon.leases import Holder, LeaseKeeper, holders
from bridge.runtime import LinkRuntime, open_store
from bridge.store import Store
from bridge.sync.engine import CycleReport, Engine
from connectors.emulation.sandbox import USERS
from tests.daemon.conftest import Tool, runs_of, wait_for

LINKS = ("acme", "beta")
SYNC_OWNER = f"sync:{socket.gethostname()}:{os.getpid()}"


class Bed:
    """Two links (acme, beta) between projects of one memory world, a config file naming the store under test."""

    def __init__(self, folder: Path, store_url: str) -> None:
        self.tool = Tool()
        self.projects = {
            name: (self.tool.agency_project(), self.tool.sandbox.create_project(f"{name} client", [])) for name in LINKS
        }
        links = "".join(
            f"  {name}:\n"
            f'    internal: {{connection: agency, project: "{internal}"}}\n'
            f'    client: {{connection: agency, project: "{client}"}}\n'
            "    mirror: {sections: {Design: {access: unlocked}}, access: {type: label}}\n"
            for name, (internal, client) in self.projects.items()
        )
        self.config = folder / "pm-bridge.yaml"
        self.config.write_text(
            f'state: "{store_url}"\n'
            f"connections:\n  agency:\n    kind: memory\n    base_url: {self.tool.base_url}\n"
            f"    token: {USERS['bridge'].token}\n"
            f"links:\n{links}"
            "daemon: {jitter: 0}\n"  # the daemon's first cycle at once, not somewhere in the first 30 s
        )
        self.store: Store = open_store(store_url)

    def synced(self, link: str) -> bool:
        return self.tool.titles(self.projects[link][1]) == ["Shared task 0", "Shared task 1"]

    def leases(self) -> dict[str, Holder]:
        return holders(self.store, list(LINKS))

    def sync(self, *args: str) -> Any:
        return CliRunner(env={"COLUMNS": "240"}).invoke(app, ["sync", "-c", str(self.config), *args])


@pytest.fixture
def bed(tmp_path: Path, store_url: str) -> Iterator[Bed]:
    made = Bed(tmp_path, store_url)
    yield made
    made.store.close()


def test_a_link_a_running_daemon_holds_is_skipped_and_the_others_sync(bed: Bed, running: Callable[[Daemon], Daemon]) -> None:
    daemon = running(Daemon(load_config(bed.config), ["acme"], port=0, owner="daemon-a"))
    wait_for(
        lambda: [run.finished_at is not None for run in runs_of(bed.store, "acme")] == [True], what="the daemon's first cycle"
    )
    result = bed.sync()
    assert result.exit_code == cli.EXIT_HELD, result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("– acme")]
    assert skipped == [
        "– acme: skipped, pm-bridge daemon daemon-a runs this link; stop that daemon to sync it by hand "
        "(or add --wait SECONDS if it is stopping)"
    ]
    assert "✓ beta: ok" in result.output and bed.synced("beta")
    assert [run.status for run in runs_of(bed.store, "acme")] == ["ok"]  # the daemon's cycle only
    assert {link: held.owner for link, held in bed.leases().items()} == {"acme": "daemon-a"}
    assert daemon.runner.tick("acme", "webhook") == "ok"  # the daemon never lost the link


@pytest.mark.parametrize(
    ("failure", "code"),
    [(None, cli.EXIT_OK), (RuntimeError("a bug in the cycle"), cli.EXIT_FAILED), (KeyboardInterrupt(), 130)],
    ids=["ok", "error", "ctrl-c"],
)
def test_sync_holds_each_lease_during_its_cycle_and_releases_it_even_on_failure(
    bed: Bed, monkeypatch: pytest.MonkeyPatch, failure: BaseException | None, code: int
) -> None:
    seen: dict[str, dict[str, str]] = {}
    real_run = Engine.run

    def spy(engine: Engine, link: LinkRuntime, **options: Any) -> CycleReport:
        seen[link.name] = {name: held.owner for name, held in bed.leases().items()}
        if failure is not None and link.name == "acme":
            raise failure
        return real_run(engine, link, **options)

    monkeypatch.setattr(Engine, "run", spy)
    result = bed.sync()
    assert result.exit_code == code, result.output
    assert seen["acme"] == {"acme": SYNC_OWNER}  # one link's lease at a time, in the sync's recognisable name
    if not isinstance(failure, KeyboardInterrupt):
        assert seen["beta"] == {"beta": SYNC_OWNER} and bed.synced("beta")
    assert bed.leases() == {}


def test_an_expired_lease_is_taken_over(bed: Bed) -> None:
    bed.store.try_lease("acme", "dead-host:4242:abcdef", -5)  # a daemon that died five seconds after its last renewal
    result = bed.sync()
    assert result.exit_code == cli.EXIT_OK, result.output
    assert bed.synced("acme") and bed.synced("beta")
    assert bed.leases() == {}


class ReleasingClock(VirtualClock):
    """Waiting time that passes at once; the other holder lets go of the link during the second pause."""

    def __init__(self, release: Callable[[], None]) -> None:
        super().__init__()
        self.release = release

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if len(self.slept) == 2:
            self.release()


def test_wait_runs_a_link_once_another_sync_lets_go(bed: Bed, monkeypatch: pytest.MonkeyPatch) -> None:
    other = "sync:other-host:77"
    bed.store.try_lease("acme", other, 600)
    clock = ReleasingClock(lambda: bed.store.release_lease("acme", other))
    monkeypatch.setattr(cli, "WAIT_CLOCK", clock)
    result = bed.sync("--wait", "30")
    assert result.exit_code == cli.EXIT_OK, result.output
    assert f"… acme: held by another pm-bridge sync ({other}); waiting up to 30 s" in result.output
    assert clock.slept == [1.0, 1.0] and bed.synced("acme") and bed.synced("beta")
    assert result.output.index("✓ beta") < result.output.index("✓ acme")  # the free link did not wait
    assert bed.leases() == {}


def test_wait_gives_up_after_the_given_seconds(bed: Bed, monkeypatch: pytest.MonkeyPatch) -> None:
    other = "sync:other-host:77"
    bed.store.try_lease("acme", other, 600)
    clock = VirtualClock()
    monkeypatch.setattr(cli, "WAIT_CLOCK", clock)
    result = bed.sync("--wait", "2.5")
    assert result.exit_code == cli.EXIT_HELD, result.output
    assert (
        f"– acme: skipped, still held by another pm-bridge sync ({other}) after waiting 2.5 s; rerun when it is done"
        in result.output
    )
    assert clock.slept == [1.0, 1.0, 0.5] and not bed.synced("acme") and bed.synced("beta")
    assert {link: held.owner for link, held in bed.leases().items()} == {"acme": other}


def test_without_wait_a_link_another_sync_holds_is_skipped_at_once(bed: Bed) -> None:
    bed.store.try_lease("acme", "sync:other-host:77", 600)
    result = bed.sync()
    assert result.exit_code == cli.EXIT_HELD, result.output
    assert (
        "– acme: skipped, another pm-bridge sync (sync:other-host:77) is running this link; rerun when it is done, "
        "or add --wait SECONDS"
    ) in result.output
    assert runs_of(bed.store, "acme") == [] and bed.synced("beta")


def test_a_dry_run_writes_nothing_so_it_needs_no_lease(bed: Bed) -> None:
    bed.store.try_lease("acme", "daemon-a", 600)
    result = bed.sync("--dry-run", "--link", "acme")
    assert result.exit_code == cli.EXIT_OK, result.output
    assert "would write client" in result.output and not bed.synced("acme")
    assert {link: held.owner for link, held in bed.leases().items()} == {"acme": "daemon-a"}


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ({"a": "held", "b": "ok"}, cli.EXIT_HELD),
        ({"a": "held", "b": "guarded"}, cli.EXIT_GUARD),
        ({"a": "held", "b": "partial"}, cli.EXIT_FAILED),
        ({"a": "ok", "b": "dry-run"}, cli.EXIT_OK),
    ],
)
def test_a_skipped_link_yields_to_failures_and_the_guard_in_the_exit_code(statuses: dict[str, str], code: int) -> None:
    assert exit_code(statuses) == code


class GatedStore(Store):
    """Holds a renewal of link "a" until told, so a release can happen in the middle of a heartbeat."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine)
        self.renewing, self.go_on = threading.Event(), threading.Event()

    def try_lease(self, link: str, owner: str, ttl_seconds: float) -> bool:
        if link == "a" and not self.go_on.is_set():
            self.renewing.set()
            self.go_on.wait(10)
        return super().try_lease(link, owner, ttl_seconds)

    def renew_leases(self, links: list[str], owner: str, ttl_seconds: float) -> set[str]:
        # A heartbeat renews every lease it holds in one statement; hold that one up instead.
        if "a" in links and not self.go_on.is_set():
            self.renewing.set()
            self.go_on.wait(10)
        return super().renew_leases(links, owner, ttl_seconds)


def test_a_heartbeat_does_not_take_back_a_lease_released_during_it(bed: Bed) -> None:
    store = GatedStore(bed.store)
    keeper = LeaseKeeper(store, SYNC_OWNER, 60)
    store.go_on.set()
    assert keeper.acquire("a") and keeper.acquire("x")
    store.go_on.clear()
    heartbeat = threading.Thread(target=keeper.renew_all)
    heartbeat.start()  # renews "a" (held up), then "x"
    assert store.renewing.wait(10)
    release = threading.Thread(target=keeper.release, args=("x",))  # sync's cycle of "x" is over
    release.start()
    release.join(0.5)  # long enough for a release that does not wait for the heartbeat
    store.go_on.set()
    heartbeat.join(10)
    release.join(10)
    assert {link: held.owner for link, held in holders(store, ["a", "x"]).items()} == {"a": SYNC_OWNER}
    assert keeper.owned == {"a"}
