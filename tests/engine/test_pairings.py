"""Any pairing: every ordered (internal, client) pair of the four tools, end to end through their emulators.

Each scenario checks what only a full cycle can show: the client sees exactly the
shared work (within what both tools can hold), edits and comments travel the way
the link's rules say, hidden and removed tasks leave the client's tool, a quiet
cycle writes nothing, and no hidden text ever reaches the client tool's API.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.core.model import Snapshot
from bridge.core.ports import NewTask
from connectors.emulation.toolkit import Fault
from tests.engine.world import FAULT_ROUTES, World, default_rules, inject, recorded

TOOLS = ("asana", "trello", "github", "basecamp")
PAIRS = [(internal, client) for internal in TOOLS for client in TOOLS if internal != client]
# Text that exists only in hidden places: a request carrying any of it to the client tool is a leak.
HIDDEN = ("SECRET", "margin 40%", "---internal---", "[internal]")
LAUNCH = dt.date(2031, 3, 1)
# Display names as every tool shows them (GitHub from the public profile, /users/{login}).
ANNA_NAME, CARLA_NAME = "Anna Agency", "Carla Client"


@pytest.fixture(params=PAIRS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    internal_kind, client_kind = request.param
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db")
    yield w
    w.store.close()


def holds(w: World, field: str) -> bool:
    """Whether a task field can travel on this link: both tools must be able to hold it."""
    return field in w.bridge_internal.capabilities.task_fields and field in w.bridge_client.capabilities.task_fields


def seed(w: World) -> dict[str, str]:
    """Anna's project: shared, hidden and locked work, comments marked and not, a dated task, files."""
    design, qa = w.section("Design"), w.section("Internal QA")
    p = w.internal_project
    dated = {"due": LAUNCH} if "due" in w.bridge_internal.capabilities.task_fields else {}
    ids = {
        "home": w.anna.create_task(
            p, NewTask(title="Homepage layout", notes="Hero\n---internal---\nmargin 40%", section_id=design)
        ).id,
        "secret": w.anna.create_task(p, NewTask(title="Fix staging creds SECRET-1", section_id=qa)).id,
        "sign_off": w.anna.create_task(p, NewTask(section_id=qa, **w.access("client", title="Sign off test plan"))).id,
        "pricing": w.anna.create_task(p, NewTask(section_id=design, **w.access("none", title="Pricing SECRET-2"))).id,
        "launch": w.anna.create_task(p, NewTask(title="Launch", section_id=design, **dated)).id,
    }
    w.anna.create_comment(p, ids["home"], "#client first draft is up")
    w.anna.create_comment(p, ids["home"], "logged 3h SECRET-3")
    w.anna.create_comment(p, ids["secret"], "#client SECRET-4 marked, but the task is hidden")
    if w.bridge_internal.capabilities.attachments != "none":
        w.anna.create_attachment(p, ids["home"], "[client] Brief.pdf", "https://files.example/brief.pdf")
        w.anna.create_attachment(p, ids["home"], "Budget SECRET-5.xlsx", "https://files.example/budget.xlsx")
    return ids


def client_view(w: World) -> Snapshot:
    return w.carla.pull(w.client_project).snapshot


def internal_view(w: World) -> Snapshot:
    return w.anna.pull(w.internal_project).snapshot


def titles(snap: Snapshot) -> dict[str, str]:
    """Task title -> its section's name."""
    return {t.title: snap.sections[t.section_id].name if t.section_id in snap.sections else "" for t in snap.tasks.values()}


def by_title(snap: Snapshot, title: str) -> str:
    return next(t.id for t in snap.tasks.values() if t.title == title)


def assert_no_leaks(w: World) -> None:
    leaked = [r.text[:300] for r in recorded(w.csb.emulator) if any(h in r.text for h in HIDDEN)]
    assert leaked == []


def assert_quiet(w: World) -> None:
    """The next cycle finds nothing to do and sends no write request to either tool."""
    writes = (w.client_writes(), w.internal_writes())
    report = w.sync()
    assert report.status == "ok", report.errors
    assert report.applied == 0
    assert (w.client_writes(), w.internal_writes()) == writes


def synced(w: World) -> None:
    report = w.sync()
    assert report.status == "ok", report.errors


def test_first_mirror_shows_exactly_the_shared_work(world: World) -> None:
    seed(world)
    synced(world)
    snap = client_view(world)
    assert titles(snap) == {"Homepage layout": "Design", "Sign off test plan": "Shared with you", "Launch": "Design"}
    tasks = {t.title: t for t in snap.tasks.values()}
    assert tasks["Homepage layout"].notes == "Hero"
    assert tasks["Launch"].due == (LAUNCH if holds(world, "due") else None)
    assert sorted(c.text for c in snap.comments.values()) == [f"{ANNA_NAME}: first draft is up"]
    files = sorted(a.name for a in snap.attachments.values())
    both_hold_files = "none" not in (world.bridge_internal.capabilities.attachments, world.bridge_client.capabilities.attachments)
    assert files == (["Brief.pdf"] if both_hold_files else [])
    assert_quiet(world)
    assert_no_leaks(world)


def test_an_edit_on_each_side_travels_its_way(world: World) -> None:
    ids = seed(world)
    synced(world)
    internal = internal_view(world)
    notes = "Hero, bigger\n---internal---\nmargin 45% SECRET-6"
    world.anna.update_task(world.internal_project, internal.tasks[ids["home"]], {"title": "Homepage v2", "notes": notes})
    moved = {"done": True} | ({"due": LAUNCH + dt.timedelta(days=7)} if holds(world, "due") else {})
    world.anna.update_task(world.internal_project, internal.tasks[ids["launch"]], moved)
    client = client_view(world)
    world.carla.update_task(world.client_project, client.tasks[by_title(client, "Sign off test plan")], {"done": True})
    synced(world)
    snap = client_view(world)
    assert snap.tasks[by_title(snap, "Homepage v2")].notes == "Hero, bigger"
    launch = snap.tasks[by_title(snap, "Launch")]
    assert (launch.done, launch.due) == (True, moved.get("due"))
    assert internal_view(world).tasks[ids["sign_off"]].done is True
    assert_quiet(world)
    assert_no_leaks(world)


def test_a_comment_each_way_arrives_once(world: World) -> None:
    ids = seed(world)
    synced(world)
    world.anna.create_comment(world.internal_project, ids["launch"], "#client going live Monday")
    world.anna.create_comment(world.internal_project, ids["launch"], "ops on call SECRET-7")
    client = client_view(world)
    said = world.carla.create_comment(world.client_project, by_title(client, "Homepage layout"), "Love it")
    synced(world)
    internal = [c.text for c in internal_view(world).comments.values() if c.task_id == ids["home"]]
    assert internal.count(f"Client {CARLA_NAME}: Love it") == 1
    world.carla.update_comment(world.client_project, client_view(world).comments[said.id], "Love it, ship it")
    synced(world)
    internal = [c.text for c in internal_view(world).comments.values() if c.task_id == ids["home"]]
    assert [t for t in internal if t.startswith("Client ")] == [f"Client {CARLA_NAME}: Love it, ship it"]
    assert_quiet(world)
    snap = client_view(world)
    assert sorted(c.text for c in snap.comments.values()) == sorted(
        [f"{ANNA_NAME}: first draft is up", f"{ANNA_NAME}: going live Monday", "Love it, ship it"]
    )
    assert_no_leaks(world)


def test_a_hidden_and_a_removed_task_leave_the_client(world: World) -> None:
    ids = seed(world)
    synced(world)
    internal = internal_view(world)
    home = internal.tasks[ids["home"]]
    world.anna.update_task(world.internal_project, home, world.access("none", title=home.title))
    world.anna.remove_task(world.internal_project, internal.tasks[ids["sign_off"]], "delete")
    synced(world)
    assert set(titles(client_view(world))) == {"Launch"}
    # Once hidden, later edits stay internal.
    hidden = internal_view(world).tasks[ids["home"]]
    world.anna.update_task(world.internal_project, hidden, {"notes": "now about SECRET-8"})
    synced(world)
    assert set(titles(client_view(world))) == {"Launch"}
    assert_quiet(world)
    assert_no_leaks(world)


def test_approval_a_request_and_a_one_way_field_from_the_client(world: World) -> None:
    ids = seed(world)
    synced(world)
    client = client_view(world)
    approved = next(s.id for s in client.sections.values() if s.name == "Approved")
    home = client.tasks[by_title(client, "Homepage layout")]
    world.carla.update_task(world.client_project, home, {"section_id": approved})
    # Titles go one way (internal wins): the client's rename is put back, not carried in.
    sign_off = client.tasks[by_title(client, "Sign off test plan")]
    world.carla.update_task(world.client_project, sign_off, {"title": "Sign off (our wording)"})
    world.carla.create_task(world.client_project, NewTask(title="Add a blog", notes="please", section_id=home.section_id))
    synced(world)
    internal = internal_view(world)
    approval = world.rules.inbound.approval if world.rules else None
    assert approval is not None
    if approval.internal_label:
        assert approval.internal_label in internal.tasks[ids["home"]].labels
    else:  # no labels in the internal tool (Basecamp): the approval moves the task to a list
        assert internal.sections[internal.tasks[ids["home"]].section_id or ""].name == approval.internal_section
    request = next(t for t in internal.tasks.values() if t.title.startswith("Add a blog"))
    assert internal.sections[request.section_id or ""].name == "Client requests"
    assert internal.tasks[ids["sign_off"]].title == world.access("client", title="Sign off test plan")["title"]
    synced(world)  # the request comes back shared, under the client's own wording
    snap = client_view(world)
    assert titles(snap)["Homepage layout"] == "Approved"
    assert {"Add a blog", "Sign off test plan"} <= set(titles(snap))
    assert "Sign off (our wording)" not in titles(snap)
    assert_quiet(world)
    assert_no_leaks(world)


def add_subtasks(w: World, ids: dict[str, str]) -> bool:
    """A shared and a hidden subtask under the seeded tasks; False where the tool does not nest (Basecamp to-dos)."""
    if w.bridge_internal.capabilities.nested_depth == 0:
        return False
    w.anna.create_task(w.internal_project, NewTask(title="Pick hero image", parent_id=ids["home"]))
    w.anna.create_task(w.internal_project, NewTask(title="Rotate keys SECRET-9", parent_id=ids["secret"]))
    return True


def test_subtasks_and_comment_edits_follow(world: World) -> None:
    ids = seed(world)
    nests = add_subtasks(world, ids)
    synced(world)
    internal = internal_view(world)
    shared = next(c for c in internal.comments.values() if c.text.startswith("#client first"))
    world.anna.update_comment(world.internal_project, shared, "#client first draft is up (v2)")
    if nests:
        sub = next(t for t in internal.tasks.values() if t.title == "Pick hero image")
        world.anna.update_task(world.internal_project, sub, {"title": "Pick hero image (final)", "done": True})
    synced(world)
    snap = client_view(world)
    assert [c.text for c in snap.comments.values()] == [f"{ANNA_NAME}: first draft is up (v2)"]
    if nests:
        sub_copy = snap.tasks[by_title(snap, "Pick hero image (final)")]
        assert sub_copy.done is True
        if world.bridge_client.capabilities.nested_depth > 0:
            assert sub_copy.parent_id == by_title(snap, "Homepage layout")
        else:  # a client tool without nesting holds the subtask as a task of its own, in its parent's list
            assert (sub_copy.parent_id, titles(snap)["Pick hero image (final)"]) == (None, "Design")
    assert_quiet(world)
    assert_no_leaks(world)


# -- faults on the client side: a create that happened but did not answer -------------------------

FAULT_CASES = [
    (client, fault, op)
    for client in TOOLS
    for fault in (Fault.FAIL_AFTER, Fault.LOSE_RESPONSE)
    for op in ("create_task", "create_comment")
]


def creates(w: World, op: str) -> int:
    """Requests the client tool received on the route of connector operation ``op``."""
    method, path = FAULT_ROUTES[w.client_kind][op]
    return sum(1 for r in recorded(w.csb.emulator) if r.method == method and re.search(path, r.path))


@pytest.mark.parametrize(("client_kind", "fault", "op"), FAULT_CASES, ids=lambda v: getattr(v, "value", v))
def test_a_create_lost_on_the_client_side_is_not_duplicated(client_kind: str, fault: Fault, op: str, tmp_path: Path) -> None:
    internal_kind = TOOLS[(TOOLS.index(client_kind) + 1) % len(TOOLS)]
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db")
    design = w.section("Design")
    home = w.anna.create_task(w.internal_project, NewTask(title="Homepage layout", section_id=design))
    w.anna.create_task(w.internal_project, NewTask(title="Pricing page", section_id=design))
    w.anna.create_comment(w.internal_project, home.id, "#client first draft is up")
    inject(w.csb, client_kind, fault, op)
    first = w.sync()
    assert (first.status, first.failed) == ("partial", 1), first.errors
    assert w.csb.emulator.faults == []  # the fault did fire, on the create it aimed at
    made = creates(w, op)
    synced(w)
    assert creates(w, op) == made  # the rerun adopted what the lost create made instead of making it again
    snap = client_view(w)
    assert sorted(t.title for t in snap.tasks.values()) == ["Homepage layout", "Pricing page"]
    assert [c.text for c in snap.comments.values()] == [f"{ANNA_NAME}: first draft is up"]
    assert_quiet(w)
    w.store.close()


ORDERED = [(i, c) for i, c in PAIRS if "github" not in (i, c)]  # GitHub issues have no order


@pytest.mark.parametrize(("internal_kind", "client_kind"), ORDERED, ids=[f"{i}-to-{c}" for i, c in ORDERED])
def test_the_client_list_follows_the_agencys_order(internal_kind: str, client_kind: str, tmp_path: Path) -> None:
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db")
    try:
        design, p = w.section("Design"), w.internal_project
        made = {name: w.anna.create_task(p, NewTask(title=name, section_id=design)).id for name in "ABCD"}
        synced(w)

        def client_order() -> list[str]:
            snap = client_view(w)
            return [t.title for t in sorted(snap.tasks.values(), key=lambda t: t.position) if t.title in "ABCDE"]

        assert client_order() == list("ABCD")
        inside = internal_view(w)
        w.anna.update_task(p, inside.tasks[made["D"]], {"after": None})  # D to the top
        e = w.anna.create_task(p, NewTask(title="E", section_id=design))
        w.anna.update_task(p, e, {"after": made["A"]})  # E between A and B
        synced(w)
        assert client_order() == list("DAEBC")
        assert_quiet(w)

        # The client drags C to the top: the mirror owns order and puts it back.
        snap = client_view(w)
        w.carla.update_task(w.client_project, snap.tasks[by_title(snap, "C")], {"after": None})
        synced(w)
        assert client_order() == list("DAEBC")
        assert_quiet(w)
    finally:
        w.store.close()


TWINNED = PAIRS  # on GitHub the twin link is a link comment of its own (docs/files.md)


@pytest.mark.parametrize(("internal_kind", "client_kind"), TWINNED, ids=[f"{i}-to-{c}" for i, c in TWINNED])
def test_twin_links_point_each_internal_task_at_its_client_copy(internal_kind: str, client_kind: str, tmp_path: Path) -> None:
    rules = default_rules(internal_kind).model_copy(update={"twin_links": "internal"})
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db", rules=rules)
    try:
        design, p = w.section("Design"), w.internal_project
        home = w.anna.create_task(p, NewTask(title="Homepage", section_id=design))
        synced(w)
        card = client_view(w).tasks[by_title(client_view(w), "Homepage")]
        assert card.url
        twins = [a for a in internal_view(w).attachments.values() if a.name == "Client's copy"]
        assert [(t.task_id, t.url) for t in twins] == [(home.id, card.url)]
        assert not any("Client's copy" in r.text for r in recorded(w.csb.emulator))  # never the other way round
        assert_quiet(w)

        w.anna.update_task(p, internal_view(w).tasks[home.id], w.access("none", title="Homepage"))
        synced(w)
        assert [a for a in internal_view(w).attachments.values() if a.name == "Client's copy"] == []
        assert_quiet(w)
    finally:
        w.store.close()
