"""Each write: the request Asana receives, and a result equal to what the next pull shows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bridge.core.model import Task
from bridge.core.ports import NewTask
from bridge.errors import Invalid
from connectors.asana import AsanaConnector, Emulator, Sandbox
from connectors.emulation import Recorded

# Comparing a write's result to a pull: the write cannot know where Asana placed the item.
CONTENT = {"position", "modified_at", "version"}


def last_write(emulator: Emulator) -> Recorded:
    return emulator.writes()[-1]


def body(record: Recorded) -> object:
    return json.loads(record.body)


def pulled(bridge: AsanaConnector, project: str, gid: str) -> Task:
    return bridge.pull(project).snapshot.tasks[gid]


def same_content(written: Task, read: Task) -> None:
    assert written.model_dump(exclude=CONTENT) == read.model_dump(exclude=CONTENT)


@pytest.fixture
def task(bridge: AsanaConnector, project: str, sections: dict[str, str]) -> Task:
    return bridge.create_task(project, NewTask(title="Homepage", section_id=sections["Backlog"]))


def test_create_task_with_every_field(
    bridge: AsanaConnector, emulator: Emulator, project: str, sections: dict[str, str], sandbox: Sandbox
) -> None:
    carla = sandbox.user_ids["client"]
    new = NewTask(
        title="Launch",
        notes="Go live",
        section_id=sections["In progress"],
        due=dt.date(2024, 7, 2),
        start=dt.date(2024, 7, 1),
        assignees=[carla],
        labels=["client", "launch"],
        custom_fields={"Client access": "client"},
    )
    created = bridge.create_task(project, new)

    post = last_write(emulator)
    assert (post.method, post.path) == ("POST", "/tasks")
    data = body(post)["data"]  # type: ignore[index]
    assert data["memberships"] == [{"project": project, "section": sections["In progress"]}]
    assert (data["name"], data["due_on"], data["start_on"], data["assignee"]) == ("Launch", "2024-07-02", "2024-07-01", carla)
    assert [w.path for w in emulator.writes()] == ["/tags", "/tags", "/tasks"], "missing tags are created first"
    assert (created.labels, created.custom_fields, created.section_id) == (
        ["client", "launch"],
        {"Client access": "client"},
        sections["In progress"],
    )
    same_content(created, pulled(bridge, project, created.id))


def test_create_subtask(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    sub = bridge.create_task(project, NewTask(title="Copy", parent_id=task.id, done=True))
    assert last_write(emulator).path == f"/tasks/{task.id}/subtasks"
    assert (sub.parent_id, sub.section_id, sub.done) == (task.id, None, True)
    same_content(sub, pulled(bridge, project, sub.id))


def test_existing_tags_are_reused(bridge: AsanaConnector, anna: AsanaConnector, emulator: Emulator, project: str) -> None:
    anna.create_task(project, NewTask(title="a", labels=["client"]))
    bridge.create_task(project, NewTask(title="b", labels=["client"]))
    assert [t.name for t in emulator.store.tags.values()] == ["client"]


def test_update_scalar_fields(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task, sandbox: Sandbox) -> None:
    anna = sandbox.user_ids["human"]
    changes = {"title": "Home", "notes": "New hero", "done": True, "due": dt.date(2024, 8, 1), "assignees": [anna, "ignored"]}
    updated = bridge.update_task(project, task, changes)
    put = last_write(emulator)
    assert (put.method, put.path) == ("PUT", f"/tasks/{task.id}")
    expected = {"name": "Home", "html_notes": "<body>New hero</body>", "completed": True, "due_on": "2024-08-01",
                "assignee": anna}
    assert body(put)["data"] == expected  # type: ignore[index]
    assert (updated.title, updated.done, updated.assignees) == ("Home", True, [anna])
    same_content(updated, pulled(bridge, project, task.id))


def test_start_date_is_sent_with_the_due_date(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    dated = bridge.update_task(project, task, {"due": dt.date(2024, 9, 9)})
    updated = bridge.update_task(project, dated, {"start": dt.date(2024, 9, 1)})
    assert body(last_write(emulator))["data"] == {"start_on": "2024-09-01", "due_on": "2024-09-09"}  # type: ignore[index]
    assert (updated.start, updated.due) == (dt.date(2024, 9, 1), dt.date(2024, 9, 9))


def test_move_to_another_section(
    bridge: AsanaConnector, emulator: Emulator, project: str, task: Task, sections: dict[str, str]
) -> None:
    moved = bridge.update_task(project, task, {"section_id": sections["Done"]})
    add = last_write(emulator)
    assert (add.path, body(add)) == (f"/sections/{sections['Done']}/addTask", {"data": {"task": task.id}})
    assert moved.section_id == sections["Done"]
    same_content(moved, pulled(bridge, project, task.id))


def test_labels_are_added_and_removed_by_name(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    tagged = bridge.update_task(project, task, {"labels": ["a", "b"]})
    emulator.clear_requests()
    retagged = bridge.update_task(project, tagged, {"labels": ["b", "c"]})
    paths = [w.path for w in emulator.writes()]
    assert paths == ["/tags", f"/tasks/{task.id}/addTag", f"/tasks/{task.id}/removeTag"]
    assert retagged.labels == ["b", "c"]
    same_content(retagged, pulled(bridge, project, task.id))


def test_custom_field_is_set_and_cleared(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    field = next(iter(emulator.store.fields.values()))
    shared = bridge.update_task(project, task, {"custom_fields": {"Client access": "client"}})
    option = next(o.gid for o in field.options if o.name == "client")
    assert body(last_write(emulator))["data"] == {"custom_fields": {field.gid: option}}  # type: ignore[index]
    assert shared.custom_fields == {"Client access": "client"}
    assert bridge.update_task(project, shared, {"custom_fields": {}}).custom_fields == shared.custom_fields  # a patch
    cleared = bridge.update_task(project, shared, {"custom_fields": {"Client access": None}})
    assert body(last_write(emulator))["data"] == {"custom_fields": {field.gid: None}}  # type: ignore[index]
    assert cleared.custom_fields == {}
    same_content(cleared, pulled(bridge, project, task.id))


def test_unknown_custom_field_option_is_refused_before_any_write(
    bridge: AsanaConnector, emulator: Emulator, project: str, task: Task
) -> None:
    emulator.clear_requests()
    with pytest.raises(Invalid, match="'maybe' is not an option of the custom field 'Client access'"):
        bridge.update_task(project, task, {"custom_fields": {"Client access": "maybe"}})
    assert emulator.writes() == []


def test_reparenting(bridge: AsanaConnector, project: str, task: Task, sections: dict[str, str]) -> None:
    other = bridge.create_task(project, NewTask(title="Other", section_id=sections["Backlog"]))
    nested = bridge.update_task(project, other, {"parent_id": task.id})
    assert (nested.parent_id, nested.section_id) == (task.id, None)
    same_content(nested, pulled(bridge, project, other.id))
    back = bridge.update_task(project, nested, {"parent_id": None, "section_id": sections["Done"]})
    assert (back.parent_id, back.section_id) == (None, sections["Done"])
    same_content(back, pulled(bridge, project, other.id))


def test_archive_takes_the_task_out_of_the_project(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    bridge.remove_task(project, task, "archive")
    remove = last_write(emulator)
    assert (remove.path, body(remove)) == (f"/tasks/{task.id}/removeProject", {"data": {"project": project}})
    assert task.id in emulator.store.tasks and task.id not in bridge.pull(project).snapshot.tasks


def test_delete_and_repeated_delete(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    bridge.remove_task(project, task, "delete")
    assert task.id not in emulator.store.tasks
    bridge.remove_task(project, task, "delete")  # a retry after a lost response is not an error


def test_sections(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task, sections: dict[str, str]) -> None:
    qa = bridge.create_section(project, "QA")
    assert last_write(emulator).path == f"/projects/{project}/sections"
    renamed = bridge.update_section(project, qa, "Review")
    assert (renamed.id, renamed.name) == (qa.id, "Review")
    assert bridge.pull(project).snapshot.sections[qa.id].name == "Review"
    bridge.remove_section(project, renamed, "archive")
    assert qa.id not in bridge.pull(project).snapshot.sections


@pytest.mark.parametrize("mode", ["archive", "delete"])
def test_a_section_with_tasks_is_not_removed(bridge: AsanaConnector, project: str, task: Task, mode: str) -> None:
    backlog = bridge.pull(project).snapshot.sections[task.section_id or ""]
    with pytest.raises(Invalid, match="Asana deletes only empty sections") as caught:
        bridge.remove_section(project, backlog, mode)  # type: ignore[arg-type]
    assert "move or remove the section's tasks first" in str(caught.value)
    assert backlog.id in bridge.pull(project).snapshot.sections


def test_comments(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    comment = bridge.create_comment(project, task.id, "Hello")
    assert body(last_write(emulator)) == {"data": {"html_text": "<body>Hello</body>"}}
    assert comment.author is not None and comment.author.email == "bridge@agency.example"
    assert bridge.pull(project).snapshot.comments[comment.id] == comment
    edited = bridge.update_comment(project, comment, "Hello again")
    assert (last_write(emulator).method, edited.text) == ("PUT", "Hello again")
    assert bridge.pull(project).snapshot.comments[comment.id] == edited
    bridge.remove_comment(project, edited)
    assert comment.id not in bridge.pull(project).snapshot.comments


def test_link_attachments(bridge: AsanaConnector, emulator: Emulator, project: str, task: Task) -> None:
    link = bridge.create_attachment(project, task.id, "Figma", "https://figma.example/f/1")
    post = last_write(emulator)
    assert post.path == "/attachments" and post.headers["content-type"].startswith("multipart/form-data")
    assert b'name="resource_subtype"\r\n\r\nexternal' in post.body
    assert bridge.pull(project).snapshot.attachments[link.id] == link
    bridge.remove_attachment(project, link)
    assert link.id not in bridge.pull(project).snapshot.attachments
