"""Daemons sharing one store share its links fairly: a newcomer gets its part, a leaver's part goes to the others.

The keeper-level tests move a VirtualClock by hand and run each daemon's heartbeat in turn (renewals, then
rebalancing, as the heartbeat thread does), checking after every step that no link has two holders. Every test
runs on SQLite and, with PM_BRIDGE_TEST_POSTGRES_URL set, on PostgreSQL (the ``store_url`` fixture).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bridge.clock import VirtualClock
from bridge.config.schema import Config
from bridge.daemon import Daemon
from bridge.daemon.balance import Balancer, Moves, fair_share, live_daemons
from bridge.daemon.leases import LeaseKeeper, holders, presence_name
from bridge.store import Store
from bridge.sync.events import Event, Pulled
from tests.daemon.conftest import Tool, assert_no_overlap, config_for, runs_of, wait_for

TTL = 30.0
BEAT = TTL / 3


class Fleet:
    """Daemons (a keeper and a balancer each) on one store, whose heartbeats the test runs one at a time."""

    def __init__(self, store_url: str, links: int) -> None:
        self.clock = VirtualClock()
        self.store = Store.open(store_url, clock=self.clock)
        self.links = [f"l{n}" for n in range(links)]
        self.members: dict[str, Balancer] = {}

    def join(self, owner: str, next_run: Callable[[str], float | None] = lambda _link: None) -> Moves:
        """As ``Daemon.start``: announce, then take a first share of whatever is free."""
        keeper = LeaseKeeper(self.store, owner, TTL, clock=self.clock)
        self.members[owner] = Balancer(keeper, self.links, next_run=next_run)
        keeper.announce(self.links)
        moves = self.members[owner].rebalance()
        self.check()
        return moves

    def beat(self, owner: str) -> Moves:
        member = self.members[owner]
        member.keeper.renew_all()
        self.check()
        moves = member.rebalance()
        self.check()
        return moves

    def round(self, *owners: str) -> dict[str, Moves]:
        """One heartbeat period passes; each of ``owners`` beats, in that order."""
        self.clock.advance(BEAT)
        return {owner: self.beat(owner) for owner in owners or list(self.members)}

    def leave(self, owner: str, *, graceful: bool) -> None:
        """Stop beating; a graceful stop also releases (a SIGKILL does not)."""
        member = self.members.pop(owner)
        if graceful:
            member.keeper.release_all()
        self.check()

    def counts(self) -> dict[str, int]:
        return {owner: len(member.keeper.owned) for owner, member in self.members.items()}

    def check(self) -> None:
        """No link is held by two daemons, and what each daemon believes it holds is what the store says."""
        owned = {owner: member.keeper.owned for owner, member in self.members.items()}
        for (one, mine), (other, theirs) in itertools.combinations(owned.items(), 2):
            assert not mine & theirs, (one, other, mine & theirs)
        now = self.clock.now()
        table = {link: held.owner for link, held in holders(self.store, self.links).items() if held.expires_at > now}
        for owner, links in owned.items():
            assert {link: table.get(link) for link in links} == dict.fromkeys(links, owner)
        assert {link for link, owner in table.items() if owner in owned} == set().union(*owned.values())


@pytest.fixture
def fleet(store_url: str) -> Iterator[Callable[[int], Fleet]]:
    made: list[Fleet] = []

    def make(links: int) -> Fleet:
        made.append(Fleet(store_url, links))
        return made[-1]

    yield make
    for one in made:
        one.store.close()


@pytest.mark.parametrize(("links", "daemons", "share"), [(7, 2, 4), (6, 3, 2), (1, 2, 1), (0, 1, 0), (5, 1, 5)])
def test_fair_share_is_the_links_over_the_daemons_rounded_up(links: int, daemons: int, share: int) -> None:
    assert fair_share(links, daemons) == share


def test_a_newcomer_gets_half_the_links_within_one_heartbeat_and_the_furthest_due_are_the_ones_moved(
    fleet: Callable[[int], Fleet],
) -> None:
    crew = fleet(7)
    due = {link: crew.clock.now() + 60 * n for n, link in enumerate(crew.links)}  # l6 runs last
    assert crew.join("daemon-a", next_run=due.get).taken == crew.links
    assert crew.join("daemon-b").taken == []  # everything is held: it waits for daemon-a to let go
    assert live_daemons(crew.store, crew.clock.now(), crew.links) == 2

    crew.clock.advance(BEAT)
    released = crew.beat("daemon-a")
    assert (released.daemons, released.share, released.released) == (2, 4, ["l6", "l5", "l4"])
    # daemon-a's own scheduled poll of a link it just let go finds it full: the link waits for daemon-b.
    assert crew.members["daemon-a"].keeper.acquire("l6") is False
    assert holders(crew.store, ["l4", "l5", "l6"]) == {}
    assert sorted(crew.beat("daemon-b").taken) == ["l4", "l5", "l6"]
    assert crew.counts() == {"daemon-a": 4, "daemon-b": 3}

    for _ in range(4):  # settled: nothing moves any more
        moves = crew.round()
        assert all(not m.released and not m.taken for m in moves.values())
    assert crew.counts() == {"daemon-a": 4, "daemon-b": 3}


def test_however_the_heartbeats_interleave_the_links_end_up_shared(fleet: Callable[[int], Fleet]) -> None:
    crew = fleet(9)
    crew.join("daemon-a")
    crew.join("daemon-b")
    crew.round("daemon-b", "daemon-a")  # the newcomer beats first: nothing is free yet
    crew.round("daemon-b", "daemon-a")
    assert crew.counts() == {"daemon-a": 5, "daemon-b": 4}
    crew.join("daemon-c")
    crew.round("daemon-c", "daemon-b", "daemon-a")
    crew.round("daemon-a", "daemon-c", "daemon-b")
    assert crew.counts() == {"daemon-a": 3, "daemon-b": 3, "daemon-c": 3}


@pytest.mark.parametrize("graceful", [True, False], ids=["sigterm", "sigkill"])
def test_a_daemon_that_leaves_has_its_links_shared_by_the_survivors(fleet: Callable[[int], Fleet], graceful: bool) -> None:
    crew = fleet(6)
    for owner in ("daemon-a", "daemon-b", "daemon-c"):
        crew.join(owner)
    crew.round()
    assert crew.counts() == {"daemon-a": 2, "daemon-b": 2, "daemon-c": 2}
    leaver = crew.members["daemon-c"].keeper.owned
    crew.leave("daemon-c", graceful=graceful)
    if graceful:  # released at once: the next heartbeat shares them
        assert live_daemons(crew.store, crew.clock.now(), crew.links) == 2
        moves = crew.round()
    else:  # the leases live on until their ttl: meanwhile nobody takes them
        for _ in range(2):
            assert crew.round() and crew.counts() == {"daemon-a": 2, "daemon-b": 2}
        moves = crew.round()  # ttl after daemon-c's last renewal
        assert live_daemons(crew.store, crew.clock.now(), crew.links) == 2
    assert sorted(moves["daemon-a"].taken + moves["daemon-b"].taken) == sorted(leaver)
    assert crew.counts() == {"daemon-a": 3, "daemon-b": 3}


def test_only_daemons_running_the_same_links_count(fleet: Callable[[int], Fleet]) -> None:
    crew = fleet(4)
    crew.join("daemon-a")
    # Started on one link only (``pm-bridge daemon l0``), with an owner as long as the lease column allows.
    other = LeaseKeeper(crew.store, "h" * 188 + ":4242:abcdef", TTL, clock=crew.clock)
    other.announce(["l0"])
    assert live_daemons(crew.store, crew.clock.now(), ["l0"]) == 1
    assert {held.owner for held in holders(crew.store, [presence_name(other.owner, ["l0"])]).values()} == {other.owner}
    moves = crew.round()["daemon-a"]
    assert (moves.daemons, moves.share, moves.released) == (1, 4, [])  # counting it would strand two links
    assert crew.counts() == {"daemon-a": 4}
    other.release_all()


class Gate:
    """Holds the first client pull of ``link`` until opened: a cycle in flight on demand."""

    def __init__(self, link: str) -> None:
        self.link = link
        self.inside, self.open = threading.Event(), threading.Event()

    def __call__(self, event: Event) -> None:
        if isinstance(event, Pulled) and event.link == self.link and event.side == "client" and not self.inside.is_set():
            self.inside.set()
            self.open.wait(10)


def _config(tmp_path: Path, store_url: str, links: int, **daemon: float) -> tuple[Config, Tool]:
    tool = Tool()
    projects: dict[str, tuple[str, ...]] = {
        f"l{n}": (tool.agency_project(), tool.sandbox.create_project(f"Client {n}", [])) for n in range(links)
    }
    config = config_for(tmp_path, tool, projects, **daemon)
    return config.model_copy(update={"state": store_url}), tool


def test_a_link_whose_cycle_is_running_is_not_released(tmp_path: Path, store_url: str) -> None:
    config, _ = _config(tmp_path, store_url, 2, lease_ttl=60)
    Store.open(store_url).close()  # migrated before the daemons open it
    first, second = Daemon(config, port=0, owner="daemon-a"), Daemon(config, port=0, owner="daemon-b")
    try:
        first.keeper.announce(first.runner.links)
        assert first.balancer.rebalance().taken == ["l0", "l1"]
        gate = Gate("l0")
        first.runtime.engine.listeners.append(gate)
        outcome: list[str] = []
        cycle = threading.Thread(target=lambda: outcome.append(first.runner.tick("l0", "schedule")))
        cycle.start()
        assert gate.inside.wait(10)

        second.keeper.announce(second.runner.links)
        # Both are equally far from their next run (no scheduler here), so by name l0 would go: it is running.
        moves = first.balancer.rebalance()
        assert (moves.share, moves.released) == (1, ["l1"])
        assert second.balancer.rebalance().taken == ["l1"]
        assert {link: held.owner for link, held in holders(first.runtime.store, ["l0", "l1"]).items()} == {
            "l0": "daemon-a",
            "l1": "daemon-b",
        }
        gate.open.set()
        cycle.join(10)
        assert outcome == ["ok"] and first.keeper.owned == {"l0"}
        assert first.runner.tick("l1", "webhook") == "held"
        assert second.runner.tick("l1", "webhook") == "ok"
        assert first.balancer.rebalance().released == []  # at its share now
    finally:
        first.stop()
        second.stop()


def test_running_daemons_share_the_links_and_take_back_a_leavers_without_overlapping_cycles(
    tmp_path: Path, store_url: str, running: Callable[[Daemon], Daemon]
) -> None:
    config, _ = _config(tmp_path, store_url, 4, lease_ttl=1.5)  # a heartbeat every half second
    store = Store.open(store_url)
    try:
        first = running(Daemon(config, port=0, owner="daemon-a"))
        wait_for(lambda: len({r.link for r in runs_of(store) if r.finished_at}) == 4, what="every link's first cycle")
        assert first.keeper.owned == {"l0", "l1", "l2", "l3"}
        second = running(Daemon(config, port=0, owner="daemon-b"))
        wait_for(lambda: len(first.keeper.owned) == len(second.keeper.owned) == 2, timeout=10, what="an even share")
        assert not first.keeper.owned & second.keeper.owned
        moved = second.keeper.owned
        # Taken links run at once in their new daemon.
        wait_for(lambda: {r.link for r in runs_of(store)[4:] if r.finished_at} >= moved, what="the moved links' cycles")
        health = httpx.get(f"http://127.0.0.1:{second.port}/healthz").json()
        assert health["daemons"] == 2
        assert sorted(name for name, link in health["links"].items() if link["leased_here"]) == sorted(moved)

        second.stop()
        wait_for(lambda: len(first.keeper.owned) == 4, timeout=3, what="the survivor to take every link back")
        assert httpx.get(f"http://127.0.0.1:{first.port}/healthz").json()["daemons"] == 1
        assert_no_overlap(runs_of(store))
    finally:
        store.close()
