"""Writes: what reaches GitHub, and what the connector returns."""

from __future__ import annotations

import json

import pytest

from bridge.core.ports import NewTask
from bridge.errors import Invalid
from connectors.github import build
from connectors.github.mapping import load_mapping

from .conftest import World


def labels_on(world: World, number: str) -> list[str]:
    repo = world.emulator.repo(world.project)
    return [repo.labels[i].name for i in repo.issues[int(number)].labels]


def last_body(world: World) -> dict[str, object]:
    body: dict[str, object] = json.loads(world.emulator.writes()[-1].body)
    return body


def test_create_sends_the_section_label_and_gitHub_headers(world: World) -> None:
    snapshot = world.bridge.pull(world.project).snapshot
    doing = next(s.id for s in snapshot.sections.values() if s.name == "Doing")
    world.emulator.clear_requests()
    task = world.bridge.create_task(world.project, NewTask(title="Hi", section_id=doing, labels=["bug"], assignees=["anna"]))
    (post,) = world.emulator.requests
    assert post.headers["authorization"] == "Bearer tok-bridge-0001"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.headers["x-github-api-version"] == "2022-11-28"
    assert json.loads(post.body) == {"title": "Hi", "assignees": ["anna"], "labels": ["status: Doing", "bug"]}
    assert (task.section_id, task.labels, task.assignees) == (doing, ["bug"], ["anna"])


def label_writes(world: World) -> list[tuple[str, str, object]]:
    return [
        (r.method, r.path.rsplit("/issues/", 1)[-1], json.loads(r.body) if r.body else None)
        for r in world.emulator.writes()
    ]


def test_labels_and_section_moves_add_and_remove_only_what_changed(world: World) -> None:
    snapshot = world.bridge.pull(world.project).snapshot
    ids = {s.name: s.id for s in snapshot.sections.values()}
    task = world.bridge.create_task(world.project, NewTask(title="Hi", section_id=ids["Doing"], labels=["bug"]))
    n = task.id
    world.emulator.clear_requests()
    task = world.bridge.update_task(world.project, task, {"labels": ["ui", "status: Done"]})
    # A section-looking label cannot move the task; the section label is never touched by a label change.
    assert label_writes(world) == [("POST", f"{n}/labels", {"labels": ["ui"]}), ("DELETE", f"{n}/labels/bug", None)]
    assert labels_on(world, n) == ["status: Doing", "ui"] and task.section_id == ids["Doing"]
    world.emulator.clear_requests()
    task = world.bridge.update_task(world.project, task, {"section_id": ids["Done"]})
    assert label_writes(world) == [
        ("POST", f"{n}/labels", {"labels": ["status: Done"]}),
        ("DELETE", f"{n}/labels/status: Doing", None),
    ]
    assert labels_on(world, n) == ["ui", "status: Done"] and task.labels == ["ui"] and task.section_id == ids["Done"]
    task = world.bridge.update_task(world.project, task, {"section_id": None})
    assert labels_on(world, n) == ["ui"] and task.section_id is None
    assert all(r.method != "PATCH" for r in world.emulator.writes())


def test_a_label_added_on_github_between_pull_and_write_survives(world: World) -> None:
    snapshot = world.bridge.pull(world.project).snapshot
    ids = {s.name: s.id for s in snapshot.sections.values()}
    created = world.bridge.create_task(world.project, NewTask(title="Hi", section_id=ids["To do"], labels=["bug"]))
    task = world.bridge.pull(world.project).snapshot.tasks[created.id]
    repo = world.emulator.repo(world.project)
    # Someone labels the issue on GitHub after the bridge's pull.
    repo.issues[int(task.id)].labels.append(world.emulator.add_label(repo, "urgent").id)
    task = world.bridge.update_task(world.project, task, {"section_id": ids["Doing"], "labels": ["bug", "approved"]})
    assert sorted(labels_on(world, task.id)) == ["approved", "bug", "status: Doing", "urgent"]
    assert "urgent" in task.labels


def test_done_closes_as_completed_and_reopens(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Ship", done=True))
    issue = world.emulator.repo(world.project).issues[int(task.id)]
    assert task.done and (issue.state, issue.state_reason) == ("closed", "completed")
    task = world.bridge.update_task(world.project, task, {"done": False})
    assert not task.done and (issue.state, issue.state_reason) == ("open", "reopened")


def test_notes_update_keeps_the_subtask_list(world: World) -> None:
    parent = world.bridge.create_task(world.project, NewTask(title="Parent", notes="Old"))
    child = world.bridge.create_task(world.project, NewTask(title="Step one", parent_id=parent.id))
    updated = world.bridge.update_task(world.project, parent, {"notes": "New **notes**"})
    assert updated.notes == "New **notes**"
    tasks = world.bridge.pull(world.project).snapshot.tasks
    assert tasks[child.id].title == "Step one" and tasks[parent.id].notes == "New **notes**"


def test_subtasks_round_trip_through_the_body(world: World) -> None:
    parent = world.bridge.create_task(world.project, NewTask(title="Parent", notes="Plan"))
    one = world.bridge.create_task(world.project, NewTask(title="One", parent_id=parent.id))
    two = world.bridge.create_task(world.project, NewTask(title="Two", parent_id=parent.id, done=True))
    issue = world.emulator.repo(world.project).issues[int(parent.id)]
    assert issue.body is not None and issue.body.startswith("Plan\n\n### Subtasks\n- [ ] One <!-- pm:")
    # A person ticks a box and adds a line of their own in GitHub's editor (CRLF line ends).
    issue.body = issue.body.replace("- [ ] One", "- [x] One").replace("\n", "\r\n") + "- [ ] Three\r\n"
    issue.updated_at = world.emulator.stamp()
    tasks = world.bridge.pull(world.project).snapshot.tasks
    kids = sorted((t for t in tasks.values() if t.parent_id == parent.id), key=lambda t: t.position)
    assert [(k.title, k.done) for k in kids] == [("One", True), ("Two", True), ("Three", False)]
    assert kids[0].id == one.id and kids[1].id == two.id and tasks[parent.id].notes == "Plan"
    three = kids[2]
    renamed = world.bridge.update_task(world.project, three, {"title": "Three, renamed"})
    assert renamed.id == three.id  # the key the title gave it was written down with the line
    world.bridge.remove_task(world.project, one, "delete")
    tasks = world.bridge.pull(world.project).snapshot.tasks
    assert one.id not in tasks and tasks[renamed.id].title == "Three, renamed" and tasks[two.id].done


def test_archive_of_a_done_issue_reopens_then_closes_as_not_planned(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Old", done=True))
    world.emulator.clear_requests()
    world.bridge.remove_task(world.project, task, "archive")
    bodies = [json.loads(r.body) for r in world.emulator.writes()]
    assert bodies == [
        {"state": "closed", "state_reason": "not_planned"},  # ignored: the state did not change
        {"state": "open"},
        {"state": "closed", "state_reason": "not_planned"},
    ]
    assert world.emulator.repo(world.project).issues[int(task.id)].state_reason == "not_planned"


def test_delete_closes_as_not_planned_and_locks(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Gone"))
    world.bridge.remove_task(world.project, task, "delete")
    issue = world.emulator.repo(world.project).issues[int(task.id)]
    assert (issue.state, issue.state_reason, issue.locked, issue.active_lock_reason) == (
        "closed",
        "not_planned",
        True,
        "resolved",
    )


def test_sections_create_rename_remove_and_adopt_existing(world: World) -> None:
    review = world.bridge.create_section(world.project, "Review")
    again = world.bridge.create_section(world.project, "Review")  # e.g. the first answer was lost
    assert again.id == review.id
    renamed = world.bridge.update_section(world.project, review, "Approval")
    assert renamed.id == review.id and "status: Approval" in [
        label.name for label in world.emulator.repo(world.project).labels.values()
    ]
    world.bridge.remove_section(world.project, renamed, "archive")
    assert renamed.id not in world.bridge.pull(world.project).snapshot.sections


def test_milestones_as_sections(world: World) -> None:
    mapping = load_mapping({"sections_as": "milestone"})
    conn = build(
        "gh-m", world.sandbox.connection("bridge"), transport=world.emulator.transport(), clock=world.clock, mapping=mapping
    )
    phase = conn.create_section(world.project, "Phase 1")
    task = conn.create_task(world.project, NewTask(title="Kickoff", section_id=phase.id, labels=["status: Doing", "Doing"]))
    # No section labels in this mode: "status: Doing" reads as any "Name: value" label, a custom field value.
    assert task.section_id == phase.id and task.labels == ["Doing"] and task.custom_fields == {"status": "Doing"}
    renamed = conn.update_section(world.project, phase, "Phase one")
    snapshot = conn.pull(world.project).snapshot
    assert snapshot.sections[phase.id].name == "Phase one" == renamed.name
    conn.remove_section(world.project, renamed, "archive")
    snapshot = conn.pull(world.project).snapshot
    assert phase.id not in snapshot.sections and snapshot.tasks[task.id].section_id is None


def test_what_github_cannot_hold_is_refused_clearly(world: World) -> None:
    parent = world.bridge.create_task(world.project, NewTask(title="Parent"))
    other = world.bridge.create_task(world.project, NewTask(title="Other"))
    child = world.bridge.create_task(world.project, NewTask(title="Child", parent_id=parent.id))
    with pytest.raises(Invalid, match="cannot become a subtask"):
        world.bridge.update_task(world.project, other, {"parent_id": parent.id})
    with pytest.raises(Invalid, match="comment on the issue"):
        world.bridge.create_comment(world.project, child.id, "hi")
    with pytest.raises(Invalid, match="link on the issue"):
        world.bridge.create_attachment(world.project, child.id, "spec", "https://files.example/spec.pdf")
    assert world.bridge.capabilities.attachments == "link"  # a comment of its own (docs/files.md)
    assert "due" not in world.bridge.capabilities.task_fields
