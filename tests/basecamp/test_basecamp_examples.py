"""Every strict-JSON example of the reference: the connector reads the mapped fields without losing any,
and the emulator accepts every request example of an endpoint it serves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridge import richtext
from bridge.clock import VirtualClock
from bridge.core.model import Comment
from connectors.basecamp import translate
from connectors.basecamp.mapping import load_mapping
from connectors.basecamp.pull import ProjectPull
from connectors.basecamp.webhooks import parse_delivery
from tests.spec.reference import ROOT, reference

from .conftest import Raw

EXAMPLES = ROOT / "basecamp" / "examples"


def example(name: str) -> Any:
    return reference("basecamp").example(name)


INDEX: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "_index.json").read_text())
STRICT = sorted(name for name, meta in INDEX.items() if meta["valid_json"])


def _items(name: str) -> list[dict[str, Any]]:
    body = example(name)
    return body if isinstance(body, list) else [body]


def _check_todo(raw: dict[str, Any]) -> None:
    task = translate.task(raw, translate.parent_id(raw))
    assert (task.id, task.title, task.done) == (str(raw["id"]), raw["content"], raw["completed"])
    assert task.notes == richtext.read("basecamp", raw["description"])
    assert (str(task.due) if task.due else None, str(task.start) if task.start else None) == (raw["due_on"], raw["starts_on"])
    assert task.assignees == [str(p["id"]) for p in raw["assignees"]]
    assert task.section_id == str(raw["parent"]["id"]) and task.version == raw["updated_at"]
    assert task.position == float(raw.get("position") or 0)
    assert task.url == raw["app_url"]
    people = {p.id: p for p in translate.people_of(raw)}
    assert {str(raw["creator"]["id"]), *task.assignees} <= set(people)
    assert people[str(raw["creator"]["id"])].email == raw["creator"]["email_address"]


def _check_list(raw: dict[str, Any]) -> None:
    section = translate.section(raw)
    assert (section.id, section.name, section.position) == (str(raw["id"]), raw["name"], float(raw["position"]))


def _check_comment(raw: dict[str, Any]) -> None:
    item = translate.comment(raw)
    assert isinstance(item, Comment)
    assert (item.id, item.task_id) == (str(raw["id"]), str(raw["parent"]["id"]))
    assert item.text == richtext.read("basecamp", raw["content"]) and item.text.strip()
    assert item.author is not None and (item.author.id, item.author.name) == (str(raw["creator"]["id"]), raw["creator"]["name"])
    assert not translate.on_todo(raw), "the examples comment on a Message: the pull keeps only to-do comments"


def _check_person(raw: dict[str, Any]) -> None:
    person = translate.person(raw)
    assert (person.id, person.name, person.email) == (str(raw["id"]), raw["name"], raw["email_address"])


def _check_project(raw: dict[str, Any]) -> None:
    puller = ProjectPull(None, "basecamp", load_mapping())  # type: ignore[arg-type]
    todoset = next(t for t in raw["dock"] if t["name"] == "todoset")
    assert puller.todoset_of(raw) == str(todoset["id"])


def _check_todoset(raw: dict[str, Any]) -> None:
    # The embedded list summaries carry no position or name key; sections come from the list listing.
    assert [translate.ident(t["id"]) for t in raw["todolists"]] and raw["todolists_count"] == len(raw["todolists"])


def _check_webhooks(raw: dict[str, Any]) -> None:
    for delivery in raw.get("recent_deliveries", []):
        body = delivery["request"]["body"]
        parsed = parse_delivery(body)
        assert (parsed.kind, parsed.recording_id) == (body["kind"], str(body["recording"]["id"]))


def _check_delivery(raw: dict[str, Any]) -> None:
    parsed = parse_delivery(raw)
    assert (parsed.kind, parsed.project_id, parsed.recording_type) == ("message_created", "2085958498", "Message")


READERS = {
    "todos.get_a_to_do.response.json": _check_todo,
    "todos.get_to_dos.response.json": _check_todo,
    "todolists.get_a_to_do_list.response.json": _check_list,
    "todolists.get_to_do_lists.response.json": _check_list,
    "todolist_groups.get_a_to_do_list_group.response.json": _check_list,
    "todolist_groups.list_to_do_list_groups.response.json": _check_list,
    "comments.get_a_comment.response.json": _check_comment,
    "comments.get_comments.response.json": _check_comment,
    "people.get_person.response.json": _check_person,
    "people.get_all_people.response.json": _check_person,
    "projects.get_a_project.response.json": _check_project,
    "projects.get_all_projects.response.json": _check_project,
    "todosets.get_to_do_set.response.json": _check_todoset,
    "webhooks.get_a_webhook.response.json": _check_webhooks,
    "webhook_payload.event.json": _check_delivery,
}
# Request bodies: the emulator must accept them (checked below); the connector writes the same keys.
REQUESTS = {
    "todos.create_a_to_do.request.json", "todos.update_a_to_do.request.json", "todos.reposition_a_to_do.request.json",
    "todos.reposition_a_to_do.other1.json", "todolists.create_a_to_do_list.request.json",
    "todolists.update_a_to_do_list.request.json", "comments.create_a_comment.request.json",
    "comments.update_a_comment.request.json", "todolist_groups.reposition_a_to_do_list_group.request.json",
    "webhooks.create_a_webhook.request.json", "webhooks.update_a_webhook.request.json", "uploads.create_an_upload.request.json",
}
# Parts of Basecamp the connector does not map (OAuth, subscriptions, preferences, file versions...).
UNMAPPED = {
    "attachments.create_an_attachment.response.json", "authentication.get_authorization.response.json",
    "authentication.oauth_2_from_scratch.other1.json", "authentication.refreshing_access_tokens.other2.json",
    "events.get_events.response.json", "people.get_my_preferences.response.json", "people.update_my_personal_info.request.json",
    "people.update_my_preferences.other2.json", "people.update_who_can_access_a_project.other1.json",
    "people.update_who_can_access_a_project.response.json", "projects.create_a_project.other1.json",
    "projects.create_a_project.request.json", "projects.update_a_project.request.json",
    "rich_text.inserting_a_mention.other1.json",
    "rich_text.inserting_an_image_or_file_attachment.other2.json", "subscriptions.get_subscription.response.json",
    "subscriptions.update_subscription.other1.json", "subscriptions.update_subscription.response.json",
    "uploads.get_an_upload.response.json", "uploads.get_upload_versions.response.json", "uploads.get_uploads.response.json",
    "uploads.update_an_upload.request.json", "vaults.create_a_vault.request.json", "vaults.get_a_vault.response.json",
    "vaults.get_vaults.response.json", "vaults.update_a_vault.request.json", "webhooks.get_webhooks.response.json",
}


def test_every_strict_example_is_classified() -> None:
    on_disk = {p.name for p in EXAMPLES.glob("*.json")} - {"_index.json"}
    strict = {name for name in on_disk if name in STRICT or name not in INDEX}
    assert strict == set(READERS) | REQUESTS | UNMAPPED


@pytest.mark.parametrize("name", sorted(READERS))
def test_example_reads_without_losing_mapped_fields(name: str) -> None:
    for raw in _items(name):
        READERS[name](raw)


@pytest.mark.parametrize("name", ["todos.create_a_to_do.request.json", "todos.update_a_to_do.request.json"])
def test_connector_writes_every_key_of_the_todo_examples(name: str) -> None:
    body = example(name)
    task = translate.task({"id": 1, "type": "Todo", "content": body["content"], "description": body["description"],
                           "due_on": body["due_on"], "completed": False}, "3")
    written = translate.todo_body(task, [])
    assert set(body) <= set(written)
    assert {k: written[k] for k in body} == body, "Markdown in between changes nothing Basecamp would store"


@pytest.mark.parametrize("name", ["comments.create_a_comment.request.json", "comments.update_a_comment.request.json",
                                  "todolists.create_a_to_do_list.request.json"])
def test_rich_text_of_request_examples_round_trips(name: str) -> None:
    rich = example(name).get("content") or example(name)["description"]
    assert richtext.write("basecamp", richtext.read("basecamp", rich)) == rich


def test_emulator_accepts_every_request_example(clock: VirtualClock, raw: Raw, project: str) -> None:
    lists = raw.lists(project)
    list_id, other = lists[0]["id"], lists[1]["id"]
    todo = raw.json("POST", f"todolists/{list_id}/todos.json", json=example("todos.create_a_to_do.request.json"))
    raw.json("PUT", f"todos/{todo['id']}.json", json=example("todos.update_a_to_do.request.json"))
    reorder = example("todos.reposition_a_to_do.request.json")
    assert raw("PUT", f"todos/{todo['id']}/position.json", json=reorder).status_code == 204
    move = {**example("todos.reposition_a_to_do.other1.json"), "parent_id": other}
    assert raw("PUT", f"todos/{todo['id']}/position.json", json=move).status_code == 204
    created = raw.json("POST", f"todosets/{raw.todoset_id(project)}/todolists.json",
                       json=example("todolists.create_a_to_do_list.request.json"))
    raw.json("PUT", f"todolists/{created['id']}.json", json=example("todolists.update_a_to_do_list.request.json"))
    group = raw.json("POST", f"todolists/{created['id']}/groups.json", json={"name": "The Spencer Davis Group"})
    reposition = example("todolist_groups.reposition_a_to_do_list_group.request.json")
    assert raw("PUT", f"todolists/groups/{group['id']}/position.json", json=reposition).status_code == 204
    comment = raw.json("POST", f"recordings/{todo['id']}/comments.json", json=example("comments.create_a_comment.request.json"))
    raw.json("PUT", f"comments/{comment['id']}.json", json=example("comments.update_a_comment.request.json"))
    hook = raw.json("POST", f"buckets/{project}/webhooks.json", json=example("webhooks.create_a_webhook.request.json"))
    raw.json("PUT", f"webhooks/{hook['id']}.json", json=example("webhooks.update_a_webhook.request.json"))
    vault = next(t["id"] for t in raw.project(project)["dock"] if t["name"] == "vault")
    blob = raw.json("POST", "attachments.json", params={"name": "pizza.png"}, content=b"png",
                    headers={"Content-Type": "image/png"})
    upload = {**example("uploads.create_an_upload.request.json"), "attachable_sgid": blob["attachable_sgid"]}
    assert raw.json("POST", f"vaults/{vault}/uploads.json", json=upload)["filename"] == "yummy_pizza.png"
