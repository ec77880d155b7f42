"""A copy the client archives is restored, not recreated (issue 10: archived duplicates piled up)."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.core.ports import NewTask, PullState
from tests.engine.world import World


@pytest.fixture
def world(tmp_path: object) -> World:
    return World("memory", "trello", f"sqlite:///{tmp_path}/state.db")


def seed(world: World) -> str:
    p = world.internal_project
    task = world.anna.create_task(p, NewTask(title="Homepage", notes="Hero", section_id=world.section("Design")))
    world.anna.create_task(p, NewTask(title="Hero image", parent_id=task.id))
    world.anna.create_comment(p, task.id, "#client first draft is up")
    return task.id


@pytest.mark.parametrize("pull", ["incremental", "full"])
def test_an_archived_card_is_restored_with_its_comments_and_the_next_cycle_is_quiet(world: World, pull: str) -> None:
    seed(world)
    assert world.sync().status == "ok"
    board = world.client_project
    (card,) = [t for t in world.carla.pull(board).snapshot.tasks.values() if t.parent_id is None]
    world.carla.create_comment(board, card.id, "Looks good")
    assert world.sync().status == "ok"
    world.carla.remove_task(board, card, "archive")
    if pull == "full":  # no cursor: the bridge reads the whole board
        world.store.save_snapshot(world.link.name, "client", world.carla.pull(board).snapshot, None)

    report = world.sync()
    assert report.status == "ok", report.errors
    assert [(op.action, op.written) for op in report.plan.writes("client")] == [("update", {"archived": False})]
    snap = world.carla.pull(board).snapshot
    assert [t.id for t in snap.tasks.values() if t.parent_id is None] == [card.id]  # the same card, open again
    assert [t.title for t in snap.tasks.values() if t.parent_id == card.id] == ["Hero image"]  # not a copy
    assert sorted(c.text for c in snap.comments.values()) == ["Anna Agency: first draft is up", "Looks good"]
    assert list(world.csb.emulator.world.cards) == [card.id]  # no archived duplicate either

    writes = world.client_writes(), world.internal_writes()
    for _ in range(2):
        assert world.sync().status == "ok"
    assert (world.client_writes(), world.internal_writes()) == writes


def test_a_trello_pull_reads_an_archived_card_as_archived(world: World) -> None:
    board = world.client_project
    section = world.carla.create_section(board, "Todo")
    card = world.carla.create_task(board, NewTask(title="Old", section_id=section.id))
    world.carla.create_comment(board, card.id, "kept")
    first = world.bridge_client.pull(board)
    world.carla.remove_task(board, card, "archive")
    incremental = world.bridge_client.pull(board, PullState(cursor=first.cursor, snapshot=first.snapshot))
    full = world.bridge_client.pull(board)
    for snap in (incremental.snapshot, full.snapshot):
        assert card.id not in snap.tasks
        assert list(snap.archived) == [card.id] and snap.archived[card.id].title == "Old"
        assert [c.text for c in snap.comments.values()] == ["kept"]


# -- Basecamp: a to-do the client archives or trashes --------------------------------------------


@pytest.fixture
def basecamp(tmp_path: object) -> World:
    return World("memory", "basecamp", f"sqlite:///{tmp_path}/state.db")


def _todos(world: World) -> list[Any]:
    return [r for r in world.csb.emulator.store.recordings.values() if r.type == "Todo"]


@pytest.mark.parametrize("pull", ["incremental", "full"])
@pytest.mark.parametrize("mode", ["archive", "delete"])  # "delete" trashes the to-do
def test_a_basecamp_todo_the_client_archives_or_trashes_is_restored(basecamp: World, mode: str, pull: str) -> None:
    world = basecamp
    p = world.internal_project
    task = world.anna.create_task(p, NewTask(title="Homepage", notes="Hero", section_id=world.section("Design")))
    world.anna.create_comment(p, task.id, "#client first draft is up")
    assert world.sync().status == "ok"
    project = world.client_project
    (todo,) = world.carla.pull(project).snapshot.tasks.values()
    world.carla.create_comment(project, todo.id, "Looks good")
    assert world.sync().status == "ok"
    world.carla.remove_task(project, todo, mode)
    if pull == "full":  # no cursor: the bridge reads the whole project
        world.store.save_snapshot(world.link.name, "client", world.carla.pull(project).snapshot, None)

    report = world.sync()
    assert report.status == "ok", report.errors
    assert [(op.action, op.written) for op in report.plan.writes("client")] == [("update", {"archived": False})]
    snap = world.carla.pull(project).snapshot
    assert list(snap.tasks) == [todo.id] and snap.tasks[todo.id].title == "Homepage"  # the same to-do, active again
    assert sorted(c.text for c in snap.comments.values()) == ["Anna Agency: first draft is up", "Looks good"]
    assert [t.id for t in _todos(world)] == [int(todo.id)]  # no new to-do, archived or not
    assert sorted(c.text for c in world.anna.pull(p).snapshot.comments.values()) == [
        "#client first draft is up", "Client Carla Client: Looks good"]  # the client's comment was not copied again

    writes = world.client_writes(), world.internal_writes()
    for _ in range(2):
        assert world.sync().status == "ok"
    assert (world.client_writes(), world.internal_writes()) == writes


# -- GitHub: an issue the client closes as not planned (or as a duplicate) ---------------------------


@pytest.fixture(params=["memory", "asana"])
def github(request: pytest.FixtureRequest, tmp_path: object) -> World:
    return World(request.param, "github", f"sqlite:///{tmp_path}/state.db")


def _issues(world: World) -> dict[int, Any]:
    (repo,) = world.csb.emulator.repos.values()
    return dict(repo.issues)


def _close(world: World, number: str, reason: str) -> None:
    """The client closes the issue the way GitHub's close menu does (``state_reason``)."""
    body = {"state": "closed", "state_reason": reason}
    world.carla.client.request("PATCH", f"repos/{world.client_project}/issues/{number}", json=body)  # type: ignore[attr-defined]


def _mirrored_with_comments(world: World) -> tuple[str, str]:
    p = world.internal_project
    task = world.anna.create_task(p, NewTask(**world.access("client", title="Homepage"), section_id=world.section("Design")))
    world.anna.create_comment(p, task.id, "#client first draft is up")
    assert world.sync().status == "ok"
    repo = world.client_project
    (issue,) = world.carla.pull(repo).snapshot.tasks.values()
    world.carla.create_comment(repo, issue.id, "Looks good")
    assert world.sync().status == "ok"
    return task.id, issue.id


def _quiet(world: World) -> None:
    writes = world.client_writes(), world.internal_writes()
    for _ in range(2):
        assert world.sync().status == "ok"
    assert (world.client_writes(), world.internal_writes()) == writes


@pytest.mark.parametrize("pull", ["incremental", "full"])
@pytest.mark.parametrize("reason", ["not_planned", "duplicate"])
def test_a_github_issue_closed_as_not_planned_is_reopened_not_duplicated(github: World, reason: str, pull: str) -> None:
    world = github
    task_id, number = _mirrored_with_comments(world)
    _close(world, number, reason)
    if pull == "full":  # no cursor: the bridge reads the whole repository
        world.store.save_snapshot(world.link.name, "client", world.carla.pull(world.client_project).snapshot, None)

    report = world.sync()
    assert report.status == "ok", report.errors
    assert [(op.action, op.written) for op in report.plan.writes("client")] == [("update", {"archived": False})]
    issues = _issues(world)
    assert list(issues) == [int(number)]  # the same issue, no new one
    assert (issues[int(number)].state, issues[int(number)].state_reason) == ("open", "reopened")
    snap = world.carla.pull(world.client_project).snapshot
    assert sorted(c.text for c in snap.comments.values()) == ["Anna Agency: first draft is up", "Looks good"]
    internal = world.anna.pull(world.internal_project).snapshot
    assert not internal.tasks[task_id].done
    assert sorted(c.text for c in internal.comments.values() if c.task_id == task_id) == [
        "#client first draft is up", "Client Carla Client: Looks good"]  # the client's comment was not copied again
    _quiet(world)


def test_a_done_task_whose_issue_the_client_closed_as_not_planned_stays_done(github: World) -> None:
    """Rule: a done internal task stays done; its issue comes back closed as completed, not reopened."""
    world = github
    task_id, number = _mirrored_with_comments(world)
    task = world.anna.pull(world.internal_project).snapshot.tasks[task_id]
    world.anna.update_task(world.internal_project, task, {"done": True})
    assert world.sync().status == "ok"
    issue = _issues(world)[int(number)]
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    # GitHub changes a close reason only through a reopen: the client reopens and closes as not planned.
    world.carla.client.request(  # type: ignore[attr-defined]
        "PATCH", f"repos/{world.client_project}/issues/{number}", json={"state": "open"})
    _close(world, number, "not_planned")

    report = world.sync()
    assert report.status == "ok", report.errors
    assert [(op.action, op.written) for op in report.plan.writes("client")] == [("update", {"archived": False, "done": True})]
    assert list(_issues(world)) == [int(number)]
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert world.anna.pull(world.internal_project).snapshot.tasks[task_id].done
    _quiet(world)


def test_a_github_issue_closed_as_completed_marks_the_task_done(github: World) -> None:
    world = github
    task_id, number = _mirrored_with_comments(world)
    _close(world, number, "completed")
    report = world.sync()
    assert report.status == "ok", report.errors
    assert report.plan.writes("client") == []
    assert world.anna.pull(world.internal_project).snapshot.tasks[task_id].done
    issue = _issues(world)[int(number)]
    assert list(_issues(world)) == [int(number)] and (issue.state, issue.state_reason) == ("closed", "completed")
    _quiet(world)
