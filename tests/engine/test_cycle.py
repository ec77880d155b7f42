"""End-to-end cycles on emulated tools: mirror, client input, idempotence, regressions users hit."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.core.ports import NewTask
from bridge.core.rules import SectionRule
from tests.engine.world import World, recorded

PAIRS = [("memory", "memory"), ("asana", "trello")]


@pytest.fixture(params=PAIRS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def world(request: pytest.FixtureRequest, tmp_path: object) -> World:
    internal_kind, client_kind = request.param
    return World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db")


def seed(w: World) -> dict[str, str]:
    design, qa = w.section("Design"), w.section("Internal QA")
    p = w.internal_project
    ids = {
        "home": w.anna.create_task(
            p, NewTask(title="Homepage layout", notes="Hero\n---internal---\nmargin 40%", section_id=design)
        ).id,
        "secret": w.anna.create_task(p, NewTask(title="Fix staging creds SECRET-1", section_id=qa)).id,
        "shared_qa": w.anna.create_task(p, NewTask(title="Sign off test plan", section_id=qa, **w.access("client"))).id,
        "hidden_design": w.anna.create_task(p, NewTask(title="Pricing SECRET-2", section_id=design, **w.access("none"))).id,
    }
    w.anna.create_comment(p, ids["home"], "#client first draft is up")
    w.anna.create_comment(p, ids["home"], "logged 3h SECRET-3")
    w.anna.create_comment(p, ids["secret"], "#client SECRET-4 even marked, the task is hidden")
    return ids


def client_titles(w: World) -> dict[str, str]:
    snap = w.carla.pull(w.client_project).snapshot
    return {t.title: snap.sections[t.section_id].name if t.section_id in snap.sections else "" for t in snap.tasks.values()}


def test_first_sync_mirrors_exactly_the_shared_work(world: World) -> None:
    seed(world)
    report = world.sync()
    assert report.status == "ok", report.errors
    assert client_titles(world) == {"Homepage layout": "Design", "Sign off test plan": "Shared with you"}
    snap = world.carla.pull(world.client_project).snapshot
    assert sorted(c.text for c in snap.comments.values()) == ["Anna Agency: first draft is up"]
    assert [t.notes for t in snap.tasks.values() if t.title == "Homepage layout"] == ["Hero"]
    leaked = [r.text for r in recorded(world.csb.emulator) if "SECRET" in r.text or "margin" in r.text]
    assert leaked == []


def test_second_cycle_sends_no_writes_and_few_reads(world: World) -> None:
    seed(world)
    world.sync()
    world.sync()  # absorbs the echoes of the first cycle's writes
    before_c, before_i = len(recorded(world.csb.emulator)), len(recorded(world.isb.emulator))
    writes_c, writes_i = world.client_writes(), world.internal_writes()
    report = world.sync()
    assert report.status == "ok" and report.applied == 0
    assert (world.client_writes(), world.internal_writes()) == (writes_c, writes_i)
    assert len(recorded(world.csb.emulator)) - before_c <= 1
    assert len(recorded(world.isb.emulator)) - before_i <= 1


def test_client_input_comes_back_attributed(world: World) -> None:
    ids = seed(world)
    world.sync()
    snap = world.carla.pull(world.client_project).snapshot
    card = next(t for t in snap.tasks.values() if t.title == "Homepage layout")
    world.carla.create_comment(world.client_project, card.id, "Love it, ship it")
    world.carla.update_task(world.client_project, card, {"done": True})
    report = world.sync()
    assert report.status == "ok", report.errors
    internal = world.anna.pull(world.internal_project).snapshot
    assert internal.tasks[ids["home"]].done is True
    texts = [c.text for c in internal.comments.values() if c.task_id == ids["home"]]
    assert "Client Carla Client: Love it, ship it" in texts
    world.sync()
    again = world.carla.pull(world.client_project).snapshot
    assert sorted(c.text for c in again.comments.values()) == ["Anna Agency: first draft is up", "Love it, ship it"]


def test_approval_and_new_requests_flow_back(world: World) -> None:
    ids = seed(world)
    world.sync()
    snap = world.carla.pull(world.client_project).snapshot
    approved = next(s.id for s in snap.sections.values() if s.name == "Approved")
    card = next(t for t in snap.tasks.values() if t.title == "Homepage layout")
    world.carla.update_task(world.client_project, card, {"section_id": approved})
    world.carla.create_task(world.client_project, NewTask(title="Add a blog", notes="please", section_id=card.section_id))
    assert world.sync().status == "ok"
    internal = world.anna.pull(world.internal_project).snapshot
    assert "client-approved" in internal.tasks[ids["home"]].labels
    request = next(t for t in internal.tasks.values() if t.title == "Add a blog")
    assert internal.sections[request.section_id or ""].name == "Client requests"
    # Converged within that one cycle: the request's card already sits where the mirror puts it
    # (its intake section is locked, so the shared list) and the next cycle writes nothing.
    assert client_titles(world)["Add a blog"] == "Shared with you"
    assert client_titles(world)["Homepage layout"] == "Approved"
    writes = (world.client_writes(), world.internal_writes())
    report = world.sync()
    assert (report.status, report.applied, report.plan and report.plan.conflicts) == ("ok", 0, [])
    assert (world.client_writes(), world.internal_writes()) == writes


def test_hidden_later_is_removed_and_shared_later_is_created(world: World) -> None:
    ids = seed(world)
    world.sync()
    internal = world.anna.pull(world.internal_project).snapshot
    world.anna.update_task(world.internal_project, internal.tasks[ids["home"]], world.access("none"))
    world.anna.update_task(world.internal_project, internal.tasks[ids["hidden_design"]], world.access("client"))
    assert world.sync().status == "ok"
    assert set(client_titles(world)) == {"Sign off test plan", "Pricing SECRET-2"}
    world.sync()
    assert world.sync().applied == 0


def test_closed_then_reopened_and_completed_before_first_sync(world: World) -> None:
    design = world.section("Design")
    done_early = world.anna.create_task(world.internal_project, NewTask(title="Kickoff", section_id=design, done=True))
    flip = world.anna.create_task(world.internal_project, NewTask(title="Wireframes", section_id=design))
    world.sync()
    snap = world.carla.pull(world.client_project).snapshot
    assert {t.title: t.done for t in snap.tasks.values()} == {"Kickoff": True, "Wireframes": False}
    world.anna.update_task(world.internal_project, flip, {"done": True})
    world.sync()
    current = world.anna.pull(world.internal_project).snapshot.tasks[flip.id]
    world.anna.update_task(world.internal_project, current, {"done": False})
    world.sync()
    snap = world.carla.pull(world.client_project).snapshot
    assert {t.title: t.done for t in snap.tasks.values()} == {"Kickoff": True, "Wireframes": False}
    assert done_early.done


def test_due_dates_travel_where_both_tools_hold_them(world: World) -> None:
    design = world.section("Design")
    world.anna.create_task(world.internal_project, NewTask(title="Launch", section_id=design, due=dt.date(2031, 3, 1)))
    world.sync()
    snap = world.carla.pull(world.client_project).snapshot
    assert [t.due for t in snap.tasks.values()] == [dt.date(2031, 3, 1)]


def test_approval_into_an_internal_section_that_does_not_exist_yet(world: World) -> None:
    from bridge.core.rules import ApprovalRule, InboundRules

    assert world.rules is not None
    inbound = InboundRules(approval=ApprovalRule(internal_label=None, internal_section="Signed off"))
    world.rules = world.rules.model_copy(update={"inbound": inbound})
    ids = seed(world)
    world.sync()
    snap = world.carla.pull(world.client_project).snapshot
    approved = next(s.id for s in snap.sections.values() if s.name == "Approved")
    card = next(t for t in snap.tasks.values() if t.title == "Homepage layout")
    world.carla.update_task(world.client_project, card, {"section_id": approved})
    assert world.sync().status == "ok"
    internal = world.anna.pull(world.internal_project).snapshot
    moved = internal.tasks[ids["home"]]
    assert internal.sections[moved.section_id or ""].name == "Signed off"  # created on first use
    # The section is locked, yet the approved card stays with the client, in the approval list.
    assert client_titles(world) == {"Homepage layout": "Approved", "Sign off test plan": "Shared with you"}
    writes = (world.client_writes(), world.internal_writes())
    assert world.sync().applied == 0
    assert (world.client_writes(), world.internal_writes()) == writes


def test_client_lists_come_out_in_the_internal_order(world: World) -> None:
    assert world.rules is not None
    sections = {name: SectionRule(access="unlocked") for name in ("Design", "Build")}
    world.rules = world.rules.model_copy(update={"mirror": world.rules.mirror.model_copy(update={"sections": sections})})
    seed(world)
    for _ in range(3):  # concurrency used to shuffle them now and then
        world.sync()
    snap = world.carla.pull(world.client_project).snapshot
    ordered = [s.name for s in sorted(snap.sections.values(), key=lambda s: s.position)]
    assert ordered == ["Shared with you", "Design", "Build", "Approved"]
