"""A real link (Asana to Asana through the emulator) whose client side is connected with OAuth:
it keeps syncing past several token expiries, renews once on a 401, and when the refresh token is
revoked it fails with one clear error, no traceback, and never a token in the logs."""

from __future__ import annotations

import httpx
import pytest

from bridge.auth.flows import connect
from bridge.errors import CredentialsRevoked
from bridge.http.credentials import CredentialTransport
from bridge.runtime import Runtime, build_runtime
from connectors.asana.auth import AUTH
from connectors.asana.emulator.oauth import ACCESS_TTL
from tests.auth.conftest import CLIENT_SECRET, AsanaWorld


def connected(world: AsanaWorld) -> None:
    shown: list[str] = []

    def browse(_prompt: str) -> str:
        answer = world.emulator.transport().handle_request(httpx.Request("GET", shown[0].split()[-1]))
        return answer.headers["location"]

    connect("acme", world.connection(), AUTH, world.vault(), world.http(), world.epoch(), paste=True,
            say=shown.append, ask=browse)


def link(world: AsanaWorld) -> Runtime:
    internal = world.sandbox.create_project("Acme website", ["Design", "Build"])
    world.sandbox.setup_access_field(internal)
    sections = world.sandbox.section_ids(internal)
    world.sandbox.add_task(internal, "Homepage draft", section_id=sections["Design"])
    client = world.sandbox.create_project("Acme x Agency", [])
    transports = {"agency": world.emulator.transport(), "acme": world.emulator.transport()}
    return build_runtime(world.config(internal, client), transports=transports, clock=world.clock, store=world.store)


def client_titles(world: AsanaWorld, runtime: Runtime) -> set[str]:
    side = runtime.links["acme"].client
    return {task.title for task in side.connector.pull(side.project_id).snapshot.tasks.values()}


def test_a_link_keeps_working_past_several_expiries(world: AsanaWorld, all_logs: pytest.LogCaptureFixture) -> None:
    connected(world)
    runtime = link(world)
    try:
        assert runtime.broken == {}
        for cycle in range(4):
            report = runtime.engine.run(runtime.links["acme"])
            assert report.ok, report.errors
            world.clock.advance(ACCESS_TTL + 60)  # the access token of this cycle is now expired
            if cycle == 1:  # new work in the agency's project, mirrored two expiries later
                internal = runtime.config.links["acme"].internal.project
                world.sandbox.add_task(internal, "Second task", section_id=world.sandbox.section_ids(internal)["Design"])
        assert world.issuer.calls["refresh_token"] >= 3  # renewed before use, every hour that passed
        assert {"Homepage draft", "Second task"} <= client_titles(world, runtime)
        held = world.vault().load("acme").credential
        assert held.access_token not in all_logs.text and (held.refresh_token or "") not in all_logs.text
    finally:
        runtime.close()


def test_a_401_before_expiry_renews_once_and_the_request_goes_through(world: AsanaWorld) -> None:
    connected(world)
    runtime = link(world)
    try:
        assert runtime.engine.run(runtime.links["acme"]).ok
        world.issuer.access.clear()  # the tool dropped every access token early (e.g. a password change)
        before = world.issuer.calls["refresh_token"]
        assert runtime.engine.run(runtime.links["acme"]).ok
        assert world.issuer.calls["refresh_token"] == before + 1  # once, shared by every request that saw the 401
    finally:
        runtime.close()


def test_a_revoked_refresh_token_is_one_clear_error(world: AsanaWorld, all_logs: pytest.LogCaptureFixture) -> None:
    connected(world)
    runtime = link(world)
    try:
        assert runtime.engine.run(runtime.links["acme"]).ok
        refresh = world.vault().load("acme").credential.refresh_token or ""
        revoked = world.emulator.handle(httpx.Request("POST", world.connection().oauth.token_url.replace(  # type: ignore[union-attr]
            "oauth_token", "oauth_revoke"), data={"token": refresh, "client_id": "asana-app-1", "client_secret": CLIENT_SECRET}))
        assert revoked.status_code == 200  # as Asana's /-/oauth_revoke, when someone removes the app
        world.clock.advance(ACCESS_TTL + 60)
        report = runtime.engine.run(runtime.links["acme"])
        assert not report.ok
        text = " ".join(report.errors)
        assert "token can no longer be refreshed" in text and "pm-bridge connect acme" in text
        assert "Traceback" not in all_logs.text
        assert world.issuer.calls["refresh_token"] == 1  # refused once; the next cycle does not ask again
        runtime.engine.run(runtime.links["acme"])
        assert world.issuer.calls["refresh_token"] == 1
        with pytest.raises(CredentialsRevoked):
            world.vault().load("acme")
    finally:
        runtime.close()


def test_a_link_built_before_connect_says_so_then_syncs_after_connect_without_a_reload(world: AsanaWorld) -> None:
    runtime = link(world)  # never connected: built all the same, so a running daemon needs no reload after connect
    try:
        assert "acme" not in runtime.broken
        assert not isinstance(getattr(runtime.connectors.get("agency"), "transport", None), CredentialTransport)
        first = runtime.engine.run(runtime.links["acme"])
        assert not first.ok
        text = " ".join(first.errors)
        assert "is not connected yet" in text and "pm-bridge connect acme" in text
        assert world.emulator.writes() == []  # nothing reached either side
        connected(world)
        assert runtime.engine.run(runtime.links["acme"]).ok
        assert client_titles(world, runtime) == {"Homepage draft"}
    finally:
        runtime.close()


def test_no_key_in_the_environment_is_a_clear_error(world: AsanaWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    connected(world)
    monkeypatch.delenv("PM_BRIDGE_SECRET_KEY")
    runtime = link(world)
    try:
        assert "PM_BRIDGE_SECRET_KEY is not set" in runtime.broken["acme"]
    finally:
        runtime.close()


def test_the_wrong_key_is_a_clear_error(world: AsanaWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    connected(world)
    monkeypatch.setenv("PM_BRIDGE_SECRET_KEY", Fernet.generate_key().decode())
    runtime = link(world)
    try:
        assert "cannot be decrypted with PM_BRIDGE_SECRET_KEY" in runtime.broken["acme"]
    finally:
        runtime.close()



def test_healthz_is_degraded_and_says_to_connect_again(world: AsanaWorld) -> None:
    from bridge.daemon import Daemon

    connected(world)
    runtime = link(world)
    daemon = Daemon(runtime.config, runtime=runtime)  # not started: ticks by hand
    try:
        assert daemon.runner.tick("acme") == "ok"
        assert daemon.health.report()["status"] == "ok"
        world.issuer.revoke_refresh_tokens()
        world.clock.advance(ACCESS_TTL + 60)
        assert daemon.runner.tick("acme") == "failed"
        report = daemon.health.report()
        assert report["status"] == "degraded"
        acme = report["links"]["acme"]
        assert acme["state"] == "credentials_revoked"
        assert "token can no longer be refreshed" in acme["credentials"] and "pm-bridge connect acme" in acme["credentials"]
        held_tokens = [t for t in world.issuer.access] + list(world.issuer.refresh)
        assert not any(token in str(report) for token in held_tokens)
    finally:
        runtime.close()


class RefusingApi(httpx.BaseTransport):
    """The account lost access: every API request is refused with 401, the token endpoint still renews."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            return httpx.Response(401, json={"errors": [{"message": "Not Authorized"}]})
        return self.inner.handle_request(request)


def test_a_401_on_every_request_refreshes_once_then_names_the_connection(
    world: AsanaWorld, all_logs: pytest.LogCaptureFixture
) -> None:
    from bridge.errors import AuthError

    connected(world)
    runtime = link(world)
    runtime.close()
    internal, client = runtime.config.links["acme"].internal.project, runtime.config.links["acme"].client.project
    refusing = {"agency": world.emulator.transport(), "acme": RefusingApi(world.emulator.transport())}
    runtime = build_runtime(world.config(internal, client), transports=refusing, clock=world.clock, store=world.store)
    try:
        for _cycle in range(3):
            report = runtime.engine.run(runtime.links["acme"])
            assert not report.ok
            text = " ".join(report.errors)
            assert "connection 'acme': the tool refuses even a freshly renewed token (401)" in text, text
            assert "lost access" in text and "token can no longer be refreshed" not in text
        assert world.issuer.calls["refresh_token"] == 1  # one refresh for the refused token, none per request
        held = world.vault().load("acme")  # not marked revoked: the token itself renews fine
        assert held.credential.access_token in world.issuer.access
        assert held.credential.access_token not in all_logs.text
        side = runtime.links["acme"].client
        with pytest.raises(AuthError, match="connection 'acme'") as caught:
            side.connector.pull(side.project_id)
        assert not isinstance(caught.value, CredentialsRevoked)
        assert world.issuer.calls["refresh_token"] == 1
        world.clock.advance(ACCESS_TTL + 60)  # at expiry the token is renewed as always, and tried afresh:
        assert not runtime.engine.run(runtime.links["acme"]).ok
        assert world.issuer.calls["refresh_token"] == 3  # renewed at expiry, refused, one refresh on the 401
        assert not runtime.engine.run(runtime.links["acme"]).ok
        assert world.issuer.calls["refresh_token"] == 3  # and no more until the next expiry
    finally:
        runtime.close()
