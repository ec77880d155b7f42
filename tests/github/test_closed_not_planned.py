"""Issues closed as not planned or duplicate: read as archived, restored by reopening (issue 10)."""

from __future__ import annotations

import json

import pytest

from bridge.core.ports import NewTask, PullResult, PullState

from .conftest import World


def incremental(world: World, previous: PullResult) -> PullResult:
    return world.bridge.pull(world.project, PullState(cursor=previous.cursor, snapshot=previous.snapshot))


def close(world: World, number: str, reason: str) -> None:
    """A person closes the issue through the API, with the reason GitHub's close menu offers."""
    body = {"state": "closed", "state_reason": reason}
    world.human.client.request("PATCH", f"repos/{world.project}/issues/{number}", json=body)


def test_the_emulator_keeps_the_close_reason_and_reopens_as_reopened(world: World) -> None:
    task = world.human.create_task(world.project, NewTask(title="Idea"))
    issue = world.emulator.repo(world.project).issues[int(task.id)]
    for reason in ("not_planned", "duplicate", "completed"):
        close(world, task.id, reason)
        assert (issue.state, issue.state_reason) == ("closed", reason)
        world.human.client.request(
            "PATCH", f"repos/{world.project}/issues/{task.id}", json={"state": "open", "state_reason": "reopened"}
        )
        assert (issue.state, issue.state_reason) == ("open", "reopened")
    # "Ignored unless state is changed": a closed issue keeps its reason.
    close(world, task.id, "completed")
    close(world, task.id, "not_planned")
    assert (issue.state, issue.state_reason) == ("closed", "completed")


@pytest.mark.parametrize("reason", ["not_planned", "duplicate"])
@pytest.mark.parametrize("pull", ["incremental", "full"])
def test_closed_as_not_planned_is_read_as_archived(world: World, reason: str, pull: str) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Maybe later", notes="Body"))
    world.bridge.create_task(world.project, NewTask(title="Step", parent_id=task.id))
    world.human.create_comment(world.project, task.id, "Keep this")
    first = world.bridge.pull(world.project)
    close(world, task.id, reason)
    snap = (incremental(world, first) if pull == "incremental" else world.bridge.pull(world.project)).snapshot
    assert [t.id for t in snap.tasks.values()] == []  # neither the issue nor its task-list line is a task
    assert list(snap.archived) == [task.id]
    archived = snap.archived[task.id]
    assert (archived.title, archived.notes, archived.done, archived.parent_id) == ("Maybe later", "Body", False, None)
    assert snap.comments == {}  # read back after the restore


def test_closed_as_completed_stays_a_done_task(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Shipped"))
    first = world.bridge.pull(world.project)
    close(world, task.id, "completed")
    snap = incremental(world, first).snapshot
    assert snap.tasks[task.id].done and snap.archived == {}


def test_an_idle_cycle_with_archived_issues_still_costs_one_free_request(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Dropped"))
    close(world, task.id, "not_planned")
    first = world.bridge.pull(world.project)
    assert list(first.snapshot.archived) == [task.id]
    world.emulator.clear_requests()
    again = incremental(world, first)
    assert world.requests() == [("GET", f"/repos/{world.project}/issues", 304)]
    assert again.snapshot.archived == first.snapshot.archived


def test_restore_reopens_the_same_issue_and_the_next_pull_reads_it_with_its_comments(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Maybe later"))
    comment = world.human.create_comment(world.project, task.id, "Keep this")
    close(world, task.id, "not_planned")
    first = world.bridge.pull(world.project)
    world.emulator.clear_requests()
    restored = world.bridge.update_task(world.project, first.snapshot.archived[task.id], {"archived": False})
    assert [json.loads(r.body) for r in world.emulator.writes()] == [{"state": "open", "state_reason": "reopened"}]
    assert restored.id == task.id and not restored.done
    issue = world.emulator.repo(world.project).issues[int(task.id)]
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    snap = incremental(world, first).snapshot
    assert snap.archived == {} and snap.tasks[task.id].title == "Maybe later"
    assert snap.comments[comment.id].text == "Keep this"


def test_restore_of_a_done_task_closes_it_as_completed(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Finished", done=True))
    world.human.update_task(world.project, task, {"done": False})
    close(world, task.id, "not_planned")
    archived = world.bridge.pull(world.project).snapshot.archived[task.id]
    world.emulator.clear_requests()
    restored = world.bridge.update_task(world.project, archived, {"archived": False, "done": True})
    # state_reason is ignored unless the state changes: completed is reached through open.
    assert [json.loads(r.body) for r in world.emulator.writes()] == [
        {"state": "open", "state_reason": "reopened"},
        {"state": "closed", "state_reason": "completed"},
    ]
    issue = world.emulator.repo(world.project).issues[int(task.id)]
    assert (issue.state, issue.state_reason) == ("closed", "completed") and restored.done


def test_archiving_through_update_closes_as_not_planned(world: World) -> None:
    open_task = world.bridge.create_task(world.project, NewTask(title="Open"))
    done_task = world.bridge.create_task(world.project, NewTask(title="Done", done=True))
    world.emulator.clear_requests()
    world.bridge.update_task(world.project, open_task, {"archived": True})
    world.bridge.update_task(world.project, done_task, {"archived": True})
    assert [json.loads(r.body) for r in world.emulator.writes()] == [
        {"state": "closed", "state_reason": "not_planned"},
        {"state": "open", "state_reason": "reopened"},  # completed becomes not planned through open
        {"state": "closed", "state_reason": "not_planned"},
    ]
    snap = world.bridge.pull(world.project).snapshot
    assert sorted(snap.archived) == sorted([open_task.id, done_task.id]) and snap.tasks == {}
