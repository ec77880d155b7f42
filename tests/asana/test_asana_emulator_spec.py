"""The emulator's responses conform to the reference OpenAPI spec (status, envelope, schemas)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.asana import Sandbox
from connectors.emulation.sandbox import USERS
from tests.spec.reference import ROOT, reference

REFERENCE = ROOT / "asana"


def problems(value: Any, schema: Any, *, strict: bool = True) -> list[str]:
    return reference("asana").problems(value, schema, strict=strict)


def schema(name: str) -> Any:
    return reference("asana").schema(name)


def response_schema(path: str, method: str, status: int) -> Any:
    return reference("asana").response_schema(method, path, status)


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {USERS['human'].token}"}
    with httpx.Client(
        base_url=sandbox.emulator.base_url + "/", transport=sandbox.emulator.transport(), headers=headers
    ) as client:
        yield client


@pytest.fixture
def world(sandbox: Sandbox, project: str, sections: dict[str, str], api: httpx.Client) -> dict[str, str]:
    """A task with every field set, a subtask, a tag, a comment and an attachment."""
    settings = api.get(
        f"projects/{project}/custom_field_settings", params={"opt_fields": "custom_field.enum_options.name"}
    ).json()
    field = settings["data"][0]["custom_field"]
    tag = api.post("tags", json={"data": {"name": "urgent", "workspace": sandbox.emulator.store.workspace.gid}}).json()["data"][
        "gid"
    ]
    task = api.post(
        "tasks",
        json={
            "data": {
                "name": "Homepage",
                "notes": "Hero & footer",
                "due_on": "2024-05-02",
                "start_on": "2024-05-01",
                "assignee": "me",
                "tags": [tag],
                "memberships": [{"project": project, "section": sections["Backlog"]}],
                "custom_fields": {field["gid"]: field["enum_options"][1]["gid"]},
            }
        },
    ).json()["data"]["gid"]
    subtask = api.post(f"tasks/{task}/subtasks", json={"data": {"name": "Copy"}}).json()["data"]["gid"]
    story = api.post(f"tasks/{task}/stories", json={"data": {"text": "Looks good"}}).json()["data"]["gid"]
    files = {
        "parent": (None, task),
        "resource_subtype": (None, "external"),
        "url": (None, "https://example.com/a"),
        "name": (None, "Brief"),
    }
    attachment = api.post("attachments", files=files).json()["data"]["gid"]
    return {
        "project": project,
        "section": sections["Backlog"],
        "task": task,
        "subtask": subtask,
        "tag": tag,
        "story": story,
        "attachment": attachment,
    }


def conforms(response: httpx.Response, path: str, method: str, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert problems(body, response_schema(path, method, status)) == []
    return body


READS = [
    ("/users/{user_gid}", "users/me", {}),
    ("/users", "users", {"workspace": "{workspace}"}),
    ("/workspaces", "workspaces", {}),
    ("/projects/{project_gid}", "projects/{project}", {}),
    ("/projects/{project_gid}/sections", "projects/{project}/sections", {}),
    ("/projects/{project_gid}/custom_field_settings", "projects/{project}/custom_field_settings", {}),
    ("/sections/{section_gid}", "sections/{section}", {}),
    ("/tasks", "tasks", {"project": "{project}", "limit": "1"}),
    ("/tasks/{task_gid}", "tasks/{task}", {}),
    ("/tasks/{task_gid}", "tasks/{subtask}", {}),
    ("/tasks/{task_gid}/subtasks", "tasks/{task}/subtasks", {}),
    ("/projects/{project_gid}/tasks", "projects/{project}/tasks", {}),
    ("/sections/{section_gid}/tasks", "sections/{section}/tasks", {}),
    ("/tasks/{task_gid}/stories", "tasks/{task}/stories", {}),
    ("/stories/{story_gid}", "stories/{story}", {}),
    ("/attachments", "attachments", {"parent": "{task}"}),
    ("/attachments/{attachment_gid}", "attachments/{attachment}", {}),
    ("/tags", "tags", {"workspace": "{workspace}"}),
    ("/workspaces/{workspace_gid}/tags", "workspaces/{workspace}/tags", {}),
    ("/tags/{tag_gid}", "tags/{tag}", {}),
]


@pytest.mark.parametrize(("spec_path", "path", "params"), READS, ids=[r[1] for r in READS])
def test_reads_match_the_spec(
    api: httpx.Client, sandbox: Sandbox, world: dict[str, str], spec_path: str, path: str, params: dict[str, str]
) -> None:
    ids = world | {"workspace": sandbox.emulator.store.workspace.gid}
    response = api.get(path.format(**ids), params={k: v.format(**ids) for k, v in params.items()})
    body = conforms(response, spec_path, "get", 200)
    assert body["data"], "an empty answer proves nothing"


def test_full_task_carries_every_mapped_field(api: httpx.Client, world: dict[str, str]) -> None:
    task = api.get(f"tasks/{world['task']}").json()["data"]
    assert task["memberships"] == [
        {"project": task["projects"][0], "section": {"gid": world["section"], "resource_type": "section", "name": "Backlog"}}
    ]
    assert task["custom_fields"][0]["enum_value"]["name"] == "client"
    assert task["custom_fields"][0]["display_value"] == "client"
    assert (task["due_on"], task["start_on"], task["num_subtasks"]) == ("2024-05-02", "2024-05-01", 1)
    assert [t["name"] for t in task["tags"]] == ["urgent"]
    assert task["html_notes"] == "<body>Hero &amp; footer</body>"


def test_writes_match_the_spec(api: httpx.Client, world: dict[str, str]) -> None:
    task, project, section = world["task"], world["project"], world["section"]
    conforms(api.put(f"tasks/{task}", json={"data": {"completed": True}}), "/tasks/{task_gid}", "put", 200)
    conforms(
        api.post(f"projects/{project}/sections", json={"data": {"name": "QA"}}), "/projects/{project_gid}/sections", "post", 201
    )
    conforms(api.put(f"sections/{section}", json={"data": {"name": "Ideas"}}), "/sections/{section_gid}", "put", 200)
    conforms(
        api.post(f"sections/{section}/addTask", json={"data": {"task": task}}), "/sections/{section_gid}/addTask", "post", 200
    )
    conforms(
        api.post(f"tasks/{task}/removeTag", json={"data": {"tag": world["tag"]}}), "/tasks/{task_gid}/removeTag", "post", 200
    )
    conforms(api.post(f"tasks/{task}/addTag", json={"data": {"tag": world["tag"]}}), "/tasks/{task_gid}/addTag", "post", 200)
    conforms(api.put(f"stories/{world['story']}", json={"data": {"text": "Edited"}}), "/stories/{story_gid}", "put", 200)
    conforms(api.delete(f"stories/{world['story']}"), "/stories/{story_gid}", "delete", 200)
    conforms(api.delete(f"attachments/{world['attachment']}"), "/attachments/{attachment_gid}", "delete", 200)
    conforms(
        api.post(f"tasks/{task}/removeProject", json={"data": {"project": project}}),
        "/tasks/{task_gid}/removeProject",
        "post",
        200,
    )
    conforms(
        api.post(f"tasks/{task}/addProject", json={"data": {"project": project}}), "/tasks/{task_gid}/addProject", "post", 200
    )
    conforms(api.delete(f"tasks/{world['subtask']}"), "/tasks/{task_gid}", "delete", 200)


def test_creates_match_the_spec(api: httpx.Client, sandbox: Sandbox, world: dict[str, str]) -> None:
    created = api.post("tasks", json={"data": {"name": "New", "projects": [world["project"]]}})
    assert created.headers["location"].endswith(f"/tasks/{created.json()['data']['gid']}")
    conforms(created, "/tasks", "post", 201)
    conforms(
        api.post(f"tasks/{world['task']}/subtasks", json={"data": {"name": "Sub"}}), "/tasks/{task_gid}/subtasks", "post", 201
    )
    story = api.post(f"tasks/{world['task']}/stories", json={"data": {"text": "Hi"}})
    assert story.headers["location"].endswith(f"/api/1.0/stories/{story.json()['data']['gid']}")
    conforms(story, "/tasks/{task_gid}/stories", "post", 201)
    workspace = sandbox.emulator.store.workspace.gid
    conforms(api.post("tags", json={"data": {"name": "x", "workspace": workspace}}), "/tags", "post", 201)
    files = {
        "parent": (None, world["task"]),
        "resource_subtype": (None, "external"),
        "url": (None, "https://e.x/b"),
        "name": (None, "B"),
    }
    conforms(api.post("attachments", files=files), "/attachments", "post", 200)


def test_events_match_the_spec(api: httpx.Client, world: dict[str, str]) -> None:
    first = conforms(api.get("events", params={"resource": world["project"]}), "/events", "get", 412)
    api.put(f"tasks/{world['task']}", json={"data": {"name": "Renamed"}})
    api.post(f"tasks/{world['task']}/stories", json={"data": {"text": "Hi"}})
    body = conforms(api.get("events", params={"resource": world["project"], "sync": first["sync"]}), "/events", "get", 200)
    assert {(e["type"], e["action"]) for e in body["data"]} >= {("task", "changed"), ("story", "added")}
    for event in body["data"]:
        assert problems(event, schema("EventResponse")) == []
        assert set(event["resource"]) <= {"gid", "resource_type", "name"}, "the default event resource is an AsanaNamedResource"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "tasks/1", 404), ("get", "tasks", 400), ("post", "tasks", 400), ("get", "users/me", 401)],
)
def test_errors_match_the_reference_shape(api: httpx.Client, method: str, path: str, status: int) -> None:
    headers = {"Authorization": "Bearer wrong"} if status == 401 else {}
    response = api.request(method.upper(), path, json={"data": {}} if method == "post" else None, headers=headers)
    assert response.status_code == status
    body = response.json()
    assert problems(body, schema("ErrorResponse")) == []
    assert body["errors"][0]["message"]
    if status == 401:
        assert body == {"errors": [{"message": "Not Authorized"}]}  # examples/error_401.json


def test_checker_catches_wrong_payloads() -> None:
    task = schema("TaskResponse")
    assert problems({"gid": "1", "completed": "yes"}, task) == ["$.completed: expected boolean, got str"]
    assert problems({"gid": "1", "title": "x"}, task) == ["$: undeclared property 'title'"]
    assert problems({"gid": "1", "resource_subtype": "bug"}, task)
    assert problems({"gid": "1", "assignee": None, "parent": None}, task) == []
    assert problems({"gid": "1", "workspace": None}, task) == ["$.workspace: null but not nullable"]


def _operation_examples() -> list[str]:
    return sorted(json.loads((REFERENCE / "examples" / "_index.json").read_text()))


@pytest.mark.parametrize("name", _operation_examples())
def test_checker_accepts_the_official_examples(name: str) -> None:
    index = json.loads((REFERENCE / "examples" / "_index.json").read_text())
    operation_id, status = index[name]["operationId"], index[name]["status"]
    path, method = next(
        (p, m)
        for p, ops in reference("asana").document["paths"].items()
        for m, o in ops.items()
        if isinstance(o, dict) and o.get("operationId") == operation_id
    )
    body = json.loads((REFERENCE / "examples" / name).read_text())
    # The examples are from the 2024 docs and the spec from 2026: a few properties were
    # dropped since (project.is_template...), so only types, enums and required ones count.
    assert problems(body, response_schema(path, method, status), strict=False) == []
