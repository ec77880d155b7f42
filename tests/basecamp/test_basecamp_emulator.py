"""The Basecamp emulator behaves as the README and sections describe: identification, paging, caching,
limits, replace-on-PUT, status inheritance and the recordings listing."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from bridge.clock import VirtualClock
from connectors.basecamp import BasecampEmulator, BasecampSandbox
from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.sandbox import USERS
from connectors.emulation.toolkit import Fault

from .conftest import Raw


def _todo(raw: Raw, list_id: int | str, content: str, **fields: object) -> dict[str, object]:
    return dict(raw.json("POST", f"todolists/{list_id}/todos.json", json={"content": content, **fields}))


# -- identification and authentication ---------------------------------------------------


def test_request_without_user_agent_is_refused(raw: Raw, project: str) -> None:
    request = raw.http.build_request("GET", f"projects/{project}.json")
    del request.headers["User-Agent"]
    assert raw.http.send(request).status_code == 400
    assert raw("GET", f"projects/{project}.json", headers={"User-Agent": " "}).status_code == 400
    assert raw("GET", f"projects/{project}.json").status_code == 200


def test_body_without_json_content_type_is_refused(raw: Raw, project: str) -> None:
    list_id = raw.lists(project)[0]["id"]
    answer = raw("POST", f"todolists/{list_id}/todos.json", content=b'{"content": "x"}',
                 headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415


def test_unknown_token_missing_bearer_and_other_account(emulator: BasecampEmulator, raw: Raw, project: str) -> None:
    assert Raw(emulator, "tok-unknown")("GET", "projects.json").status_code == 401
    assert raw("GET", "projects.json", headers={"Authorization": USERS["bridge"].token}).status_code == 401
    other = raw.http.get(f"{emulator.base_url}/123/projects/{project}.json")
    assert other.status_code == 404


def test_inactive_account_says_why(emulator: BasecampEmulator, raw: Raw, project: str) -> None:
    emulator.inactive = True
    answer = raw("GET", f"projects/{project}.json")
    assert answer.status_code == 404 and answer.headers["Reason"] == "Account Inactive"


def test_people_outside_a_project_cannot_reach_it(emulator: BasecampEmulator, sandbox: BasecampSandbox, raw: Raw) -> None:
    outsider_id = emulator.add_person("Outsider", "out@example.invalid", "tok-outsider-1")
    secret = sandbox.create_project("Internal", ["Only"])
    outsider = Raw(emulator, "tok-outsider-1")
    assert outsider("GET", f"projects/{secret}.json").status_code == 404
    assert outsider("GET", f"todosets/{raw.todoset_id(secret)}.json").status_code == 404
    emulator.grant(secret, outsider_id)
    assert outsider("GET", f"projects/{secret}.json").status_code == 200


# -- pagination and caching ------------------------------------------------------------------


def test_link_pagination_with_total_count(emulator: BasecampEmulator, raw: Raw, project: str) -> None:
    emulator.limit = None  # 120 creates in no virtual time
    list_id = raw.lists(project)[0]["id"]
    for n in range(120):
        _todo(raw, list_id, f"Todo {n}")
    first = raw("GET", f"todolists/{list_id}/todos.json")
    assert first.headers["X-Total-Count"] == "120" and len(first.json()) == 50
    seen = [t["content"] for t in first.json()]
    link = first.headers["Link"]
    while link:
        url = link.split(">")[0].lstrip("<")
        assert link.endswith('rel="next"') and url.startswith("https://")
        page = raw.http.get(url)
        seen += [t["content"] for t in page.json()]
        link = page.headers.get("Link", "")
    assert seen == [f"Todo {n}" for n in range(120)]


def test_geared_pages_grow(clock: VirtualClock) -> None:
    emulator = BasecampEmulator(clock=clock, geared=True, rate_limit=False)
    sandbox = BasecampSandbox(emulator, clock=clock)
    project = sandbox.create_project("Geared", ["List"])
    raw = Raw(emulator, USERS["bridge"].token)
    list_id = raw.lists(project)[0]["id"]
    for n in range(120):
        _todo(raw, list_id, f"Todo {n}")
    sizes = [len(raw.json("GET", f"todolists/{list_id}/todos.json", params={"page": p})) for p in (1, 2, 3, 4)]
    assert sizes == [15, 30, 50, 25]


def test_etag_answers_304_until_something_changes(raw: Raw, project: str) -> None:
    list_id = raw.lists(project)[0]["id"]
    todo = _todo(raw, list_id, "Cached")
    listing = {"type": "Todo", "bucket": project, "sort": "updated_at", "direction": "desc"}
    first = raw("GET", "projects/recordings.json", params=listing)
    etag = first.headers["ETag"]
    again = raw("GET", "projects/recordings.json", params=listing, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    raw("POST", f"todos/{todo['id']}/completion.json")
    changed = raw("GET", "projects/recordings.json", params=listing, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_last_modified_answers_304(raw: Raw, project: str, clock: VirtualClock) -> None:
    todo = _todo(raw, raw.lists(project)[0]["id"], "Dated")
    first = raw("GET", f"todos/{todo['id']}.json")
    stamp = first.headers["Last-Modified"]
    assert email.utils.parsedate_to_datetime(stamp)
    assert raw("GET", f"todos/{todo['id']}.json", headers={"If-Modified-Since": stamp}).status_code == 304
    clock.advance(2)
    raw.json("PUT", f"todos/{todo['id']}.json", json={"content": "Dated, edited"})
    assert raw("GET", f"todos/{todo['id']}.json", headers={"If-Modified-Since": stamp}).status_code == 200


def test_rate_limit_answers_429_with_retry_after(clock: VirtualClock) -> None:
    emulator = BasecampEmulator(clock=clock)
    BasecampSandbox(emulator, clock=clock)
    raw = Raw(emulator, USERS["bridge"].token)
    statuses = [raw("GET", "projects.json").status_code for _ in range(51)]
    assert statuses[:50] == [200] * 50 and statuses[50] == 429
    limited = raw("GET", "projects.json")
    wait = int(limited.headers["Retry-After"])
    clock.advance(wait)
    assert raw("GET", "projects.json").status_code == 200


# -- replace-on-PUT and the to-do endpoints -----------------------------------------------------


def test_put_clears_every_field_it_leaves_out(raw: Raw, project: str, sandbox: BasecampSandbox) -> None:
    anna = int(sandbox.user_ids["human"])
    todo = _todo(raw, raw.lists(project)[0]["id"], "Full", description="<div>Notes</div>", assignee_ids=[anna],
                 completion_subscriber_ids=[anna], due_on="2031-05-20", starts_on="2031-05-01")
    edited = raw.json("PUT", f"todos/{todo['id']}.json", json={"content": "Only the title"})
    assert edited["content"] == "Only the title"
    assert (edited["description"], edited["assignees"], edited["completion_subscribers"]) == ("", [], [])
    assert (edited["due_on"], edited["starts_on"]) == (None, None)
    assert raw("PUT", f"todos/{todo['id']}.json", json={"description": "no title"}).status_code == 422


def test_put_todolist_clears_description_and_needs_a_name(raw: Raw, project: str) -> None:
    todoset = raw.todoset_id(project)
    created = raw.json("POST", f"todosets/{todoset}/todolists.json", json={"name": "Launch", "description": "<div>Why</div>"})
    renamed = raw.json("PUT", f"todolists/{created['id']}.json", json={"name": "Relaunch"})
    assert (renamed["name"], renamed["description"]) == ("Relaunch", "")
    assert raw("PUT", f"todolists/{created['id']}.json", json={"description": "x"}).status_code == 422


def test_completion_and_completed_listing(raw: Raw, project: str) -> None:
    list_id = raw.lists(project)[0]["id"]
    done = _todo(raw, list_id, "Done one")
    _todo(raw, list_id, "Open one")
    assert raw("POST", f"todos/{done['id']}/completion.json").status_code == 204
    fetched = raw.json("GET", f"todos/{done['id']}.json")
    assert fetched["completed"] is True and fetched["completion"]["creator"]["name"] == "pm-bridge"
    assert [t["content"] for t in raw.json("GET", f"todolists/{list_id}/todos.json")] == ["Open one"]
    completed = raw.json("GET", f"todolists/{list_id}/todos.json", params={"completed": "true"})
    assert [t["content"] for t in completed] == ["Done one"]
    assert raw("DELETE", f"todos/{done['id']}/completion.json").status_code == 204
    assert raw.json("GET", f"todos/{done['id']}.json")["completed"] is False


def test_reposition_moves_between_lists_and_renumbers(raw: Raw, project: str) -> None:
    first, second = (int(x["id"]) for x in raw.lists(project)[:2])
    a, b, c = (_todo(raw, first, name) for name in "abc")
    assert raw("PUT", f"todos/{c['id']}/position.json", json={"position": 1}).status_code == 204
    assert [t["content"] for t in raw.json("GET", f"todolists/{first}/todos.json")] == ["c", "a", "b"]
    raw("PUT", f"todos/{a['id']}/position.json", json={"position": 1, "parent_id": second})
    moved = raw.json("GET", f"todos/{a['id']}.json")
    assert moved["parent"]["id"] == second and moved["position"] == 1
    assert [(t["content"], t["position"]) for t in raw.json("GET", f"todolists/{first}/todos.json")] == [("c", 1), ("b", 2)]
    assert raw("PUT", f"todos/{b['id']}/position.json", json={"position": 0}).status_code == 422


def test_rich_text_keeps_only_the_allowed_tags(raw: Raw, project: str) -> None:
    todo = _todo(raw, raw.lists(project)[0]["id"], "Rich",
                 description='<p>Hi <span style="x">there</span> <strong>you</strong> <a href="https://a.example" '
                             'onclick="x()">link</a></p>')
    assert todo["description"] == 'Hi there <strong>you</strong> <a href="https://a.example">link</a>'


def test_legacy_bucket_routes(raw: Raw, project: str) -> None:
    todo = _todo(raw, raw.lists(project)[0]["id"], "Legacy")
    assert raw.json("GET", f"buckets/{project}/todos/{todo['id']}.json")["id"] == todo["id"]
    assert raw("GET", f"buckets/1/todos/{todo['id']}.json").status_code == 404
    assert raw("POST", f"buckets/{project}/todos/{todo['id']}/completion.json").status_code == 204


# -- status, inheritance and the recordings listing ----------------------------------------------


def test_archived_list_hides_its_todos_from_active_listings(raw: Raw, project: str) -> None:
    list_id = raw.lists(project)[0]["id"]
    todo = _todo(raw, list_id, "Inside")
    comment = raw.json("POST", f"recordings/{todo['id']}/comments.json", json={"content": "<div>Hi</div>"})
    assert raw("PUT", f"recordings/{list_id}/status/archived.json").status_code == 204

    def listed(kind: str, status: str) -> list[int]:
        params = {"type": kind, "bucket": project, "status": status}
        return [r["id"] for r in raw.json("GET", "projects/recordings.json", params=params)]

    assert todo["id"] not in listed("Todo", "active") and todo["id"] in listed("Todo", "archived")
    assert comment["id"] not in listed("Comment", "active") and comment["id"] in listed("Comment", "archived")
    assert list_id not in [x["id"] for x in raw.lists(project)]
    raw("PUT", f"recordings/{list_id}/status/active.json")
    assert todo["id"] in listed("Todo", "active")


def test_todo_archive_trash_and_unarchive_with_the_documented_status_filters(raw: Raw, project: str) -> None:
    list_id = raw.lists(project)[0]["id"]
    kept, archived, trashed, done = (_todo(raw, list_id, name) for name in ("kept", "archived", "trashed", "done"))
    raw("POST", f"todos/{done['id']}/completion.json")
    assert raw("PUT", f"recordings/{archived['id']}/status/archived.json").status_code == 204
    assert raw("PUT", f"buckets/{project}/recordings/{trashed['id']}/status/trashed.json").status_code == 204
    assert raw("PUT", f"recordings/{done['id']}/status/archived.json").status_code == 204

    def todos(**params: str) -> list[int]:
        return [t["id"] for t in raw.json("GET", f"todolists/{list_id}/todos.json", params=params)]

    assert todos() == [kept["id"]], "active and pending only, by default"
    # "status - archived or trashed … including both pending and completed"; completed=true narrows it (todos.md).
    assert sorted(todos(status="archived")) == sorted([archived["id"], done["id"]])
    assert todos(status="archived", completed="true") == [done["id"]]
    assert todos(status="trashed") == [trashed["id"]]
    assert raw("GET", f"todolists/{list_id}/todos.json", params={"status": "gone"}).status_code == 400
    assert raw.json("GET", f"todos/{trashed['id']}.json")["status"] == "trashed", "still readable until purged"
    listing = raw.json("GET", "projects/recordings.json", params={"type": "Todo", "bucket": project, "status": "trashed"})
    assert [t["id"] for t in listing] == [trashed["id"]]

    assert raw("PUT", f"buckets/{project}/recordings/{trashed['id']}/status/active.json").status_code == 204
    assert raw("PUT", f"recordings/{archived['id']}/status/active.json").status_code == 204
    assert sorted(todos()) == sorted([kept["id"], archived["id"], trashed["id"]])
    assert raw("PUT", f"recordings/{kept['id']}/status/deleted.json").status_code == 404


def test_recordings_listing_sorts_and_requires_a_type(raw: Raw, project: str, clock: VirtualClock) -> None:
    list_id = raw.lists(project)[0]["id"]
    old, new = _todo(raw, list_id, "old"), _todo(raw, list_id, "new")
    clock.advance(5)
    raw.json("PUT", f"todos/{old['id']}.json", json={"content": "old, touched"})
    params = {"type": "Todo", "bucket": project, "sort": "updated_at", "direction": "desc"}
    assert [r["id"] for r in raw.json("GET", "projects/recordings.json", params=params)] == [old["id"], new["id"]]
    params["sort"] = "created_at"
    assert [r["id"] for r in raw.json("GET", "projects/recordings.json", params=params)] == [new["id"], old["id"]]
    assert raw("GET", "projects/recordings.json", params={"bucket": project}).status_code == 400
    item = raw.json("GET", "projects/recordings.json", params=params)[0]
    assert {"description", "assignees", "completed", "content"} <= set(item), "the full to-do partial"


def test_lagging_listing_misses_the_newest_change(emulator: BasecampEmulator, raw: Raw, project: str) -> None:
    list_id = raw.lists(project)[0]["id"]
    _todo(raw, list_id, "seen")
    newest = _todo(raw, list_id, "not yet")
    emulator.inject(Fault.LAG, path="recordings")
    params = {"type": "Todo", "bucket": project}
    assert newest["id"] not in [r["id"] for r in raw.json("GET", "projects/recordings.json", params=params)]
    assert newest["id"] in [r["id"] for r in raw.json("GET", "projects/recordings.json", params=params)]


# -- webhooks -----------------------------------------------------------------------------------


def test_webhooks_need_https_and_staff_and_record_deliveries(emulator: BasecampEmulator, raw: Raw, project: str) -> None:
    hooks = f"buckets/{project}/webhooks.json"
    assert raw("POST", hooks, json={"payload_url": "http://plain.example/x"}).status_code == 400
    assert raw("POST", hooks, json={"payload_url": "https://x.example/h", "types": ["Nope"]}).status_code == 400
    carla = Raw(emulator, USERS["client"].token)
    assert carla("POST", hooks, json={"payload_url": "https://x.example/h"}).status_code == 403
    hook = raw.json("POST", hooks, json={"payload_url": "https://bridge.example/hooks/s3cret", "types": ["Todo"]})
    todo = _todo(raw, raw.lists(project)[0]["id"], "Hooked")
    raw("POST", f"todos/{todo['id']}/completion.json")
    raw("POST", f"recordings/{todo['id']}/comments.json", json={"content": "<div>not a Todo type</div>"})
    kinds = [d["kind"] for d in emulator.pending_deliveries(int(hook["id"]))]
    assert kinds == ["todo_created", "todo_completed"]
    delivery = emulator.pending_deliveries(int(hook["id"]))[0]
    assert delivery["recording"]["bucket"]["id"] == int(project) and "assignees" not in delivery["recording"]
    assert raw.json("GET", f"webhooks/{hook['id']}.json")["recent_deliveries"][0]["request"]["body"]["kind"] == "todo_completed"


def test_attachment_then_upload_in_the_vault(raw: Raw, project: str) -> None:
    vault = next(int(t["id"]) for t in raw.project(project)["dock"] if t["name"] == "vault")
    blob = raw.json("POST", "attachments.json", params={"name": "brief.pdf"}, content=b"%PDF-1.4",
                    headers={"Content-Type": "application/pdf"})
    upload = raw.json("POST", f"vaults/{vault}/uploads.json", json={"attachable_sgid": blob["attachable_sgid"],
                                                                    "base_name": "client-brief"})
    assert (upload["filename"], upload["byte_size"], upload["content_type"]) == ("client-brief.pdf", 8, "application/pdf")
    again = raw("POST", f"vaults/{vault}/uploads.json", json={"attachable_sgid": blob["attachable_sgid"]})
    assert again.status_code == 422, "an attachment is used once"


@pytest.mark.parametrize("path", ["todos/abc.json", "todolists/1/todos.json", "comments/99.json"])
def test_unknown_ids_are_404(raw: Raw, path: str) -> None:
    assert raw("GET", path).status_code == 404


def test_account_prefix_is_required(emulator: BasecampEmulator, sandbox: BasecampSandbox) -> None:
    client = httpx.Client(transport=emulator.transport(), headers={"User-Agent": "t (t@example.invalid)",
                                                                   "Authorization": f"Bearer {USERS['bridge'].token}"})
    assert client.get(f"{emulator.base_url}/projects.json").status_code == 404
    assert ACCOUNT_ID == "999999999"
