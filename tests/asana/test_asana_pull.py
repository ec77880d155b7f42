"""Full pulls: what lands in the snapshot, and what it costs."""

from __future__ import annotations

import datetime as dt

from bridge.core.ports import NewTask
from connectors.asana import AsanaConnector, Sandbox

from .asana_traffic import routes


def test_pull_maps_every_field(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    carla = sandbox.user_ids["client"]
    first = anna.create_task(
        project,
        NewTask(
            title="Homepage",
            notes="Hero and footer",
            section_id=sections["In progress"],
            due=dt.date(2024, 5, 3),
            start=dt.date(2024, 5, 1),
            assignees=[carla],
            labels=["design", "urgent"],
            custom_fields={"Client access": "client"},
        ),
    )
    second = anna.create_task(project, NewTask(title="Footer", section_id=sections["In progress"]))
    sub = anna.create_task(project, NewTask(title="Copy", parent_id=first.id, done=True, assignees=[carla]))
    anna.update_task(project, second, {"done": True})  # writes marked_complete system stories
    comment = anna.create_comment(project, first.id, "Please review")
    link = anna.create_attachment(project, sub.id, "Brief", "https://docs.example/brief")

    snap = bridge.pull(project).snapshot

    assert snap.project_name == "Website relaunch" and snap.complete
    assert [s.name for s in sorted(snap.sections.values(), key=lambda s: s.position)] == ["Backlog", "In progress", "Done"]
    task = snap.tasks[first.id]
    assert (task.title, task.notes, task.done, task.section_id) == ("Homepage", "Hero and footer", False, sections["In progress"])
    assert (task.due, task.start, task.assignees) == (dt.date(2024, 5, 3), dt.date(2024, 5, 1), [carla])
    assert (task.labels, task.custom_fields, task.parent_id, task.position) == (
        ["design", "urgent"],
        {"Client access": "client"},
        None,
        0.0,
    )
    assert task.version and task.modified_at and task.created_at
    assert snap.tasks[second.id].done and snap.tasks[second.id].position == 1.0
    subtask = snap.tasks[sub.id]
    assert (subtask.parent_id, subtask.section_id, subtask.done, subtask.assignees, subtask.position) == (
        first.id,
        None,
        True,
        [carla],
        0.0,
    )
    # Only the comment: the system stories (marked_complete, attachment_added...) are not comments.
    assert list(snap.comments) == [comment.id]
    author = snap.comments[comment.id].author
    assert author is not None and author.email == "anna@agency.example"
    assert snap.attachments[link.id].model_dump(include={"task_id", "name", "url"}) == {
        "task_id": sub.id,
        "name": "Brief",
        "url": "https://docs.example/brief",
    }
    assert {p.email for p in snap.people.values()} == {"bridge@agency.example", "anna@agency.example", "carla@client.example"}


def test_first_pull_of_100_tasks_costs_two_requests_per_task(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector
) -> None:
    for i in range(100):
        sandbox.add_task(project, f"Task {i}", section_id=sections["Backlog"])
    sandbox.emulator.clear_requests()

    result = bridge.pull(project)

    assert len(result.snapshot.tasks) == 100 and result.full
    counts = routes(sandbox.emulator)
    assert counts == {
        "GET /users/me": 1,
        "GET /projects/{gid}": 1,
        "GET /events": 1,  # the 412 that hands out the first sync token
        "GET /projects/{gid}/sections": 1,
        "GET /tasks": 1,  # one page of 100
        "GET /users": 1,
        "GET /projects/{gid}/custom_field_settings": 1,  # the fields a link may map (docs/custom-fields.md)
        "GET /tasks/{gid}/stories": 100,
        "GET /attachments": 100,
    }
    assert sum(counts.values()) == 207
    assert bridge.client.stats.total == 207


def test_subtasks_are_read_only_for_tasks_that_have_some(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector
) -> None:
    parents = [sandbox.add_task(project, f"P{i}", section_id=sections["Backlog"]) for i in range(5)]
    for i in range(3):
        sandbox.add_task(project, f"S{i}", parent_id=parents[0])
    sandbox.add_task(project, "S", parent_id=parents[3])
    deeper = next(iter(sandbox.emulator.store.tasks[parents[3]].subtasks))
    sandbox.add_task(project, "too deep", parent_id=deeper)
    sandbox.emulator.clear_requests()

    snap = bridge.pull(project).snapshot

    assert routes(sandbox.emulator)["GET /tasks/{gid}/subtasks"] == 2
    children = sorted((t.title, t.position) for t in snap.tasks.values() if t.parent_id == parents[0])
    assert children == [("S0", 0.0), ("S1", 1.0), ("S2", 2.0)]
    assert "too deep" not in {t.title for t in snap.tasks.values()}, "Asana subtasks mirror one level deep"


def test_pagination_over_more_than_100_tasks(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector
) -> None:
    for i in range(130):
        sandbox.add_task(project, f"B{i}", section_id=sections["Backlog"])
    for i in range(20):
        sandbox.add_task(project, f"D{i}", section_id=sections["Done"])
    sandbox.emulator.clear_requests()

    snap = bridge.pull(project).snapshot

    listing = [r for r in sandbox.emulator.requests if r.path == "/tasks"]
    assert [r.query.get("limit") for r in listing] == [["100"], ["100"]]
    assert "offset" not in listing[0].query and listing[1].query["offset"]
    assert len(snap.tasks) == 150
    backlog = sorted((t.position, t.title) for t in snap.tasks.values() if t.section_id == sections["Backlog"])
    assert backlog == [(float(i), f"B{i}") for i in range(130)]
    done = sorted(t.position for t in snap.tasks.values() if t.section_id == sections["Done"])
    assert done == [float(i) for i in range(20)]


def test_order_within_a_section_follows_asana(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    a = sandbox.add_task(project, "a", section_id=sections["Backlog"])
    b = sandbox.add_task(project, "b", section_id=sections["Backlog"])
    c = sandbox.add_task(project, "c", section_id=sections["Done"])
    snap = bridge.pull(project).snapshot
    # addTask puts the task at the top of the section, as Asana documents.
    anna.update_task(project, snap.tasks[c], {"section_id": sections["Backlog"]})

    snap = bridge.pull(project).snapshot

    assert [snap.tasks[g].position for g in (c, a, b)] == [0.0, 1.0, 2.0]


def test_tasks_removed_from_the_project_are_absent(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    keep = sandbox.add_task(project, "keep", section_id=sections["Backlog"])
    gone = sandbox.add_task(project, "gone", section_id=sections["Backlog"])
    anna.remove_task(project, bridge.pull(project).snapshot.tasks[gone], "archive")

    snap = bridge.pull(project).snapshot

    assert set(snap.tasks) == {keep}
    assert gone in sandbox.emulator.store.tasks, "archive keeps the task in Asana"
