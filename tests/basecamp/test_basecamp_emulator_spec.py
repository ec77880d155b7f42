"""Every emulator answer against the reduced OpenAPI spec's response schema and the verbatim example's keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bridge.clock import VirtualClock
from connectors.basecamp import BasecampEmulator, BasecampSandbox
from tests.spec.reference import reference

from .conftest import Raw


def problems(value: Any, schema: Any, *, extra: frozenset[str] = frozenset()) -> list[str]:
    return reference("basecamp").problems(value, schema, extra=extra)


def response_schema(path: str, method: str, status: str) -> Any:
    return reference("basecamp").response_schema(method, path, status)


def example_keys(*names: str) -> frozenset[str]:
    return reference("basecamp").example_keys(*names)


@dataclass
class World:
    raw: Raw
    project: str
    todoset: int
    vault: int
    list_id: int
    group_id: int
    todo_id: int
    comment_id: int
    upload_id: int
    webhook_id: int


@pytest.fixture
def world(sandbox: BasecampSandbox, project: str, raw: Raw) -> World:
    dock = {t["name"]: int(t["id"]) for t in raw.project(project)["dock"]}
    anna = sandbox.user_ids["human"]
    list_id = int(raw.lists(project)[0]["id"])
    group = raw.json("POST", f"todolists/{list_id}/groups.json", json={"name": "Group A", "color": "blue"})
    todo = raw.json("POST", f"todolists/{list_id}/todos.json", json={
        "content": "Program it", "description": "<div><em>Try that new language!</em></div>", "due_on": "2031-05-01",
        "starts_on": "2031-04-01", "assignee_ids": [int(anna)], "completion_subscriber_ids": [int(anna)]})
    raw("POST", f"todos/{todo['id']}/completion.json")
    raw.json("POST", f"todolists/{group['id']}/todos.json", json={"content": "In a group"})
    comment = raw.json("POST", f"recordings/{todo['id']}/comments.json", json={"content": "<div>Wow!</div>"})
    blob = raw.json("POST", "attachments.json", params={"name": "logo.png"}, content=b"\x89PNG....",
                    headers={"Content-Type": "image/png"})
    upload = raw.json("POST", f"vaults/{dock['vault']}/uploads.json",
                      json={"attachable_sgid": blob["attachable_sgid"], "description": "<div>Logo</div>"})
    hook = raw.json("POST", f"buckets/{project}/webhooks.json",
                    json={"payload_url": "https://bridge.example/hooks/secret", "types": ["Todo", "Comment"]})
    return World(raw, project, dock["todoset"], dock["vault"], list_id, int(group["id"]), int(todo["id"]),
                 int(comment["id"]), int(upload["id"]), int(hook["id"]))


def _declared(schema_name: str) -> frozenset[str]:
    return frozenset(reference("basecamp").component(schema_name).get("properties", {}))


@dataclass
class Case:
    method: str
    path: str  # our path, with {placeholders} filled from the World
    spec_path: str
    status: str
    examples: tuple[str, ...] = ()
    body: dict[str, Any] | None = None
    extra_schema: str | None = None  # a schema whose properties items may also carry
    unchecked: frozenset[str] = frozenset()  # example keys that only some items carry


CASES = [
    Case("GET", "projects.json", "/{accountId}/projects.json", "200", ("projects.get_all_projects.response.json",)),
    Case("GET", "projects/{project}.json", "/{accountId}/projects/{projectId}", "200", ("projects.get_a_project.response.json",)),
    Case("GET", "projects/{project}/people.json", "/{accountId}/projects/{projectId}/people.json", "200",
         ("people.get_all_people.response.json",)),
    Case("GET", "people.json", "/{accountId}/people.json", "200", ("people.get_all_people.response.json",)),
    Case("GET", "todosets/{todoset}.json", "/{accountId}/todosets/{todosetId}", "200", ("todosets.get_to_do_set.response.json",)),
    Case("GET", "todosets/{todoset}/todolists.json", "/{accountId}/todosets/{todosetId}/todolists.json", "200",
         ("todolists.get_to_do_lists.response.json",)),
    Case("POST", "todosets/{todoset}/todolists.json", "/{accountId}/todosets/{todosetId}/todolists.json", "201",
         ("todolists.get_a_to_do_list.response.json",), {"name": "Launch", "description": "<div><em>Finish it!</em></div>"}),
    Case("GET", "todolists/{list_id}.json", "/{accountId}/todolists/{id}", "200", ("todolists.get_a_to_do_list.response.json",)),
    Case("GET", "todolists/{group_id}.json", "/{accountId}/todolists/{id}", "200",
         ("todolist_groups.get_a_to_do_list_group.response.json",)),
    Case("PUT", "todolists/{list_id}.json", "/{accountId}/todolists/{id}", "200", ("todolists.get_a_to_do_list.response.json",),
         {"name": "Relaunch", "description": "<div><strong>Try this again.</strong></div>"}),
    Case("GET", "todolists/{list_id}/groups.json", "/{accountId}/todolists/{todolistId}/groups.json", "200",
         ("todolist_groups.list_to_do_list_groups.response.json",)),
    Case("POST", "todolists/{list_id}/groups.json", "/{accountId}/todolists/{todolistId}/groups.json", "201",
         ("todolist_groups.get_a_to_do_list_group.response.json",), {"name": "The Spencer Davis Group"}),
    Case("GET", "todolists/{list_id}/todos.json?completed=true", "/{accountId}/todolists/{todolistId}/todos.json", "200",
         ("todos.get_to_dos.response.json", "todos.get_a_to_do.response.json")),
    Case("POST", "todolists/{list_id}/todos.json", "/{accountId}/todolists/{todolistId}/todos.json", "201",
         ("todos.get_a_to_do.response.json", "todos.get_to_dos.response.json"),
         {"content": "Program it", "due_on": "2031-05-01"}),
    Case("GET", "todos/{todo_id}.json", "/{accountId}/todos/{todoId}", "200",
         ("todos.get_a_to_do.response.json", "todos.get_to_dos.response.json")),
    Case("PUT", "todos/{todo_id}.json", "/{accountId}/todos/{todoId}", "200",
         ("todos.get_a_to_do.response.json", "todos.get_to_dos.response.json"), {"content": "Only changing content!"}),
    Case("GET", "recordings/{todo_id}/comments.json", "/{accountId}/recordings/{recordingId}/comments.json", "200",
         ("comments.get_comments.response.json",)),
    Case("POST", "recordings/{todo_id}/comments.json", "/{accountId}/recordings/{recordingId}/comments.json", "201",
         ("comments.get_a_comment.response.json",), {"content": "<div><em>Wow!</em> That is cool.</div>"}),
    Case("GET", "comments/{comment_id}.json", "/{accountId}/comments/{commentId}", "200",
         ("comments.get_a_comment.response.json",)),
    Case("PUT", "comments/{comment_id}.json", "/{accountId}/comments/{commentId}", "200",
         ("comments.get_a_comment.response.json",),
         {"content": "<div><em>No way!</em> That isn't cool at all.</div>"}),
    Case("GET", "projects/recordings.json?type=Todo&bucket={project}", "/{accountId}/projects/recordings.json", "200",
         ("todos.get_to_dos.response.json", "todos.get_a_to_do.response.json"), extra_schema="Todo"),
    Case("GET", "projects/recordings.json?type=Comment&bucket={project}&sort=updated_at", "/{accountId}/projects/recordings.json",
         "200", ("comments.get_comments.response.json",), extra_schema="Comment"),
    Case("GET", "projects/recordings.json?type=Todolist&bucket={project}&status=active", "/{accountId}/projects/recordings.json",
         "200", ("todolists.get_to_do_lists.response.json", "todolist_groups.list_to_do_list_groups.response.json"),
         extra_schema="Todolist", unchecked=frozenset({"groups_url"})),
    Case("GET", "recordings/{todo_id}/events.json", "/{accountId}/recordings/{recordingId}/events.json", "200",
         ("events.get_events.response.json",)),
    Case("GET", "vaults/{vault}.json", "/{accountId}/vaults/{vaultId}", "200", ("vaults.get_a_vault.response.json",)),
    Case("GET", "vaults/{vault}/uploads.json", "/{accountId}/vaults/{vaultId}/uploads.json", "200",
         ("uploads.get_uploads.response.json",)),
    Case("GET", "uploads/{upload_id}.json", "/{accountId}/uploads/{uploadId}", "200", ("uploads.get_an_upload.response.json",)),
    Case("GET", "people/{me}.json", "/{accountId}/people/{personId}", "200", ("people.get_person.response.json",)),
    Case("GET", "buckets/{project}/webhooks.json", "/{accountId}/buckets/{bucketId}/webhooks.json", "200",
         ("webhooks.get_webhooks.response.json",)),
    Case("POST", "buckets/{project}/webhooks.json", "/{accountId}/buckets/{bucketId}/webhooks.json", "201",
         ("webhooks.get_a_webhook.response.json",), {"payload_url": "https://example.com/endpoint", "types": ["Todo"]}),
    Case("GET", "webhooks/{webhook_id}.json", "/{accountId}/webhooks/{webhookId}", "200",
         ("webhooks.get_a_webhook.response.json",)),
    Case("PUT", "webhooks/{webhook_id}.json", "/{accountId}/webhooks/{webhookId}", "200",
         ("webhooks.get_a_webhook.response.json",),
         {"payload_url": "https://example.com/other", "types": ["Todo"], "active": False}),
]


def _fill(path: str, world: World, sandbox: BasecampSandbox) -> str:
    return path.format(project=world.project, todoset=world.todoset, vault=world.vault, list_id=world.list_id,
                       group_id=world.group_id, todo_id=world.todo_id, comment_id=world.comment_id,
                       upload_id=world.upload_id, webhook_id=world.webhook_id, me=sandbox.user_ids["human"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_answer_matches_spec_schema_and_example_keys(case: Case, world: World, sandbox: BasecampSandbox) -> None:
    response = world.raw(case.method, _fill(case.path, world, sandbox), json=case.body)
    assert str(response.status_code) == case.status, response.text
    schema = response_schema(case.spec_path, case.method, case.status)
    assert schema is not None
    body = response.json()
    allowed = example_keys(*case.examples) | (_declared(case.extra_schema) if case.extra_schema else frozenset())
    assert problems(body, schema, extra=allowed) == []
    items = body if isinstance(body, list) else [body]
    assert items, "seed data should make every listing non-empty"
    # Every key of the official example of that object is there; a to-do's ``completion`` only once it is
    # done, a project's ``client_company``/``clientside`` only when it has a client company.
    wanted = example_keys(case.examples[0]) - {"completion", "client_company", "clientside"} - case.unchecked
    for item in items:
        assert wanted - set(item) == set(), f"keys of {case.examples[0]} missing"


@pytest.mark.parametrize(("method", "path", "spec_path"), [
    ("POST", "todos/{todo_id}/completion.json", "/{accountId}/todos/{todoId}/completion.json"),
    ("DELETE", "todos/{todo_id}/completion.json", "/{accountId}/todos/{todoId}/completion.json"),
    ("PUT", "recordings/{comment_id}/status/archived.json", "/{accountId}/recordings/{recordingId}/status/archived.json"),
    ("PUT", "recordings/{comment_id}/status/active.json", "/{accountId}/recordings/{recordingId}/status/active.json"),
    ("PUT", "recordings/{comment_id}/status/trashed.json", "/{accountId}/recordings/{recordingId}/status/trashed.json"),
    ("DELETE", "webhooks/{webhook_id}.json", "/{accountId}/webhooks/{webhookId}"),
])
def test_no_content_answers(method: str, path: str, spec_path: str, world: World, sandbox: BasecampSandbox) -> None:
    assert "204" in reference("basecamp").document["paths"][spec_path][method.lower()]["responses"]
    response = world.raw(method, _fill(path, world, sandbox))
    assert response.status_code == 204 and response.content == b""


def test_reposition_answers_no_content_as_the_docs_say(world: World) -> None:
    # todos.md: "This endpoint will return 204 No Content"; the SDK spec says a bodiless 200. The docs win.
    response = world.raw("PUT", f"todos/{world.todo_id}/position.json", json={"position": 1})
    assert response.status_code == 204 and response.content == b""


@pytest.mark.parametrize(("status", "schema_name", "make"), [
    ("404", "NotFoundErrorResponseContent", lambda r, w: r("GET", "todos/1.json")),
    ("422", "ValidationErrorResponseContent", lambda r, w: r("PUT", f"todos/{w.todo_id}.json", json={"description": "x"})),
])
def test_error_bodies(status: str, schema_name: str, make: Any, world: World) -> None:
    response = make(world.raw, world)
    assert str(response.status_code) == status
    assert problems(response.json(), {"$ref": f"#/components/schemas/{schema_name}"}) == []


def test_unauthorized_and_rate_limited_bodies() -> None:
    clock = VirtualClock()
    emulator = BasecampEmulator(clock=clock, rate_limit=(2.0, 10.0))
    sandbox = BasecampSandbox(emulator, clock=clock)
    raw = Raw(emulator, "tok-nobody")
    denied = raw("GET", "projects.json")
    assert denied.status_code == 401
    assert problems(denied.json(), {"$ref": "#/components/schemas/UnauthorizedErrorResponseContent"}) == []
    raw = Raw(emulator, "tok-anna-0002")
    assert sandbox.user_ids["human"]
    answers = [raw("GET", "projects.json") for _ in range(3)]
    limited = answers[-1]
    assert limited.status_code == 429
    assert problems(limited.json(), {"$ref": "#/components/schemas/RateLimitErrorResponseContent"}) == []
    assert limited.headers["Retry-After"] == str(limited.json()["retry_after"])


def test_the_checker_catches_what_it_checks(world: World) -> None:
    good = world.raw.json("GET", f"todos/{world.todo_id}.json")
    schema = response_schema("/{accountId}/todos/{todoId}", "GET", "200")
    assert schema is not None and problems(good, schema, extra=example_keys("todos.get_a_to_do.response.json")) == []
    broken = {**good, "invented": 1, "completed": "yes", "parent": {**good["parent"], "id": "x"}}
    del broken["bucket"]
    found = problems(broken, schema, extra=example_keys("todos.get_a_to_do.response.json"))
    assert "$: undeclared property 'invented'" in found
    assert "$: missing required 'bucket'" in found
    assert any(p.startswith("$.completed:") for p in found) and any(p.startswith("$.parent.id:") for p in found)
