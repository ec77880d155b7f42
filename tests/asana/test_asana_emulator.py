"""Emulator behaviour the reference documents and the connector relies on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bridge.clock import VirtualClock
from connectors.asana import Sandbox
from connectors.emulation.sandbox import USERS


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {USERS['human'].token}"}
    with httpx.Client(
        base_url=sandbox.emulator.base_url + "/", transport=sandbox.emulator.transport(), headers=headers
    ) as client:
        yield client


def new_task(api: httpx.Client, project: str, name: str = "t", **fields: object) -> str:
    response = api.post("tasks", json={"data": {"name": name, "projects": [project], **fields}})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["gid"])


def test_events_need_a_token_first(api: httpx.Client, project: str) -> None:
    first = api.get("events", params={"resource": project})
    assert first.status_code == 412 and first.json()["errors"][0]["message"].startswith("Sync token invalid or too old")
    assert api.get("events", params={"resource": project, "sync": "bogus"}).status_code == 412
    token = first.json()["sync"]
    empty = api.get("events", params={"resource": project, "sync": token}).json()
    assert (empty["data"], empty["has_more"]) == ([], False) and empty["sync"]


def test_events_report_who_did_what(api: httpx.Client, project: str, sandbox: Sandbox) -> None:
    token = api.get("events", params={"resource": project}).json()["sync"]
    gid = new_task(api, project, "Brief")
    api.put(f"tasks/{gid}", json={"data": {"completed": True}})
    body = api.get("events", params={"resource": project, "sync": token}).json()
    triples = [(e["type"], e["action"], (e["parent"] or {}).get("resource_type")) for e in body["data"]]
    assert triples == [("task", "added", "project"), ("story", "added", "task"), ("task", "changed", None)]
    assert {e["user"]["gid"] for e in body["data"]} == {sandbox.user_ids["human"]}
    assert body["data"][2]["change"] == {"field": "completed", "action": "changed"}
    assert all(e["created_at"].endswith("Z") for e in body["data"])


def test_story_subtype_only_on_request(api: httpx.Client, project: str) -> None:
    gid = new_task(api, project)
    token = api.get("events", params={"resource": project}).json()["sync"]
    api.post(f"tasks/{gid}/stories", json={"data": {"text": "hi"}})
    fields = "resource,resource.resource_subtype,action"
    [event] = api.get("events", params={"resource": project, "sync": token, "opt_fields": fields}).json()["data"]
    assert event == {"resource": {"gid": event["resource"]["gid"], "resource_subtype": "comment_added"}, "action": "added"}


def test_has_more_after_100_events(api: httpx.Client, project: str) -> None:
    token = api.get("events", params={"resource": project}).json()["sync"]
    for i in range(60):
        new_task(api, project, f"t{i}", completed=True)  # added + changed... per task
    seen, more = 0, True
    while more:
        page = api.get("events", params={"resource": project, "sync": token}).json()
        assert len(page["data"]) <= 100
        seen, more, token = seen + len(page["data"]), page["has_more"], page["sync"]
    assert seen == 60


def test_tokens_expire_after_a_day(api: httpx.Client, project: str, clock: VirtualClock) -> None:
    token = api.get("events", params={"resource": project}).json()["sync"]
    clock.advance(24 * 3600 + 1)
    assert api.get("events", params={"resource": project, "sync": token}).status_code == 412


def test_pagination(api: httpx.Client, project: str) -> None:
    for i in range(5):
        new_task(api, project, f"t{i}")
    first = api.get("tasks", params={"project": project, "limit": 2}).json()
    assert [t["name"] for t in first["data"]] == ["t0", "t1"]
    assert first["next_page"]["path"].startswith("/tasks?") and first["next_page"]["uri"].endswith(first["next_page"]["path"])
    last = api.get("tasks", params={"project": project, "limit": 2, "offset": first["next_page"]["offset"]})
    assert [t["name"] for t in last.json()["data"]] == ["t2", "t3"]
    assert api.get("tasks", params={"project": project, "limit": 101}).status_code == 400
    assert api.get("tasks", params={"project": project, "limit": 2, "offset": "garbage"}).status_code == 400
    assert "next_page" not in api.get("tasks", params={"project": project}).json()


def test_modified_since_compares_instants(api: httpx.Client, project: str, clock: VirtualClock) -> None:
    old = new_task(api, project, "old")
    clock.advance(3600)
    fresh = new_task(api, project, "fresh")
    stamp = api.get(f"tasks/{fresh}", params={"opt_fields": "modified_at"}).json()["data"]["modified_at"]
    assert stamp.endswith("Z")

    def listed(since: str) -> set[str]:
        body = api.get("tasks", params={"project": project, "modified_since": since, "limit": 100}).json()
        return {t["gid"] for t in body["data"]}

    assert listed(stamp) == {fresh}
    # The same instant one hour east of UTC, half an hour earlier: both tasks' times are compared, not their text.
    assert listed("2024-01-01T00:30:00+01:00") == {old, fresh}
    assert api.get("tasks", params={"project": project, "modified_since": "yesterday"}).status_code == 400


def test_opt_fields(api: httpx.Client, project: str, sandbox: Sandbox) -> None:
    gid = new_task(api, project, "Brief", assignee="me")
    fields = "name,assignee.email,memberships.section.name"
    [task] = api.get("tasks", params={"project": project, "opt_fields": fields}).json()["data"]
    section = next(iter(sandbox.section_ids(project).items()))
    assert task == {
        "gid": gid,
        "name": "Brief",
        "assignee": {"gid": sandbox.user_ids["human"], "email": "anna@agency.example"},
        "memberships": [{"section": {"gid": section[1], "name": section[0]}}],
    }
    compact = api.get("tasks", params={"project": project}).json()["data"][0]
    assert compact == {"gid": gid, "resource_type": "task", "name": "Brief", "resource_subtype": "default_task"}


def test_sections_are_deleted_only_when_empty(api: httpx.Client, sandbox: Sandbox) -> None:
    project = sandbox.create_project("Solo", ["Only", "Other"])
    only, other = sandbox.section_ids(project).values()
    gid = new_task(api, project)
    assert api.delete(f"sections/{only}").status_code == 400
    api.post(f"sections/{other}/addTask", json={"data": {"task": gid}})
    assert api.delete(f"sections/{only}").status_code == 200
    assert api.delete(f"sections/{other}").status_code == 400
    api.delete(f"tasks/{gid}")
    last = api.delete(f"sections/{other}")
    assert last.status_code == 400 and "last remaining section" in last.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start_on": "2024-01-01"}, "due_on or due_at must be present"),
        ({"start_on": "2024-02-01", "due_on": "2024-01-01"}, "on or before the due date"),
        ({"due_on": "01/02/2024"}, "YYYY-MM-DD"),
        ({"title": "x"}, "title: Unknown field"),
        ({"projects": ["1"]}, "dedicated endpoint"),
        ({"assignee": "nobody@x"}, "Not a recognized user"),
        ({"custom_fields": {"1": "2"}}, "is not on this task's projects"),
    ],
)
def test_task_updates_are_validated(api: httpx.Client, project: str, data: dict[str, object], message: str) -> None:
    gid = new_task(api, project)
    response = api.put(f"tasks/{gid}", json={"data": data})
    assert response.status_code == 400 and message in response.json()["errors"][0]["message"]


def test_only_the_author_edits_a_comment(api: httpx.Client, project: str) -> None:
    gid = new_task(api, project)
    api.put(f"tasks/{gid}", json={"data": {"completed": True}})  # writes a marked_complete story
    story = api.post(f"tasks/{gid}/stories", json={"data": {"text": "mine"}}).json()["data"]["gid"]
    carla = {"Authorization": f"Bearer {USERS['client'].token}"}
    assert api.put(f"stories/{story}", json={"data": {"text": "theirs"}}, headers=carla).status_code == 403
    assert api.delete(f"stories/{story}", headers=carla).status_code == 403
    system = next(s for s in api.get(f"tasks/{gid}/stories").json()["data"] if s["resource_subtype"] != "comment_added")
    assert api.put(f"stories/{system['gid']}", json={"data": {"text": "x"}}).status_code == 400


def test_attachments_need_multipart(api: httpx.Client, project: str) -> None:
    gid = new_task(api, project)
    refused = api.post("attachments", json={"data": {"parent": gid, "url": "https://x", "name": "x"}})
    assert refused.status_code == 400
    ok = api.post(
        "attachments",
        files={"parent": (None, gid), "resource_subtype": (None, "external"), "url": (None, "https://x/y"), "name": (None, "Y")},
    )
    assert ok.status_code == 200 and ok.json()["data"]["view_url"] == "https://x/y"


def test_served_under_the_api_prefix_or_bare(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {USERS['human'].token}"}
    for base in ("https://a.test/api/1.0/", "http://127.0.0.1:8080/"):
        with httpx.Client(base_url=base, transport=sandbox.emulator.transport(), headers=headers) as client:
            assert client.get("users/me").json()["data"]["email"] == "anna@agency.example"
