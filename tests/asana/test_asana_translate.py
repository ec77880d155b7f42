"""Every official Asana example parses through translate.py without losing a mapped field."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from bridge import richtext
from bridge.core.ports import NewTask
from bridge.errors import Malformed
from connectors.asana import translate
from tests.spec.reference import ROOT

EXAMPLES = ROOT / "asana" / "examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def check_full_task(body: Any) -> None:
    raw = translate.data_of(body, "task")
    task = translate.task_from_payload(raw, project_id=raw["memberships"][0]["project"]["gid"])
    assert task.id == raw["gid"]
    assert task.title == raw["name"]
    # notes come from html_notes through the shared rich-text layer ("<em>really</em>" -> "*really*").
    assert task.notes == richtext.read("asana", raw["html_notes"])
    assert task.notes.replace("*", "") == raw["notes"]
    assert task.done is raw["completed"]
    assert task.section_id == raw["memberships"][0]["section"]["gid"]
    assert task.due == dt.date.fromisoformat(raw["due_on"])
    assert task.start == dt.date.fromisoformat(raw["start_on"])
    assert task.assignees == [raw["assignee"]["gid"]]
    assert task.labels == [t["name"] for t in raw["tags"]]
    assert task.parent_id == raw["parent"]["gid"]
    assert task.custom_fields == {raw["custom_fields"][0]["name"]: raw["custom_fields"][0]["enum_value"]["name"]}
    assert task.modified_at == dt.datetime(2012, 2, 22, 2, 6, 58, 147000, tzinfo=dt.UTC)
    assert task.created_at is not None and task.version == raw["modified_at"]
    assert task.url == raw["permalink_url"]
    assert translate.num_subtasks(raw) == raw["num_subtasks"]


def check_compact_tasks(body: Any) -> None:
    for raw in translate.data_of(body, "tasks"):
        task = translate.task_from_payload(raw, "1")
        assert (task.id, task.title) == (raw["gid"], raw["name"])
        assert task.url is None  # compact records carry no permalink_url; opt_fields must ask for it


def check_sections(body: Any) -> None:
    data = translate.data_of(body, "sections")
    for index, raw in enumerate(data if isinstance(data, list) else [data]):
        section = translate.section_from_payload(raw, float(index))
        assert (section.id, section.name, section.position) == (raw["gid"], raw["name"], float(index))


def check_stories(body: Any) -> None:
    data = translate.data_of(body, "stories")
    for raw in data if isinstance(data, list) else [data]:
        comment = translate.comment_from_story(raw, "42", {})
        assert raw["resource_subtype"] == "comment_added" and comment is not None
        assert (comment.id, comment.task_id, comment.text) == (raw["gid"], "42", raw["text"])
        assert comment.author is not None and comment.author.name == raw["created_by"]["name"]
        assert comment.created_at is not None


def check_attachments(body: Any) -> None:
    data = translate.data_of(body, "attachments")
    for raw in data if isinstance(data, list) else [data]:
        attachment = translate.attachment_from_payload(raw, "42")
        assert (attachment.id, attachment.name, attachment.task_id) == (raw["gid"], raw["name"], "42")
        assert attachment.url == raw.get("view_url", "")


def check_users(body: Any) -> None:
    data = translate.data_of(body, "users")
    for raw in data if isinstance(data, list) else [data]:
        person = translate.person_from_user(raw)
        assert (person.id, person.name, person.email) == (raw["gid"], raw["name"], raw.get("email"))


def check_project(body: Any) -> None:
    raw = translate.data_of(body, "project")
    assert translate.project_from_payload(raw) == (raw["name"], raw["workspace"]["gid"])


def check_named(body: Any) -> None:
    """Workspaces, projects and tags lists: the connector reads gid and name."""
    for raw in translate.data_of(body, "list"):
        assert translate.gid_of(raw, "item") == raw["gid"] and raw["name"]


def check_tag(body: Any) -> None:
    raw = translate.data_of(body, "tag")
    assert translate.gid_of(raw, "tag") == raw["gid"] and raw["name"] == "Stuff to buy"


def check_custom_field(body: Any) -> None:
    raw = translate.data_of(body, "custom_field")
    fields = translate.enum_fields([{"custom_field": raw}])
    # The reference's example mixes subtypes: resource_subtype "text" beside enum options; the subtype decides.
    assert fields == {"Status": translate.EnumField("12345", "Status", {"Low": "12345"}, "text")}
    assert translate.field_defs([{"custom_field": raw}])["Status"].kind == "text"


def check_field_settings(body: Any) -> None:
    fields = translate.enum_fields(translate.data_of(body, "custom_field_settings"))
    assert fields["Status"].options == {"Low": "12345"}


def check_events(body: Any) -> None:
    [change] = [translate.change_from_event(e) for e in translate.data_of(body, "events")]
    assert change == translate.Change("changed", "task", "12345", None, "task", "12345", "12345", "2012-02-22T02:06:58.147Z")
    assert body["sync"] and body["has_more"] is True


def check_empty(body: Any) -> None:
    assert translate.data_of(body, "empty") == {}


PARSERS: dict[str, Callable[[Any], None]] = {
    "task.json": check_full_task,
    "task_created.json": check_full_task,
    "task_updated.json": check_full_task,
    "task_deleted.json": check_empty,
    "task_addTag.json": check_empty,
    "task_addProject.json": check_empty,
    "section_addTask.json": check_empty,
    "tasks_list.json": check_compact_tasks,
    "tasks_for_project.json": check_compact_tasks,
    "tasks_for_section.json": check_compact_tasks,
    "tasks_search.json": check_compact_tasks,
    "subtasks.json": check_compact_tasks,
    "section.json": check_sections,
    "section_created.json": check_sections,
    "sections_list.json": check_sections,
    "story.json": check_stories,
    "story_comment_created.json": check_stories,
    "stories_list.json": check_stories,
    "attachment.json": check_attachments,
    "attachment_created.json": check_attachments,
    "attachments_list.json": check_attachments,
    "user.json": check_users,
    "users_list.json": check_users,
    "project.json": check_project,
    "projects_list.json": check_named,
    "workspaces_list.json": check_named,
    "tags_list.json": check_named,
    "tag.json": check_tag,
    "custom_field.json": check_custom_field,
    "custom_field_settings_for_project.json": check_field_settings,
    "events.json": check_events,
}
# Not read by the connector: it polls /events instead of registering webhooks. The error
# bodies and next_page are exercised through the HTTP client in test_asana_errors.py.
ELSEWHERE = {
    "webhook.json", "webhook_created.json", "webhooks_list.json", "next_page.json",
    "error_400.json", "error_401.json", "error_429.json", "error_500.json",
}  # fmt: skip


def test_every_example_has_a_parser() -> None:
    files = {p.name for p in EXAMPLES.glob("*.json") if not p.name.startswith("_")}
    assert files == set(PARSERS) | ELSEWHERE


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_example_parses(name: str) -> None:
    PARSERS[name](example(name))


def test_system_stories_are_not_comments() -> None:
    story = example("stories_list.json")["data"][0] | {"resource_subtype": "assigned"}
    assert translate.comment_from_story(story, "42", {}) is None


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"name": "no gid"}, "task.gid"),
        ({"gid": "1", "completed": "yes"}, "task.completed"),
        ({"gid": "1", "due_on": "15/09/2019"}, "task.due_on"),
        ({"gid": "1", "memberships": [{"project": "1"}]}, "task.memberships.project"),
        ({"gid": "1", "tags": [{"gid": "2"}]}, "task.tags.name"),
    ],
)
def test_wrong_shapes_are_malformed(payload: dict[str, Any], fragment: str) -> None:
    with pytest.raises(Malformed, match=fragment.replace(".", r"\.")):
        translate.task_from_payload(payload, "1")


def test_missing_envelope_is_malformed() -> None:
    with pytest.raises(Malformed, match="'data' envelope"):
        translate.data_of({"gid": "1"}, "task")


def test_write_payloads() -> None:
    changes = {"title": "T", "done": True, "start": dt.date(2024, 5, 1), "assignees": ["7", "8"], "labels": ["x"]}
    assert translate.task_write(changes, current_due=dt.date(2024, 5, 3)) == {
        "name": "T",
        "completed": True,
        "start_on": "2024-05-01",
        "due_on": "2024-05-03",  # Asana wants due_on with every start_on
        "assignee": "7",  # one assignee in Asana
    }
    assert translate.task_write({"assignees": [], "due": None}) == {"assignee": None, "due_on": None}
    new = NewTask(title="N", start=dt.date(2024, 5, 1))
    assert translate.new_task_write(new) == {"name": "N", "due_on": None, "start_on": "2024-05-01"}
