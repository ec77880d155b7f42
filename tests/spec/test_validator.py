"""The spec check itself: it must reject what the references forbid, follow their documented corrections,
and fail the very test whose traffic departed from the reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.spec.reference import reference
from tests.spec.traffic import check_exchange

JSON = "application/json"
REPO = Path(__file__).resolve().parents[2]


def request(tool: str, method: str, path: str, query: dict[str, list[str]] | None = None, body: bytes = b"",
            content_type: str = JSON) -> list[str]:
    return check_exchange(tool, method, path, query or {}, content_type, body, 204, "", b"", request=True)


def answer(tool: str, method: str, path: str, content: bytes, query: dict[str, list[str]] | None = None,
           status: int = 200) -> list[str]:
    return check_exchange(tool, method, path, query or {}, "", b"", status, JSON, content, request=False)


@pytest.mark.parametrize(("tool", "method", "path", "query", "body", "expected"), [
    ("asana", "GET", "/nowhere", {}, b"", "undocumented path"),
    ("asana", "PATCH", "/tasks/1", {}, b"", "undocumented method"),
    ("asana", "GET", "/tasks/1", {"bogus": ["1"]}, b"", "undocumented query parameter 'bogus'"),
    ("asana", "GET", "/tasks", {"limit": ["many"]}, b"", "query limit: 'many' is not an integer"),
    ("asana", "GET", "/tasks/1", {"opt_fields": ["name,colour"]}, b"", "'colour' names no documented field"),
    ("asana", "PUT", "/tasks/1", {}, b'{"data": {"title": "x"}}', "body.data: undeclared property 'title'"),
    ("asana", "PUT", "/tasks/1", {}, b'{"data": {"completed": "yes"}}', "body.data.completed: expected boolean"),
    ("github", "POST", "/repos/o/r/issues", {}, b'{"body": "no title"}', "body: missing required 'title'"),
    ("github", "PATCH", "/repos/o/r/issues/1", {}, b'{"state": "done"}', "'done' not in enum"),
    ("github", "PATCH", "/repos/o/r/issues/1", {}, b'{"colour": 1}', "body: undeclared property 'colour'"),
    ("trello", "GET", "/cards/not-an-id", {}, b"", "path id: 'not-an-id' does not match"),
    ("trello", "PUT", "/cards/5abbe4b7ddc1b351ef961414", {"closed": ["maybe"]}, b"", "'maybe' is not a boolean"),
    ("trello", "POST", "/cards", {"idList": ["5abbe4b7ddc1b351ef961414"], "colour": ["x"]}, b"", "'colour'"),
    ("basecamp", "GET", "/todos/abc.json", {}, b"", "path todoId: 'abc' is not an integer"),
    ("basecamp", "GET", "/projects/recordings.json", {}, b"", "missing required query parameter 'type'"),
    ("basecamp", "PUT", "/todos/1.json", {}, b'{"description": "<div>x</div>"}', "body: missing required 'content'"),
])
def test_requests_that_break_the_reference_are_reported(tool: str, method: str, path: str, query: dict[str, list[str]],
                                                        body: bytes, expected: str) -> None:
    found = request(tool, method, path, query, body)
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(("tool", "method", "path", "query", "body"), [
    # Asana documents nested opt_fields paths ("this.followers.email"); the spec's enum lists a sample of them.
    ("asana", "GET", "/tasks/1", {"opt_fields": ["assignee.email,memberships.section.name"]}, b""),
    ("asana", "POST", "/tasks", {}, b'{"data": {"name": "x", "memberships": [{"project": "1", "section": "2"}]}}'),
    # Trello: comma-separated field lists, the id lists of PUT /cards ("" clears), and list archiving by flag.
    ("trello", "GET", "/members/me", {"fields": ["fullName,username"]}, b""),
    ("trello", "PUT", "/cards/5abbe4b7ddc1b351ef961414", {"idLabels": [""], "idMembers": ["5abbe4b7ddc1b351ef961414"]}, b""),
    ("trello", "PUT", "/lists/5abbe4b7ddc1b351ef961414/closed", {"value": ["true"]}, b""),
    ("trello", "GET", "/boards/5abbe4b7ddc1b351ef961414/cards", {"filter": ["all"], "attachments": ["true"]}, b""),
    # Basecamp: ".json" URLs, the legacy /buckets/{id}/ forms and the documented group colour.
    ("basecamp", "GET", "/buckets/7/todos/1.json", {}, b""),
    ("basecamp", "POST", "/todolists/1/groups.json", {}, b'{"name": "G", "color": "blue"}'),
    ("basecamp", "GET", "/my/profile.json", {}, b""),
    # GitHub: today's fields the 2020 description predates (CURRENT_SPEC_NOTES.md).
    ("github", "PATCH", "/repos/o/r/issues/1", {}, b'{"state": "closed", "state_reason": "not_planned"}'),
])
def test_documented_behaviour_beyond_the_spec_is_accepted(tool: str, method: str, path: str,
                                                          query: dict[str, list[str]], body: bytes) -> None:
    assert request(tool, method, path, query, body) == []


def test_answers_are_checked_against_the_response_schema() -> None:
    assert answer("asana", "GET", "/users/1", b'{"data": {"gid": "1", "name": "A", "nickname": "a"}}') == [
        "GET /users/{user_gid} -> 200: response.data: undeclared property 'nickname'"]
    assert answer("asana", "GET", "/users/1", b'{"data": {"gid": "1", "name": "A", "nickname": "a"}}',
                  {"opt_fields": ["nickname"]}) == [], "fields opt_fields asked for may come back"
    assert answer("github", "GET", "/repos/o/r/labels", b'[{"id": "7", "name": "x"}]')
    assert answer("trello", "POST", "/cards/5abbe4b7ddc1b351ef961414/attachments", b"[]"), "one attachment, not a list"
    # The verbatim example predates description_attachments, which the 2026 SDK requires.
    todo = reference("basecamp").example("todos.get_a_to_do.response.json") | {"description_attachments": []}
    assert "completion" in todo, "a key of the verbatim example the SDK schema leaves out ..."
    assert answer("basecamp", "GET", "/todos/1.json", json.dumps(todo).encode()) == [], "... is accepted"
    assert answer("basecamp", "GET", "/todos/1.json", json.dumps({**todo, "invented": 1}).encode()) == [
        "GET /{accountId}/todos/{todoId} -> 200: response: undeclared property 'invented'"]

def test_a_departure_fails_the_test_that_made_it(tmp_path: Path) -> None:
    """Run a tiny suite under the plugin: the test whose connector sends a bad request fails, naming it."""
    (tmp_path / "test_culprit.py").write_text(textwrap.dedent("""
        from bridge.http.client import HttpClient
        from connectors.asana import DEFAULT_BASE_URL, Sandbox, Emulator
        from connectors.emulation.sandbox import USERS

        def client():
            emulator = Sandbox(Emulator()).emulator
            return HttpClient(tool="asana", base_url=DEFAULT_BASE_URL, transport=emulator.transport(),
                              headers={"Authorization": f"Bearer {USERS['bridge'].token}"})

        def test_culprit():
            client().request("GET", "users/me", params={"bogus": "1"})

        def test_innocent():
            client().request("GET", "users/me")
    """))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PM_BRIDGE_SPEC_CHECK": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.spec.plugin", "-p", "no:cacheprovider", "-q",
                          str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout
    assert "FAILED test_culprit.py::test_culprit" in run.stdout
    assert "undocumented query parameter 'bogus'" in run.stdout
