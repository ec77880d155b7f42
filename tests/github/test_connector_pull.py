"""Full and incremental pulls of a repository, end to end against the emulator."""

from __future__ import annotations

from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, PullResult, PullState
from connectors.emulation import Fault
from connectors.github.emulator.state import IssueComment

from .conftest import World


def incremental(world: World, previous: PullResult) -> PullResult:
    return world.bridge.pull(world.project, PullState(cursor=previous.cursor, snapshot=previous.snapshot))


def section(snapshot: Snapshot, name: str) -> str:
    return next(s.id for s in snapshot.sections.values() if s.name == name)


def test_full_pull_maps_sections_people_and_skips_pull_requests(world: World) -> None:
    repo = world.emulator.repo(world.project)
    world.human.create_task(world.project, NewTask(title="An issue", labels=["bug"]))
    pr = world.emulator.add_issue(repo, "A pull request", "anna", pull_request=True)
    now = world.emulator.stamp()
    repo.comments[9] = IssueComment(9, pr.number, "Looks good", "carla", now, now)
    snapshot = world.bridge.pull(world.project).snapshot
    assert sorted(s.name for s in snapshot.sections.values()) == ["Doing", "Done", "To do"]
    assert sorted(snapshot.people) == ["anna", "carla", "pmbridge"]
    assert [t.title for t in snapshot.tasks.values()] == ["An issue"]
    assert snapshot.comments == {}  # the PR's conversation is not a task's
    assert snapshot.project_name == world.project.split("/")[1]


def test_quiet_cycle_costs_one_conditional_request_that_is_free(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Steady"))
    world.bridge.create_comment(world.project, task.id, "Hello")
    first = world.bridge.pull(world.project)
    world.emulator.clear_requests()
    again = incremental(world, first)
    assert world.requests() == [("GET", f"/repos/{world.project}/issues", 304)]
    assert again.snapshot == first.snapshot and not again.full
    # A 304 does not count against the primary limit.
    used = world.emulator.used("pmbridge")
    incremental(world, again)
    assert world.emulator.used("pmbridge") == used


def test_first_pull_of_1000_issues_and_a_quiet_cycle(world: World) -> None:
    repo = world.emulator.repo(world.project)
    for n in range(1000):
        world.emulator.add_issue(repo, f"Issue {n}", "anna", labels=["status: Doing", "bug"])
    world.bridge.stats.reset()
    first = world.bridge.pull(world.project)
    assert len(first.snapshot.tasks) == 1000
    # repo + labels + assignees + 10 issue pages + 1 comment page + 3 people + 1 request priming the gate
    assert world.bridge.stats.reads == 18, world.bridge.stats.by_route
    assert sorted(r for r in world.bridge.stats.by_route if r.startswith("GET /users/")) == [
        "GET /users/anna",
        "GET /users/carla",
        "GET /users/pmbridge",
    ]
    world.bridge.stats.reset()
    again = incremental(world, first)
    assert world.bridge.stats.reads == 1 and again.snapshot == first.snapshot


def test_person_edits_show_up_incrementally(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Draft"))
    first = world.bridge.pull(world.project)
    done = section(first.snapshot, "Done")
    world.human.update_task(world.project, first.snapshot.tasks[task.id], {"title": "Draft v2", "section_id": done, "done": True})
    comment = world.human.create_comment(world.project, task.id, "Shipped")
    second = incremental(world, first)
    seen = second.snapshot.tasks[task.id]
    assert (seen.title, seen.section_id, seen.done) == ("Draft v2", done, True)
    assert second.snapshot.comments[comment.id].author.id == "anna"  # type: ignore[union-attr]
    assert second.snapshot == world.bridge.pull(world.project).snapshot


def test_closed_as_not_planned_is_archived_and_reopening_restores_comments(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Maybe later"))
    comment = world.human.create_comment(world.project, task.id, "Keep this")
    first = world.bridge.pull(world.project)
    world.human.remove_task(world.project, first.snapshot.tasks[task.id], "archive")
    second = incremental(world, first)
    assert task.id not in second.snapshot.tasks and comment.id not in second.snapshot.comments
    world.human.update_task(world.project, first.snapshot.tasks[task.id], {"done": False})
    third = incremental(world, second)
    assert third.snapshot.tasks[task.id].title == "Maybe later"
    assert third.snapshot.comments[comment.id].text == "Keep this"


def test_comment_deleted_is_seen_with_its_issue_s_next_change(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Talk"))
    comment = world.human.create_comment(world.project, task.id, "Oops")
    first = world.bridge.pull(world.project)
    world.human.remove_comment(world.project, first.snapshot.comments[comment.id])
    world.human.update_task(world.project, first.snapshot.tasks[task.id], {"title": "Talk more"})
    second = incremental(world, first)
    assert comment.id not in second.snapshot.comments


def test_polling_comments_sees_edits_of_old_comments(world: World) -> None:
    from connectors.github import build
    from connectors.github.mapping import load_mapping

    polling = build(
        "gh-poll",
        world.sandbox.connection("bridge"),
        transport=world.emulator.transport(),
        clock=world.clock,
        mapping=load_mapping({"poll_comments": True}),
    )
    task = polling.create_task(world.project, NewTask(title="Talk"))
    comment = world.human.create_comment(world.project, task.id, "Frist")
    first = polling.pull(world.project)
    world.emulator.clear_requests()
    quiet = polling.pull(world.project, PullState(cursor=first.cursor, snapshot=first.snapshot))
    assert [status for _, _, status in world.requests()] == [304, 304]
    world.human.update_comment(world.project, quiet.snapshot.comments[comment.id], "First")
    edited = polling.pull(world.project, PullState(cursor=quiet.cursor, snapshot=quiet.snapshot))
    assert edited.snapshot.comments[comment.id].text == "First"


def test_a_lagging_listing_loses_nothing(world: World) -> None:
    first = world.bridge.pull(world.project)
    a = world.human.create_task(world.project, NewTask(title="A"))
    b = world.human.create_task(world.project, NewTask(title="B"))
    world.emulator.inject(Fault.LAG, "GET", r"/issues$")
    second = incremental(world, first)
    assert a.id in second.snapshot.tasks and b.id not in second.snapshot.tasks  # B is not visible yet
    third = incremental(world, second)
    assert b.id in third.snapshot.tasks


def test_section_label_renamed_by_a_person_is_picked_up(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Draft"))
    first = world.bridge.pull(world.project)
    doing = first.snapshot.sections[section(first.snapshot, "Doing")]
    world.human.update_section(world.project, doing, "In progress")
    world.human.update_task(world.project, first.snapshot.tasks[task.id], {"section_id": doing.id})
    second = incremental(world, first)
    assert second.snapshot.sections[doing.id].name == "In progress"
    assert second.snapshot.tasks[task.id].section_id == doing.id


def test_pagination_follows_link_headers(world: World) -> None:
    repo = world.emulator.repo(world.project)
    for n in range(250):
        world.emulator.add_issue(repo, f"Issue {n}", "anna")
    world.emulator.clear_requests()
    snapshot = world.bridge.pull(world.project).snapshot
    assert len(snapshot.tasks) == 250
    # The full listing runs oldest first; the gate that follows it reads newest first.
    pages = [r for r in world.emulator.requests if r.path.endswith("/issues") and r.query.get("direction") == ["asc"]]
    assert [r.query.get("page") for r in pages] == [None, ["2"], ["3"]]


def test_invalid_cursor_means_a_full_pull(world: World) -> None:
    first = world.bridge.pull(world.project)
    result = world.bridge.pull(world.project, PullState(cursor='{"v": 99}', snapshot=first.snapshot))
    assert result.full


def test_idle_cycles_after_a_burst_are_one_free_request_each(world: World) -> None:
    first = world.bridge.pull(world.project)
    repo = world.emulator.repo(world.project)
    # 150 issues written within the margin: the window since the cursor spans two pages.
    stamp = world.emulator.stamp()
    for n in range(150):
        issue = world.emulator.add_issue(repo, f"Burst {n}", "anna")
        issue.updated_at = stamp
    world.clock.advance(60)
    burst = incremental(world, first)
    assert len(burst.snapshot.tasks) == 150
    state = burst
    for _ in range(3):
        world.clock.advance(60)
        world.emulator.clear_requests()
        used = world.emulator.used("pmbridge")
        state = incremental(world, state)
        assert world.requests() == [("GET", f"/repos/{world.project}/issues", 304)]
        assert world.emulator.used("pmbridge") == used
    assert state.snapshot == burst.snapshot
    # The gate still opens for the next change, which moves the issue to the top of page one.
    task = next(t for t in state.snapshot.tasks.values() if t.title == "Burst 7")
    world.human.update_task(world.project, task, {"title": "Burst 7 (edited)"})
    world.clock.advance(60)
    changed = incremental(world, state)
    assert changed.snapshot.tasks[task.id].title == "Burst 7 (edited)"
