"""Bad input stops one link with a clear message, loses nothing, and leaves other links running."""

from __future__ import annotations

import pytest

from bridge.core.ports import NewTask
from bridge.sync.engine import LinkRuntime, LinkSide
from connectors.emulation.sandbox import USERS
from connectors.emulation.toolkit import Fault
from tests.engine.world import World, recorded


@pytest.fixture
def world(tmp_path: object) -> World:
    w = World("asana", "trello", f"sqlite:///{tmp_path}/state.db")
    w.anna.create_task(w.internal_project, NewTask(title="Homepage", section_id=w.section("Design")))
    assert w.sync().status == "ok"
    return w


def state_of(w: World) -> list[tuple[str, str, str | None]]:
    return sorted((p.kind, p.key, p.client_id) for p in w.store.pairs("acme"))


def test_revoked_token_fails_the_link_clearly_and_keeps_state(world: World) -> None:
    before = state_of(world)
    world.anna.create_task(world.internal_project, NewTask(title="Pricing page", section_id=world.section("Design")))
    world.csb.emulator.inject(Fault.UNAUTHORIZED, times=-1)
    report = world.sync()
    assert report.status == "failed"
    assert "refused the credential" in report.errors[0] and "token" in str(report.errors[0]).lower()
    for user in USERS.values():
        assert user.token not in " ".join(report.errors)
    assert state_of(world) == before
    world.csb.emulator.faults.clear()
    assert world.sync().status == "ok"
    assert len(state_of(world)) == len(before) + 1


def test_unknown_project_names_the_link_and_the_key_to_fix(world: World) -> None:
    link = world.link
    broken = LinkRuntime("broken", link.rules, link.internal, LinkSide(link.client.connector, "5f0000000000000000000000"))
    report = world.engine.run(broken)
    assert report.status == "failed"
    assert "links.broken.client.project" in report.errors[0]
    assert world.sync().status == "ok"  # the other link is untouched


def test_malformed_response_stops_the_cycle_without_writes(world: World) -> None:
    writes = world.client_writes()
    world.anna.create_task(world.internal_project, NewTask(title="Blog", section_id=world.section("Design")))
    world.csb.emulator.inject(Fault.MALFORMED, method="GET", times=-1)
    report = world.sync()
    assert report.status == "failed" and "JSON" in report.errors[0]
    assert world.client_writes() == writes
    world.csb.emulator.faults.clear()
    assert world.sync().status == "ok"
    assert "Blog" in {t.title for t in world.carla.pull(world.client_project).snapshot.tasks.values()}


def test_429_storm_is_waited_out_honouring_the_limits(world: World) -> None:
    world.anna.create_task(world.internal_project, NewTask(title="Blog", section_id=world.section("Design")))
    world.csb.emulator.inject(Fault.RATE_LIMIT, times=3)
    world.isb.emulator.inject(Fault.RATE_LIMIT, times=3)
    slept = len(world.clock.slept)
    report = world.sync()
    assert report.status == "ok", report.errors
    assert len(world.clock.slept) > slept  # it waited (on the virtual clock) instead of failing


def test_5xx_burst_on_reads_is_retried(world: World) -> None:
    world.csb.emulator.inject(Fault.FAIL_BEFORE, method="GET", times=2)
    world.isb.emulator.inject(Fault.FAIL_BEFORE, method="GET", times=2)
    assert world.sync().status == "ok"


def test_a_failed_write_is_retried_next_cycle_without_duplicates(world: World) -> None:
    world.anna.create_task(world.internal_project, NewTask(title="Blog", section_id=world.section("Design")))
    world.csb.emulator.inject(Fault.LOSE_RESPONSE, method="POST", path=r"^/cards$")
    assert world.sync().status == "partial"
    assert world.sync().status == "ok"
    titles = [t.title for t in world.carla.pull(world.client_project).snapshot.tasks.values()]
    assert sorted(titles) == ["Blog", "Homepage"]
    posts = [r for r in recorded(world.csb.emulator) if r.method == "POST" and r.path == "/cards"]
    assert len(posts) == 2  # Homepage once, Blog once: the lost response was adopted, not re-sent
