"""Errors at the Basecamp boundary: 401, 404 (and an inactive account), malformed answers, 429, 5xx, config."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import NewTask
from bridge.errors import AuthError, ConfigError, Invalid, Malformed, NotFound, RateLimited
from connectors.basecamp import DEFAULT_USER_AGENT, BasecampConnector, BasecampEmulator, BasecampSandbox, build
from connectors.emulation.sandbox import USERS
from connectors.emulation.toolkit import Fault


def _config(sandbox: BasecampSandbox, **overrides: object) -> ConnectionConfig:
    return sandbox.connection("bridge").model_copy(update=overrides)


def test_bad_token_is_an_auth_error_that_names_no_secret(sandbox: BasecampSandbox, project: str, clock: VirtualClock) -> None:
    bad = build("bc", _config(sandbox, token=SecretStr("tok-leaky-7777")), transport=sandbox.emulator.transport(), clock=clock)
    with pytest.raises(AuthError) as caught:
        bad.pull(project)
    message = str(caught.value)
    assert "tok-leaky-7777" not in message and "basecamp" in message and "token" in message
    assert all(user.token not in message for user in USERS.values())


def test_missing_project_and_inactive_account(bot: BasecampConnector, emulator: BasecampEmulator, project: str) -> None:
    with pytest.raises(NotFound):
        bot.check("2999999999")
    with pytest.raises(NotFound):
        bot.pull("2999999999")
    emulator.inactive = True
    with pytest.raises(NotFound) as caught:
        bot.pull(project)
    assert "Account Inactive" in str(caught.value) and "inactive" in str(caught.value)


def test_malformed_body_and_wrong_shapes(bot: BasecampConnector, emulator: BasecampEmulator, project: str) -> None:
    emulator.inject(Fault.MALFORMED, path="recordings")
    with pytest.raises(Malformed):
        bot.pull(project)


@pytest.mark.parametrize(("path", "body"), [
    ("/todosets/", {"not": "a list"}),
    ("/todos.json", [{"id": "x", "content": "no id"}]),
    ("/people.json", [{"name": "no id"}]),
    ("/projects/", {"id": 1, "dock": "not a list"}),
])
def test_answers_of_the_wrong_shape_are_malformed(sandbox: BasecampSandbox, project: str, clock: VirtualClock,
                                                  path: str, body: object) -> None:
    emulator = sandbox.emulator

    def tampered(request: httpx.Request) -> httpx.Response:
        answer = emulator.handle(request)
        if request.method == "GET" and path in request.url.path and answer.status_code == 200:
            return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        return answer

    connector = build("bc", _config(sandbox), transport=httpx.MockTransport(tampered), clock=clock)
    with pytest.raises(Malformed):
        connector.pull(project)


def test_todos_tool_turned_off_is_explained(sandbox: BasecampSandbox, project: str, clock: VirtualClock) -> None:
    emulator = sandbox.emulator

    def without_todos(request: httpx.Request) -> httpx.Response:
        answer = emulator.handle(request)
        if request.url.path.endswith(f"/projects/{project}.json"):
            body = answer.json()
            for tool in body["dock"]:
                tool["enabled"] = tool["enabled"] and tool["name"] != "todoset"
            return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        return answer

    connector = build("bc", _config(sandbox), transport=httpx.MockTransport(without_todos), clock=clock)
    with pytest.raises(Invalid, match="To-dos tool turned off"):
        connector.pull(project)


def test_rate_limit_waits_what_retry_after_says(bot: BasecampConnector, emulator: BasecampEmulator, project: str,
                                                clock: VirtualClock) -> None:
    emulator.inject(Fault.RATE_LIMIT, path="/projects/", times=2)
    before = clock.now()
    assert bot.pull(project).snapshot.complete
    assert bot.stats.retries == 2 and bot.stats.rate_limit_waits == 2.0
    assert clock.now() - before >= 2.0


def test_rate_limit_that_outlasts_max_wait_raises(sandbox: BasecampSandbox, project: str, clock: VirtualClock) -> None:
    sandbox.emulator.inject(Fault.RATE_LIMIT, times=-1)
    connector = build("bc", _config(sandbox, max_wait=3.0), transport=sandbox.emulator.transport(), clock=clock)
    with pytest.raises(RateLimited):
        connector.check(project)


def test_server_errors_on_reads_are_retried(bot: BasecampConnector, emulator: BasecampEmulator, project: str) -> None:
    emulator.inject(Fault.FAIL_BEFORE, method="GET", times=2)
    assert bot.pull(project).snapshot.complete and bot.stats.retries == 2


def test_a_create_is_not_retried_blindly(bot: BasecampConnector, emulator: BasecampEmulator, project: str) -> None:
    bot.pull(project)
    emulator.inject(Fault.FAIL_AFTER, method="POST", path="todos.json")
    with pytest.raises(Exception) as caught:
        bot.create_task(project, NewTask(title="Once"))
    assert "500" in str(caught.value)
    titles = [t.title for t in bot.pull(project).snapshot.tasks.values()]
    assert titles == ["Once"], "applied once; the engine's journal decides what happens next"


def test_repeated_next_link_stops(sandbox: BasecampSandbox, project: str, clock: VirtualClock) -> None:
    emulator = sandbox.emulator

    def looping(request: httpx.Request) -> httpx.Response:
        answer = emulator.handle(request)
        if "todolists.json" in request.url.path:
            answer.headers["Link"] = f'<{request.url}>; rel="next"'
        return answer

    connector = build("bc", _config(sandbox), transport=httpx.MockTransport(looping), clock=clock)
    with pytest.raises(Malformed, match="repeated"):
        connector.pull(project)


def test_user_agent_is_sent_and_defaults_to_the_app(sandbox: BasecampSandbox, project: str, clock: VirtualClock) -> None:
    emulator = sandbox.emulator
    configured = build("bc", _config(sandbox), transport=emulator.transport(), clock=clock)
    configured.check(project)
    assert {r.headers["user-agent"] for r in emulator.requests} == {"pm-bridge sandbox (ops@example.invalid) pm-bridge/0.1.0"}
    emulator.clear_requests()
    default = build("bc", _config(sandbox, user_agent=None), transport=emulator.transport(), clock=clock)
    default.check(project)
    assert {r.headers["user-agent"] for r in emulator.requests} == {f"{DEFAULT_USER_AGENT} pm-bridge/0.1.0"}
    assert "(" in DEFAULT_USER_AGENT and "@" in DEFAULT_USER_AGENT, "an app name and a contact"


def test_config_needs_token_and_numeric_account(clock: VirtualClock) -> None:
    with pytest.raises(ConfigError, match="token"):
        build("bc", ConnectionConfig(kind="basecamp", account_id="999999999"))
    with pytest.raises(ConfigError, match="account_id"):
        build("bc", ConnectionConfig(kind="basecamp", token=SecretStr("tok-x-1234")))
    with pytest.raises(ConfigError, match="account_id"):
        build("bc", ConnectionConfig(kind="basecamp", token=SecretStr("tok-x-1234"), account_id="acme"))


def test_base_url_is_the_api_root_plus_account(clock: VirtualClock) -> None:
    emulator = BasecampEmulator(clock=clock)
    sandbox = BasecampSandbox(emulator, clock=clock)
    project = sandbox.create_project("P", ["A"])
    with_account = _config(sandbox, base_url=f"{emulator.base_url}/999999999")
    assert build("bc", with_account, transport=emulator.transport(), clock=clock).check(project).project_name == "P"
