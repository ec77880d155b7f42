"""Errors sorted at the boundary, and GitHub's primary and secondary rate limits."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import NewTask
from bridge.errors import AuthError, Invalid, Malformed, NotFound, RateLimited
from connectors.emulation import Fault
from connectors.github import GithubEmulator, GithubSandbox, build

from .conftest import World


def test_bad_token_is_an_auth_error_without_the_token(world: World) -> None:
    config = ConnectionConfig(kind="github", base_url=world.emulator.base_url, token=SecretStr("tok-wrong-123456"))
    bad = build("bad", config, transport=world.emulator.transport(), clock=world.clock)
    with pytest.raises(AuthError) as raised:
        bad.pull(world.project)
    assert "tok-wrong-123456" not in str(raised.value) and "Bad credentials" in str(raised.value)
    world.emulator.inject(Fault.UNAUTHORIZED, "GET", "/user")
    with pytest.raises(AuthError):
        world.bridge.check(world.project)


def test_missing_or_hidden_repository_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.bridge.pull("agency/nope")
    world.emulator.repo(world.project).collaborators.discard("pmbridge")  # private, and no longer ours to see
    with pytest.raises(NotFound):
        world.bridge.check(world.project)


def test_validation_errors_name_the_field(world: World) -> None:
    with pytest.raises(Invalid) as raised:
        world.bridge.create_task(world.project, NewTask(title="Hi", assignees=["stranger"]))
    assert raised.value.status == 422
    assert "Validation Failed (Issue assignees invalid)" in str(raised.value)


def test_malformed_answers_raise_malformed(world: World) -> None:
    world.emulator.inject(Fault.MALFORMED, "GET", r"/issues$")
    with pytest.raises(Malformed):
        world.bridge.pull(world.project)

    def wrong_shape(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/issues"):
            return httpx.Response(200, json={"message": "not a list"})
        return world.emulator.handle(request)

    odd = build("odd", world.sandbox.connection("bridge"), transport=httpx.MockTransport(wrong_shape), clock=world.clock)
    with pytest.raises(Malformed):
        odd.pull(world.project)


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_is_waited_out(status: int) -> None:
    clock = VirtualClock()
    emulator = GithubEmulator(clock=clock, rate_limit=(2, 10))
    emulator.secondary_status = status
    sandbox = GithubSandbox(emulator, clock=clock)
    project = sandbox.create_project("Busy", ["To do"])
    snapshot = sandbox.connector("bridge").pull(project).snapshot
    assert snapshot.complete
    refused = [r for r in emulator.requests if r.status == status]
    assert refused, "the secondary limit never answered"
    assert sum(clock.slept) >= 5.0  # waited what retry-after asked, on the virtual clock


def test_spent_primary_limit_pauses_until_reset_or_reports_rate_limited() -> None:
    clock = VirtualClock()
    emulator = GithubEmulator(clock=clock, primary_limit=3)
    sandbox = GithubSandbox(emulator, clock=clock)
    project = sandbox.create_project("Popular", ["To do"])
    with pytest.raises(RateLimited):  # the reset is an hour away, more than max_wait allows
        sandbox.connector("bridge").pull(project)
    patient = ConnectionConfig(kind="github", base_url=emulator.base_url, token=SecretStr("tok-anna-0002"), max_wait=4000)
    snapshot = build("patient", patient, transport=emulator.transport(), clock=clock).pull(project).snapshot
    assert snapshot.complete and max(clock.slept) > 3000


def test_injected_server_errors_are_retried_for_reads(world: World) -> None:
    world.emulator.inject(Fault.FAIL_BEFORE, "GET", r"/labels$")
    assert world.bridge.pull(world.project).snapshot.complete
    assert world.bridge.stats.retries == 1
