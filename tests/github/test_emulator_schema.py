"""Every emulator response the connector relies on conforms to the official (2020) description."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.emulation.sandbox import USERS
from tests.spec.reference import reference

from .conftest import World


def errors(value: Any, schema: Any) -> list[str]:
    return reference("github").problems(value, schema)


def component(name: str) -> Any:
    return reference("github").schema(name)


def response_schema(method: str, template: str, status: int) -> Any:
    return reference("github").response_schema(method, template, status)

O_R = "/repos/{owner}/{repo}"


def client(world: World, who: str = "human") -> httpx.Client:
    token = USERS[who].token  # type: ignore[index]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    return httpx.Client(base_url=world.emulator.base_url, transport=world.emulator.transport(), headers=headers)


def check(response: httpx.Response, method: str, template: str, status: int) -> Any:
    assert response.status_code == status, response.text
    schema = response_schema(method, template, status)
    if schema is None:
        assert not response.content
        return None
    body = response.json()
    assert errors(body, schema) == []
    return body


def test_issue_routes_conform(world: World) -> None:
    http = client(world)
    base = f"/repos/{world.project}"
    milestone = check(http.post(f"{base}/milestones", json={"title": "v1"}), "POST", f"{O_R}/milestones", 201)
    issue = check(
        http.post(
            f"{base}/issues",
            json={
                "title": "Found a bug",
                "body": "It breaks.",
                "assignees": ["anna"],
                "labels": ["bug"],
                "milestone": milestone["number"],
            },
        ),
        "POST",
        f"{O_R}/issues",
        201,
    )
    number = issue["number"]
    assert issue["state_reason"] is None  # the current description's field, absent from the 2020 one
    check(http.get(f"{base}/issues", params={"state": "all"}), "GET", f"{O_R}/issues", 200)
    check(http.get(f"{base}/issues/{number}"), "GET", f"{O_R}/issues/{{issue_number}}", 200)
    closed = check(
        http.patch(f"{base}/issues/{number}", json={"state": "closed", "state_reason": "not_planned"}),
        "PATCH",
        f"{O_R}/issues/{{issue_number}}",
        200,
    )
    assert closed["state_reason"] == "not_planned" and closed["closed_at"]
    comment = check(
        http.post(f"{base}/issues/{number}/comments", json={"body": "Me too"}),
        "POST",
        f"{O_R}/issues/{{issue_number}}/comments",
        201,
    )
    check(http.get(f"{base}/issues/{number}/comments"), "GET", f"{O_R}/issues/{{issue_number}}/comments", 200)
    check(http.get(f"{base}/issues/comments", params={"since": "2000-01-01T00:00:00Z"}), "GET", f"{O_R}/issues/comments", 200)
    check(http.get(f"{base}/issues/comments/{comment['id']}"), "GET", f"{O_R}/issues/comments/{{comment_id}}", 200)
    check(
        http.patch(f"{base}/issues/comments/{comment['id']}", json={"body": "Me three"}),
        "PATCH",
        f"{O_R}/issues/comments/{{comment_id}}",
        200,
    )
    check(http.delete(f"{base}/issues/comments/{comment['id']}"), "DELETE", f"{O_R}/issues/comments/{{comment_id}}", 204)
    check(
        http.put(f"{base}/issues/{number}/lock", json={"lock_reason": "resolved"}),
        "PUT",
        f"{O_R}/issues/{{issue_number}}/lock",
        204,
    )
    check(
        http.post(f"{base}/issues/{number}/labels", json={"labels": ["Foo"]}),
        "POST",
        f"{O_R}/issues/{{issue_number}}/labels",
        200,
    )
    check(
        http.put(f"{base}/issues/{number}/labels", json={"labels": ["bAr"]}), "PUT", f"{O_R}/issues/{{issue_number}}/labels", 200
    )
    check(http.delete(f"{base}/issues/{number}/labels/bAr"), "DELETE", f"{O_R}/issues/{{issue_number}}/labels/{{name}}", 200)
    check(
        http.post(f"{base}/issues/{number}/assignees", json={"assignees": ["carla"]}),
        "POST",
        f"{O_R}/issues/{{issue_number}}/assignees",
        201,
    )
    check(
        http.request("DELETE", f"{base}/issues/{number}/assignees", json={"assignees": ["carla"]}),
        "DELETE",
        f"{O_R}/issues/{{issue_number}}/assignees",
        200,
    )


def test_repository_routes_conform(world: World) -> None:
    http = client(world)
    base = f"/repos/{world.project}"
    label = check(http.post(f"{base}/labels", json={"name": "status: Review", "color": "663399"}), "POST", f"{O_R}/labels", 201)
    check(http.get(f"{base}/labels"), "GET", f"{O_R}/labels", 200)
    check(http.get(f"{base}/labels/status: Review"), "GET", f"{O_R}/labels/{{name}}", 200)
    renamed = check(
        http.patch(f"{base}/labels/{label['name']}", json={"new_name": "status: Approved"}),
        "PATCH",
        f"{O_R}/labels/{{name}}",
        200,
    )
    assert renamed["id"] == label["id"] and renamed["name"] == "status: Approved"
    check(http.delete(f"{base}/labels/status: Approved"), "DELETE", f"{O_R}/labels/{{name}}", 204)
    check(http.get(f"{base}/milestones"), "GET", f"{O_R}/milestones", 200)
    check(http.get(f"{base}/assignees"), "GET", f"{O_R}/assignees", 200)
    check(http.get(f"{base}/assignees/anna"), "GET", f"{O_R}/assignees/{{assignee}}", 204)
    hook = check(
        http.post(
            f"{base}/hooks",
            json={"name": "web", "events": ["issues"], "config": {"url": "https://hooks.example/gh", "secret": "s3"}},
        ),
        "POST",
        f"{O_R}/hooks",
        201,
    )
    assert hook["config"]["secret"] == "********"
    check(http.get(f"{base}/hooks"), "GET", f"{O_R}/hooks", 200)
    check(http.get(f"{base}/hooks/{hook['id']}"), "GET", f"{O_R}/hooks/{{hook_id}}", 200)
    check(http.delete(f"{base}/hooks/{hook['id']}"), "DELETE", f"{O_R}/hooks/{{hook_id}}", 204)
    check(http.get("/rate_limit"), "GET", "/rate_limit", 200)
    user = http.get("/user").json()
    assert errors(user, component("private-user")) == []
    repo = http.get(base).json()
    assert errors(repo, component("repository")) == []


def test_error_shapes_conform(world: World) -> None:
    http = client(world)
    base = f"/repos/{world.project}"
    invalid = check(http.post(f"{base}/labels", json={"name": "x", "color": "nope"}), "POST", f"{O_R}/labels", 422)
    assert invalid["message"] == "Validation Failed"
    assert invalid["errors"] == [{"resource": "Label", "code": "invalid", "field": "color"}]  # as recorded (errors.01.POST.422)
    check(http.get("/repos/agency/absent/labels"), "GET", f"{O_R}/labels", 404)
    missing_title = check(http.post(f"{base}/issues", json={"body": "no title"}), "POST", f"{O_R}/issues", 422)
    assert missing_title["errors"][0]["field"] == "title"
    anonymous = httpx.Client(base_url=world.emulator.base_url, transport=world.emulator.transport())
    refused = check(anonymous.get("/user"), "GET", "/user", 401)
    assert refused["message"] == "Bad credentials"
