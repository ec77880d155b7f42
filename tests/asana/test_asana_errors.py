"""Failures: auth, missing project, malformed answers, rate limits, server errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import NewTask
from bridge.errors import AuthError, ConfigError, Malformed, NotFound, Transient
from connectors.asana import AsanaConnector, Emulator, Sandbox, build
from connectors.emulation import Fault
from tests.spec.reference import ROOT

REFERENCE = ROOT / "asana"


def connect(transport: httpx.BaseTransport, clock: VirtualClock, token: str = "tok-test-9999") -> AsanaConnector:
    config = ConnectionConfig(kind="asana", base_url="https://asana.test/api/1.0", token=SecretStr(token))
    return build("asana-test", config, transport=transport, clock=clock)


def scripted(*answers: Callable[[httpx.Request], httpx.Response]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering each request with the next function of a script."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    return httpx.MockTransport(handle), seen


def reference(name: str) -> object:
    return json.loads((REFERENCE / "examples" / name).read_text())


def test_a_missing_token_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Asana needs a token"):
        build("asana-x", ConnectionConfig(kind="asana"))


def test_wrong_token_is_an_auth_error_without_the_token(sandbox: Sandbox, project: str, clock: VirtualClock) -> None:
    secret = "tok-revoked-5d41402abc4b2a76"
    connector = connect(sandbox.emulator.transport(), clock, secret)
    for action in (lambda: connector.pull(project), lambda: connector.check(project)):
        with pytest.raises(AuthError) as caught:
            action()
        assert secret not in str(caught.value) and "Not Authorized" in str(caught.value)
        assert "token" in str(caught.value), "the message says what to fix"


def test_revoked_token_mid_pull(sandbox: Sandbox, project: str, bridge: AsanaConnector) -> None:
    sandbox.add_task(project, "x")
    sandbox.emulator.inject(Fault.UNAUTHORIZED, "GET", "/stories$")
    with pytest.raises(AuthError):
        bridge.pull(project)


def test_unknown_project_is_not_found(sandbox: Sandbox, bridge: AsanaConnector) -> None:
    for action in (lambda: bridge.pull("999"), lambda: bridge.check("999")):
        with pytest.raises(NotFound, match="project 999 does not exist or this token cannot see it"):
            action()


def test_check(bridge: AsanaConnector, project: str) -> None:
    result = bridge.check(project)
    assert (result.user, result.project_name) == ("pm-bridge", "Website relaunch")


def test_malformed_json_is_malformed(sandbox: Sandbox, project: str, bridge: AsanaConnector) -> None:
    sandbox.emulator.inject(Fault.MALFORMED, "GET", "^/tasks$")
    with pytest.raises(Malformed, match="not valid JSON"):
        bridge.pull(project)


@pytest.mark.parametrize(
    "body",
    [{"tasks": []}, {"data": {"gid": "1"}}, {"data": [{"name": "no gid"}]}, {"data": [{"gid": "1", "memberships": "x"}]}],
)
def test_wrong_shapes_are_malformed(body: object, clock: VirtualClock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/users/me"):
            return httpx.Response(200, json={"data": {"gid": "1", "name": "me"}})
        if path.endswith("/projects/5"):
            return httpx.Response(200, json={"data": {"gid": "5", "name": "P", "workspace": {"gid": "9"}}})
        if path.endswith("/events"):
            return httpx.Response(412, json={"errors": [{"message": "Sync token invalid"}], "sync": "s1"})
        if path.endswith("/sections"):
            return httpx.Response(200, json={"data": [], "next_page": None})
        return httpx.Response(200, json=body)

    connector = connect(httpx.MockTransport(answer), clock)
    with pytest.raises(Malformed, match="asana"):
        connector.pull("5")


def test_429_waits_retry_after_then_succeeds(sandbox: Sandbox, project: str, clock: VirtualClock) -> None:
    # A tight limit on the emulator; the client's own budget is the default 1500/min.
    emulator = Emulator(clock=clock, rate_limit=(3.0, 60.0))
    tight = Sandbox(emulator, clock=clock)
    tight_project = tight.create_project("P", ["A"])
    tight.add_task(tight_project, "t")
    connector = tight.connector("bridge")
    assert isinstance(connector, AsanaConnector)

    result = connector.pull(tight_project)

    assert len(result.snapshot.tasks) == 1
    limited = [r for r in emulator.requests if r.status == 429]
    assert limited, "the emulator's limit was hit"
    assert clock.slept and all(s >= 1 for s in clock.slept[: len(limited)])
    assert connector.client.stats.rate_limit_waits >= 20  # 3/min: a token every 20 s
    connector.close()


def test_reference_429_body_and_retry_after(clock: VirtualClock) -> None:
    me = {"data": {"gid": "1", "name": "me", "email": "me@x"}}
    transport, seen = scripted(
        lambda r: httpx.Response(429, json=reference("error_429.json"), headers={"Retry-After": "30"}),
        lambda r: httpx.Response(200, json=me),
    )
    connector = connect(transport, clock)
    assert connector.whoami().name == "me"
    assert len(seen) == 2 and clock.slept[:1] == [30.0]


def test_emulator_rate_limit_is_1500_per_minute_per_token(sandbox: Sandbox, clock: VirtualClock) -> None:
    client = httpx.Client(transport=sandbox.emulator.transport(), base_url=sandbox.emulator.base_url + "/")
    headers = {"Authorization": "Bearer tok-anna-0002"}
    statuses = [client.get("users/me", headers=headers).status_code for _ in range(1501)]
    assert statuses.count(200) == 1500 and statuses[-1] == 429
    limited = client.get("users/me", headers=headers)
    # The verbatim body of examples/error_429.json.
    message = "You've made too many requests and hit a rate limit. Please retry after the given amount of time."
    assert limited.json() == {"errors": [{"message": message}]}
    assert int(limited.headers["retry-after"]) >= 1
    assert client.get("users/me", headers={"Authorization": "Bearer tok-carla-0003"}).status_code == 200, "limits are per token"
    clock.advance(60)
    assert client.get("users/me", headers=headers).status_code == 200


def test_reference_500_body_is_retried_for_get(clock: VirtualClock) -> None:
    me = {"data": {"gid": "1", "name": "me"}}
    transport, seen = scripted(
        lambda r: httpx.Response(500, json=reference("error_500.json")), lambda r: httpx.Response(200, json=me)
    )
    assert connect(transport, clock).whoami().id == "1"
    assert len(seen) == 2


def test_5xx_is_retried_for_gets_only(sandbox: Sandbox, project: str, bridge: AsanaConnector) -> None:
    sandbox.add_task(project, "x")
    sandbox.emulator.inject(Fault.FAIL_BEFORE, "GET", "^/tasks$")
    assert len(bridge.pull(project).snapshot.tasks) == 1
    assert [r.status for r in sandbox.emulator.requests if r.path == "/tasks"] == [500, 200]

    sandbox.emulator.inject(Fault.FAIL_BEFORE, "POST", "^/tasks$")
    with pytest.raises(Transient, match="Server Error"):
        bridge.create_task(project, NewTask(title="once"))
    assert len([r for r in sandbox.emulator.requests if r.method == "POST"]) == 1, "a create is never resent blindly"


def test_reference_next_page_is_followed(clock: VirtualClock) -> None:
    next_page = reference("next_page.json")["next_page"]  # type: ignore[index]
    transport, seen = scripted(
        lambda r: httpx.Response(200, json={"data": [{"gid": "1", "name": "A"}], "next_page": next_page}),
        lambda r: httpx.Response(200, json={"data": [{"gid": "2", "name": "B"}], "next_page": None}),
    )
    sections = connect(transport, clock).reader.sections("1337")
    assert [s.name for s in sections] == ["A", "B"]
    assert seen[1].url.params["offset"] == next_page["offset"] and seen[1].url.params["limit"] == "100"
