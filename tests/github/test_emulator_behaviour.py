"""Emulator behaviour the recorded exchanges and the description document."""

from __future__ import annotations

import httpx

from bridge.http import parse_link_header

from .conftest import World


def http(world: World) -> httpx.Client:
    return httpx.Client(
        base_url=world.emulator.base_url, transport=world.emulator.transport(), headers={"Authorization": "Bearer tok-anna-0002"}
    )


def test_link_header_has_the_recorded_relations(world: World) -> None:
    repo = world.emulator.repo(world.project)
    for n in range(13):
        world.emulator.add_issue(repo, f"Test issue {n}", "anna")
    first = http(world).get(f"/repos/{world.project}/issues", params={"per_page": 3})
    links = parse_link_header(first.headers["link"])
    assert set(links) == {"next", "last"} and links["next"].endswith(f"/repositories/{repo.id}/issues?per_page=3&page=2")
    second = http(world).get(links["next"])
    assert set(parse_link_header(second.headers["link"])) == {"prev", "next", "last", "first"}
    last = http(world).get(links["last"])
    assert len(last.json()) == 1 and set(parse_link_header(last.headers["link"])) == {"prev", "first"}
    assert len(http(world).get(f"/repos/{world.project}/issues", params={"per_page": 500}).json()) == 13  # max 100


def test_etag_304_and_rate_limit_headers(world: World) -> None:
    client = http(world)
    first = client.get(f"/repos/{world.project}/labels")
    assert first.headers["x-ratelimit-limit"] == "5000" and first.headers["x-ratelimit-resource"] == "core"
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = client.get(f"/repos/{world.project}/labels", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    client.post(f"/repos/{world.project}/labels", json={"name": "new"})
    changed = client.get(f"/repos/{world.project}/labels", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]


def test_unknown_labels_are_created_and_patch_replaces_sets(world: World) -> None:
    client = http(world)
    issue = client.post(f"/repos/{world.project}/issues", json={"title": "t", "labels": ["Foo"], "assignees": ["anna"]}).json()
    assert issue["labels"][0]["color"] == "ededed"  # as in the recorded add-labels exchange
    patched = client.patch(f"/repos/{world.project}/issues/{issue['number']}", json={"labels": ["bAr"], "assignees": []}).json()
    assert [label["name"] for label in patched["labels"]] == ["bAr"] and patched["assignees"] == []
    assert patched["updated_at"] > issue["updated_at"]


def test_new_comment_moves_its_issue_but_an_edit_does_not(world: World) -> None:
    client = http(world)
    issue = client.post(f"/repos/{world.project}/issues", json={"title": "t"}).json()
    comment = client.post(f"/repos/{world.project}/issues/{issue['number']}/comments", json={"body": "a"}).json()
    after_comment = client.get(f"/repos/{world.project}/issues/{issue['number']}").json()
    assert after_comment["updated_at"] == comment["created_at"] > issue["updated_at"]
    client.patch(f"/repos/{world.project}/issues/comments/{comment['id']}", json={"body": "b"})
    assert client.get(f"/repos/{world.project}/issues/{issue['number']}").json()["updated_at"] == after_comment["updated_at"]
