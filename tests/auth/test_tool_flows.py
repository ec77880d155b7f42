"""Each tool's documented authorization against its emulator, then a connector that outlives its tokens:
Basecamp through Launchpad (two-week tokens, rotated refresh tokens), Trello's authorize page (token in
the URL fragment, no refresh), and a GitHub App's hourly installation tokens."""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from bridge.auth.flows import connect
from bridge.auth.sealing import Sealer
from bridge.auth.vault import Vault
from bridge.clock import VirtualClock
from bridge.config.connection import OAuthClient
from bridge.errors import CredentialsRevoked
from bridge.runtime import build_connector, open_store, token_client, tool_auth, wall_clock
from bridge.store import Store
from connectors.basecamp import BasecampEmulator, BasecampSandbox
from connectors.basecamp.emulator.launchpad import ACCESS_TTL as BASECAMP_TTL
from connectors.basecamp.emulator.launchpad import LaunchpadEmulator
from connectors.github import GithubEmulator, GithubSandbox
from connectors.github.emulator.app import enable_app
from connectors.trello import Sandbox as TrelloSandbox
from connectors.trello import TrelloEmulator
from connectors.trello.emulator.authorize import enable_authorize
from tests.auth.conftest import free_port


class ByHost(httpx.BaseTransport):
    """Launchpad and the Basecamp API on their own hosts, as in reality."""

    def __init__(self, hosts: dict[str, httpx.BaseTransport], default: httpx.BaseTransport) -> None:
        self.hosts, self.default = hosts, default

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.hosts.get(request.url.host, self.default).handle_request(request)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def follow(transport: httpx.BaseTransport, address: str) -> str:
    answer = transport.handle_request(httpx.Request("GET", address))
    assert answer.status_code == 302, answer.read()
    return answer.headers["location"]


def test_basecamp_through_launchpad_survives_expiries_with_rotated_refresh_tokens(store: Store) -> None:
    clock = VirtualClock()
    sandbox = BasecampSandbox(BasecampEmulator(clock=clock), clock=clock)
    project = sandbox.create_project("Acme x Agency")
    launchpad = LaunchpadEmulator(sandbox.emulator, sandbox.user_ids["bridge"])
    launchpad.issuer.register("bc-app", "bc-secret-0001")
    transport = ByHost({"launchpad.emulator.invalid": launchpad.transport()}, sandbox.emulator.transport())
    oauth = OAuthClient(client_id="bc-app", client_secret=SecretStr("bc-secret-0001"),
                        authorize_url=f"{launchpad.base_url}/authorization/new",
                        token_url=f"{launchpad.base_url}/authorization/token")
    connection = sandbox.connection("bridge").model_copy(update={"token": None, "auth": "oauth", "oauth": oauth})
    vault = Vault(store, Sealer.from_environment())
    shown: list[str] = []
    connect("bc", connection, tool_auth("basecamp"), vault, token_client(connection, transport), wall_clock(clock),
            paste=True, say=shown.append, ask=lambda _: follow(transport, shown[0].split()[-1]))
    authorize = urllib.parse.parse_qs(urllib.parse.urlsplit(shown[0].split()[-1]).query)
    assert authorize["response_type"] == ["code"] and authorize["client_id"] == ["bc-app"]

    connector = build_connector("bc", connection, transport=transport, clock=clock, vault=vault)
    try:
        for _ in range(3):
            assert connector.pull(project).snapshot is not None
            clock.advance(BASECAMP_TTL + 60)
        assert launchpad.issuer.calls == {"authorization_code": 1, "refresh_token": 2}
        spent = [token for token, grant in launchpad.issuer.refresh.items() if grant.revoked]
        assert len(spent) == 2 and vault.load("bc").credential.refresh_token not in spent
        exchanges = [r for r in launchpad.requests if r.path == "/authorization/token"]
        forms = [urllib.parse.parse_qs(r.body.decode()) for r in exchanges]
        # The reference's required parameters, and the standard grant types (not the legacy type=...).
        assert set(forms[0]) == {"grant_type", "code", "redirect_uri", "client_id", "client_secret"}
        assert forms[0]["grant_type"] == ["authorization_code"]
        assert set(forms[1]) == {"grant_type", "refresh_token", "client_id", "client_secret"}
        assert forms[1]["grant_type"] == ["refresh_token"]
        assert all("pm-bridge/" in r.headers["user-agent"] for r in exchanges)
    finally:
        connector.close()


def test_trello_token_from_the_fragment_then_a_clear_error_when_it_expires(store: Store) -> None:
    clock = VirtualClock()
    sandbox = TrelloSandbox(TrelloEmulator(clock=clock), clock=clock)
    board = sandbox.create_project("Acme x Agency")
    issuer = enable_authorize(sandbox.emulator, sandbox.user_ids["bridge"])
    port = free_port()
    oauth = OAuthClient(expiration="1hour", authorize_url=f"{sandbox.emulator.base_url}/authorize", redirect_port=port)
    connection = sandbox.connection("bridge").model_copy(update={"token": None, "auth": "oauth", "oauth": oauth})
    vault = Vault(store, Sealer.from_environment())
    transport = sandbox.emulator.transport()
    pages: list[str] = []

    def browser(address: str) -> None:
        back = follow(transport, address)  # http://127.0.0.1:<port>/callback?state=...#token=...
        before, _, fragment = back.partition("#")
        pages.append(httpx.get(before, timeout=5).text)  # a browser never sends the fragment: the page sends it back
        httpx.get(f"{before}&{fragment}", timeout=5)

    def say(text: str) -> None:
        if "http" in text:
            threading.Thread(target=browser, args=(text.split()[-1],)).start()

    connect("trello", connection, tool_auth("trello"), vault, token_client(connection, transport), wall_clock(clock),
            open_browser=False, say=say, timeout=10)
    assert "location.hash" in pages[0]
    connector = build_connector("trello", connection, transport=transport, clock=clock, vault=vault)
    try:
        assert connector.pull(board).snapshot is not None
        token = vault.load("trello").credential.access_token
        assert all(r.query.get("token") == [token] for r in sandbox.emulator.requests if r.path != "/authorize")
        clock.advance(3600)
        with pytest.raises(CredentialsRevoked, match="token can no longer be refreshed") as caught:
            connector.pull(board)
        assert "pm-bridge connect trello" in str(caught.value) and token not in str(caught.value)
        assert issuer.calls["refresh_token"] == 0  # Trello has no refresh: nothing was asked of it
    finally:
        connector.close()


def test_a_github_app_mints_a_new_installation_token_every_hour(store: Store, tmp_path: Path) -> None:
    clock = VirtualClock()
    sandbox = GithubSandbox(GithubEmulator(clock=clock), clock=clock)
    repo = sandbox.create_project("Acme x Agency")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "app.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    apps = enable_app(sandbox.emulator, "4242", public.decode(), "777", sandbox.user_ids["bridge"])
    connection = sandbox.connection("bridge").model_copy(update={
        "token": None, "auth": "github_app", "app_id": "4242", "installation_id": "777", "private_key_path": str(pem)})
    vault = Vault(store, Sealer.from_environment())
    transport = sandbox.emulator.transport()
    connect("gh", connection, tool_auth("github"), vault, token_client(connection, transport), wall_clock(clock))
    connector = build_connector("gh", connection, transport=transport, clock=clock, vault=vault)
    try:
        for _ in range(3):
            assert connector.pull(repo).snapshot is not None
            clock.advance(3600)
        assert apps.minted == 3  # connect, then before each hour ran out
        apps.uninstall("777")
        clock.advance(3600)
        with pytest.raises(CredentialsRevoked, match="uninstalled"):
            connector.pull(repo)
    finally:
        connector.close()
