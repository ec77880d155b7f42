"""Incremental pulls through /events: cost, correctness against a full pull, recovery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bridge.clock import VirtualClock
from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, PullResult, PullState
from bridge.errors import NotFound
from connectors.asana import AsanaConnector, Sandbox
from connectors.asana.incremental import MAX_REFETCH
from connectors.emulation import Fault

from .asana_traffic import routes

# Asana bumps a task's modified_at when a story or attachment is added to it; an
# incremental pull re-reads only the activity then, so the marker may lag (content does not).
ACTIVITY_MARKERS = {"tasks": {"__all__": {"modified_at", "version"}}}


def differences(left: Snapshot, right: Snapshot) -> list[str]:
    """Readable differences between two snapshots' content (empty when equal)."""
    a, b = left.model_dump(exclude=ACTIVITY_MARKERS), right.model_dump(exclude=ACTIVITY_MARKERS)
    found = []
    for key in a:
        if isinstance(a[key], dict):
            for item in sorted(set(a[key]) | set(b[key])):
                if a[key].get(item) != b[key].get(item):
                    found.append(f"{key}[{item}]: {a[key].get(item)} != {b[key].get(item)}")
        elif a[key] != b[key]:
            found.append(f"{key}: {a[key]} != {b[key]}")
    return found


class Follower:
    """Keeps a cursor and snapshot between pulls, as the engine does."""

    def __init__(self, sandbox: Sandbox, connector: AsanaConnector, project: str) -> None:
        self.sandbox, self.connector, self.project = sandbox, connector, project
        first = connector.pull(project)
        self.state = PullState(cursor=first.cursor, snapshot=first.snapshot)

    def pull(self) -> PullResult:
        self.sandbox.emulator.clear_requests()
        result = self.connector.pull(self.project, self.state)
        self.state = PullState(cursor=result.cursor, snapshot=result.snapshot)
        return result

    @property
    def snapshot(self) -> Snapshot:
        assert self.state.snapshot is not None
        return self.state.snapshot

    def full(self) -> Snapshot:
        """What a fresh full pull sees right now (reads create no events)."""
        fresh = self.sandbox.connector("bridge")
        try:
            return fresh.pull(self.project).snapshot
        finally:
            fresh.close()

    def requests(self) -> int:
        return len(self.sandbox.emulator.requests)


@pytest.fixture
def seeded(sandbox: Sandbox, project: str, sections: dict[str, str]) -> dict[str, str]:
    ids = {name: sandbox.add_task(project, name, section_id=sections["Backlog"]) for name in ("alpha", "beta", "gamma")}
    ids["sub"] = sandbox.add_task(project, "sub", parent_id=ids["alpha"])
    ids["other"] = sandbox.add_task(project, "other", section_id=sections["Done"])
    return ids


@pytest.fixture
def follower(sandbox: Sandbox, project: str, seeded: dict[str, str], bridge: AsanaConnector) -> Iterator[Follower]:
    yield Follower(sandbox, bridge, project)


def test_nothing_new_costs_exactly_one_request(follower: Follower) -> None:
    before = follower.snapshot
    result = follower.pull()
    assert follower.requests() == 1
    assert result.full is False and result.snapshot == before
    assert result.cursor is not None


def test_a_restarted_process_also_pays_one_request(follower: Follower, sandbox: Sandbox, project: str) -> None:
    restarted = sandbox.connector("bridge")  # nothing cached: the cursor carries what it needs
    sandbox.emulator.clear_requests()
    result = restarted.pull(project, follower.state)
    assert [r.path for r in sandbox.emulator.requests] == ["/events"] and result.full is False
    restarted.close()


def test_lagging_feed_keeps_the_token(follower: Follower, sandbox: Sandbox) -> None:
    cursor = follower.state.cursor
    sandbox.emulator.inject(Fault.LAG, "GET", "^/events$")
    result = follower.pull()
    assert follower.requests() == 1 and result.cursor == cursor and result.full is False


def test_edits_by_another_user_match_a_full_pull(
    follower: Follower, anna: AsanaConnector, project: str, sections: dict[str, str], seeded: dict[str, str], sandbox: Sandbox
) -> None:
    snap = follower.snapshot
    carla = sandbox.user_ids["client"]
    steps = [
        lambda: anna.update_task(
            project, snap.tasks[seeded["alpha"]], {"title": "Alpha!", "done": True, "due": dt.date(2024, 6, 1)}
        ),
        lambda: anna.update_task(project, snap.tasks[seeded["beta"]], {"labels": ["client"], "assignees": [carla]}),
        lambda: anna.update_task(project, snap.tasks[seeded["gamma"]], {"section_id": sections["Done"]}),
        lambda: anna.update_task(project, snap.tasks[seeded["beta"]], {"custom_fields": {"Client access": "client"}}),
        lambda: anna.create_task(project, NewTask(title="new", section_id=sections["In progress"])),
        lambda: anna.create_task(project, NewTask(title="new sub", parent_id=seeded["beta"])),
        lambda: anna.create_comment(project, seeded["sub"], "on a subtask"),
        lambda: anna.create_attachment(project, seeded["alpha"], "Spec", "https://docs.example/spec"),
        lambda: anna.create_section(project, "QA"),
        lambda: anna.update_section(project, snap.sections[sections["Backlog"]], "Ideas"),
        lambda: anna.remove_task(project, snap.tasks[seeded["other"]], "archive"),
        lambda: anna.remove_task(project, snap.tasks[seeded["alpha"]], "delete"),  # takes its subtask along
    ]
    for number, step in enumerate(steps):
        step()
        result = follower.pull()
        assert result.full is False
        assert differences(result.snapshot, follower.full()) == [], f"after step {number}"


def test_comment_and_attachment_lifecycle(follower: Follower, anna: AsanaConnector, project: str, seeded: dict[str, str]) -> None:
    comment = anna.create_comment(project, seeded["beta"], "first")
    follower.pull()
    assert follower.snapshot.comments[comment.id].text == "first"
    anna.update_comment(project, comment, "edited")
    follower.pull()
    assert follower.snapshot.comments[comment.id].text == "edited"
    assert routes(follower.sandbox.emulator)["GET /tasks/{gid}/stories"] == 1
    anna.remove_comment(project, comment)
    link = anna.create_attachment(project, seeded["beta"], "Doc", "https://docs.example/d")
    follower.pull()
    assert comment.id not in follower.snapshot.comments and link.id in follower.snapshot.attachments
    anna.remove_attachment(project, link)
    follower.pull()
    assert follower.requests() == 1, "a deletion needs no read"
    assert link.id not in follower.snapshot.attachments
    assert differences(follower.snapshot, follower.full()) == []


def test_own_changes_to_known_items_are_skipped(
    follower: Follower, bridge: AsanaConnector, project: str, seeded: dict[str, str]
) -> None:
    snap = follower.snapshot.model_copy(deep=True)
    # The engine records each write's result in its snapshot...
    updated = bridge.update_task(project, snap.tasks[seeded["beta"]], {"title": "Beta (client)", "done": True})
    comment = bridge.create_comment(project, seeded["beta"], "From the client")
    created = bridge.create_task(project, NewTask(title="Mirrored", section_id=snap.tasks[seeded["beta"]].section_id))
    snap.tasks[updated.id] = updated
    snap.comments[comment.id] = comment
    snap.tasks[created.id] = created
    follower.state = PullState(cursor=follower.state.cursor, snapshot=snap)

    result = follower.pull()

    # ...so reading back its own events costs nothing beyond the events request.
    assert follower.requests() == 1
    assert result.snapshot == snap


def test_own_create_whose_response_was_lost_is_fetched(
    follower: Follower, bridge: AsanaConnector, project: str, sandbox: Sandbox
) -> None:
    sandbox.emulator.inject(Fault.LOSE_RESPONSE, "POST", "^/tasks$")
    with pytest.raises(Exception, match="timed out"):
        bridge.create_task(project, NewTask(title="Lost"))
    result = follower.pull()
    assert "Lost" in {t.title for t in result.snapshot.tasks.values()}
    assert differences(result.snapshot, follower.full()) == []


def test_deleted_task_seen_through_404_on_refetch(
    follower: Follower, anna: AsanaConnector, project: str, seeded: dict[str, str], sandbox: Sandbox
) -> None:
    anna.update_task(project, follower.snapshot.tasks[seeded["gamma"]], {"notes": "x"})
    sandbox.emulator.inject(Fault.NOT_FOUND, "GET", f"^/tasks/{seeded['gamma']}$")
    result = follower.pull()
    assert seeded["gamma"] not in result.snapshot.tasks and result.full is False


def test_expired_token_falls_back_to_a_full_pull(
    follower: Follower, anna: AsanaConnector, project: str, seeded: dict[str, str], clock: VirtualClock
) -> None:
    old_cursor = follower.state.cursor
    anna.update_task(project, follower.snapshot.tasks[seeded["beta"]], {"title": "changed meanwhile"})
    clock.advance(25 * 3600)  # sync tokens live 24 hours

    result = follower.pull()

    assert result.full is True and result.cursor != old_cursor
    events = [r for r in follower.sandbox.emulator.requests if r.path == "/events"]
    assert [r.status for r in events] == [412], "the 412's token is reused, not fetched again"
    assert result.snapshot.tasks[seeded["beta"]].title == "changed meanwhile"
    anna.update_task(project, result.snapshot.tasks[seeded["beta"]], {"title": "after recovery"})
    assert follower.pull().snapshot.tasks[seeded["beta"]].title == "after recovery"


def test_unreadable_cursor_means_full_pull(follower: Follower) -> None:
    follower.state = PullState(cursor="not json", snapshot=follower.snapshot)
    assert follower.pull().full is True


def test_more_than_100_events_are_read_page_by_page(
    follower: Follower, anna: AsanaConnector, project: str, seeded: dict[str, str]
) -> None:
    for i in range(120):
        anna.create_comment(project, seeded["gamma"], f"c{i}")
    result = follower.pull()
    counts = routes(follower.sandbox.emulator)
    # Two pages of events, then the one task's stories (two pages of 100 as well).
    assert counts == {"GET /events": 2, "GET /tasks/{gid}/stories": 2}
    assert len(result.snapshot.comments) == 120 and result.full is False


def test_changed_tasks_are_read_in_one_listing(
    follower: Follower, anna: AsanaConnector, project: str, seeded: dict[str, str], sandbox: Sandbox
) -> None:
    for name in ("alpha", "beta", "gamma", "other"):
        anna.update_task(project, follower.snapshot.tasks[seeded[name]], {"title": name.upper()})
    result = follower.pull()
    assert routes(sandbox.emulator) == {"GET /events": 1, "GET /tasks": 1}
    listing = sandbox.emulator.requests[-1]
    assert listing.query["project"] == [project] and listing.query["modified_since"]
    assert result.full is False and differences(result.snapshot, follower.full()) == []


def test_over_a_hundred_changed_tasks_page_through_the_listing(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    ids = [sandbox.add_task(project, f"t{i}", section_id=sections["Backlog"]) for i in range(130)]
    follower = Follower(sandbox, bridge, project)
    for gid in ids:
        anna.update_task(project, follower.snapshot.tasks[gid], {"notes": "bulk edit"})
    result = follower.pull()
    # 260 events (a change and a story each) in three pages, then two pages of tasks.
    assert routes(sandbox.emulator) == {"GET /events": 3, "GET /tasks": 2}
    assert result.full is False and {t.notes for t in result.snapshot.tasks.values()} == {"bulk edit"}
    assert differences(result.snapshot, follower.full()) == []


def test_the_listing_stops_once_it_costs_more_than_the_reads_it_saves(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    ids = [sandbox.add_task(project, f"t{i}", section_id=sections["Backlog"]) for i in range(150)]
    follower = Follower(sandbox, bridge, project)
    for gid in ids:  # the bridge's own edits: skipped, yet modified within the listing's window
        follower.snapshot.tasks[gid] = bridge.update_task(project, follower.snapshot.tasks[gid], {"notes": "ours"})
    for gid in (ids[0], ids[140]):
        anna.update_task(project, follower.snapshot.tasks[gid], {"title": "theirs"})
    result = follower.pull()
    # Two tasks are worth one page: the one on the second page is read on its own.
    counts = routes(sandbox.emulator)
    assert (counts["GET /tasks"], counts["GET /tasks/{gid}"]) == (1, 1)
    assert sandbox.emulator.requests[-1].path == f"/tasks/{ids[140]}"
    assert differences(result.snapshot, follower.full()) == []


def test_changed_subtasks_are_read_per_parent(
    follower: Follower, anna: AsanaConnector, project: str, seeded: dict[str, str], sandbox: Sandbox
) -> None:
    second = sandbox.add_task(project, "sub 2", parent_id=seeded["alpha"])
    lone = sandbox.add_task(project, "lone sub", parent_id=seeded["beta"])
    follower.pull()
    snap = follower.snapshot
    for gid in (seeded["sub"], second, lone):
        anna.update_task(project, snap.tasks[gid], {"done": True})
    result = follower.pull()
    # Not project members: alpha's two through its subtask listing, beta's one on its own.
    assert routes(sandbox.emulator) == {"GET /events": 1, "GET /tasks/{gid}/subtasks": 1, "GET /tasks/{gid}": 1}
    assert differences(result.snapshot, follower.full()) == []


def test_a_task_the_listing_misses_is_read_on_its_own(
    follower: Follower, anna: AsanaConnector, project: str, seeded: dict[str, str], sandbox: Sandbox, clock: VirtualClock
) -> None:
    clock.advance(3600)
    for name in ("alpha", "beta"):
        anna.update_task(project, follower.snapshot.tasks[seeded[name]], {"title": name.upper()})
    with sandbox.emulator.lock:  # beta's stamp lags its event by more than the listing's margin
        sandbox.emulator.store.task(seeded["beta"]).modified_at = "2024-01-01T00:00:00.000Z"
    result = follower.pull()
    assert routes(sandbox.emulator) == {"GET /events": 1, "GET /tasks": 1, "GET /tasks/{gid}": 1}
    assert sandbox.emulator.requests[-1].path == f"/tasks/{seeded['beta']}"
    assert differences(result.snapshot, follower.full()) == []


def test_tasks_moved_inside_their_section_are_not_listed(
    follower: Follower, project: str, sections: dict[str, str], seeded: dict[str, str], sandbox: Sandbox
) -> None:
    emulator = sandbox.emulator
    with emulator.lock:  # a move inside a section leaves modified_at alone: a listing would not hold them
        backlog, anna = emulator.store.section(sections["Backlog"]), sandbox.user_ids["human"]
        for name in ("beta", "gamma"):
            emulator.task_writes.move_to_section(anna, backlog, emulator.store.task(seeded[name]), None, None)
    result = follower.pull()
    assert routes(emulator) == {"GET /events": 1, "GET /tasks/{gid}": 2, "GET /sections/{gid}/tasks": 1}
    assert differences(result.snapshot, follower.full()) == []


def test_many_changed_tasks_no_listing_holds_mean_a_full_pull(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    parents = [sandbox.add_task(project, f"p{i}", section_id=sections["Backlog"]) for i in range(MAX_REFETCH + 5)]
    subs = [sandbox.add_task(project, f"s{i}", parent_id=parent) for i, parent in enumerate(parents)]
    follower = Follower(sandbox, bridge, project)
    for gid in subs:
        anna.update_task(project, follower.snapshot.tasks[gid], {"notes": "bulk edit"})
    result = follower.pull()
    assert result.full is True
    assert {follower.snapshot.tasks[gid].notes for gid in subs} == {"bulk edit"}
    assert follower.pull().full is False


def test_task_joining_the_project_brings_its_activity(follower: Follower, sandbox: Sandbox, project: str) -> None:
    emulator, anna = sandbox.emulator, sandbox.user_ids["human"]
    with emulator.lock:  # prepared outside the project, as someone would in "My tasks"
        writes = emulator.task_writes
        outsider = writes.create(anna, {"name": "Outsider", "workspace": emulator.store.workspace.gid})
        child = writes.create(anna, {"name": "Child"}, parent=outsider)
        emulator.store.story_added(anna, child, "comment_added", "on the child")
        emulator.store.add_attachment(anna, outsider, "Spec", "https://docs.example/s")
    follower.pull()
    assert "Outsider" not in {t.title for t in follower.snapshot.tasks.values()}

    with emulator.lock:
        writes.add_to_project(anna, outsider, emulator.store.project(project), None)
    result = follower.pull()

    assert {outsider.gid, child.gid} <= set(result.snapshot.tasks)
    assert differences(result.snapshot, follower.full()) == []


def test_events_of_a_vanished_project(follower: Follower, sandbox: Sandbox, project: str) -> None:
    with sandbox.emulator.lock:
        del sandbox.emulator.store.projects[project]
    with pytest.raises(NotFound, match=f"project {project} does not exist"):
        follower.pull()
