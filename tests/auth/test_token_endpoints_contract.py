"""The token endpoints against the reference: the URLs each tool documents, the parameters pm-bridge
sends, and the emulators' answers beside the documented examples (tests/reference, nothing outside)."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import httpx
from pydantic import SecretStr

from bridge.auth.credential import Credential
from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig, OAuthClient
from connectors.asana.auth import AUTH as ASANA
from connectors.basecamp import BasecampEmulator
from connectors.basecamp.auth import AUTH as BASECAMP
from connectors.basecamp.emulator.launchpad import ACCESS_TTL as BASECAMP_TTL
from connectors.basecamp.emulator.launchpad import LaunchpadEmulator
from connectors.trello.auth import AUTH as TRELLO
from tests.auth.conftest import AsanaWorld

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
LAUNCHPAD_DOC = (REFERENCE / "basecamp" / "sections" / "authentication.md").read_text()


def required_parameters(section: str) -> set[str]:
    """The ``- `name=...``` bullets under the first "Required parameters" after ``section``."""
    text = LAUNCHPAD_DOC[LAUNCHPAD_DOC.index(section):]
    block = text[text.index("**Required parameters**"):].split("\n\n", 2)[1]
    return set(re.findall(r"^- `(\w+)=", block, re.M))


def test_asana_endpoints_are_the_reference_security_scheme() -> None:
    spec = json.loads((REFERENCE / "asana" / "spec" / "asana_oas.reduced.json").read_text())
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    assert ASANA.authorize_endpoint == flow["authorizationUrl"]
    assert ASANA.token_endpoint == flow["tokenUrl"] == flow["refreshUrl"]


def test_asana_exchange_and_refresh_send_the_standard_parameters(world: AsanaWorld) -> None:
    connection, http, now = world.connection(), world.http(), world.epoch()
    code = world.issuer.authorize("asana-app-1", "http://127.0.0.1:1/callback", None)[1].split("code=")[1]
    first = ASANA.exchange(connection, code, "http://127.0.0.1:1/callback", http, now())
    ASANA.renew(connection, first, http, now())
    forms = [urllib.parse.parse_qs(r.body.decode()) for r in world.emulator.requests if r.path == "/-/oauth_token"]
    assert {k: v for k, v in forms[0].items() if k != "client_secret"} == {
        "grant_type": ["authorization_code"], "code": [code], "redirect_uri": ["http://127.0.0.1:1/callback"],
        "client_id": ["asana-app-1"]}
    assert set(forms[1]) == {"grant_type", "refresh_token", "client_id", "client_secret"}
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded"
               for r in world.emulator.requests if r.path == "/-/oauth_token")


def test_launchpad_endpoints_and_parameters_are_the_documented_ones() -> None:
    assert BASECAMP.authorize_endpoint in LAUNCHPAD_DOC and BASECAMP.token_endpoint in LAUNCHPAD_DOC
    clock = VirtualClock()
    api = BasecampEmulator(clock=clock)
    launchpad = LaunchpadEmulator(api, "1", clock=clock)
    launchpad.issuer.register("bc", "bc-secret")
    oauth = OAuthClient(client_id="bc", client_secret=SecretStr("bc-secret"),
                        token_url=f"{launchpad.base_url}/authorization/token")
    connection = ConnectionConfig(kind="basecamp", auth="oauth", oauth=oauth, account_id="1", user_agent="T (t@example.com)")
    http = httpx.Client(transport=launchpad.transport(), headers={"User-Agent": "T (t@example.com) pm-bridge/test"})
    address = BASECAMP.authorize_url(connection, "http://127.0.0.1:1/callback", "s")
    documented = "response_type=code&client_id=your-client-id&redirect_uri=your-redirect-uri"
    assert set(urllib.parse.parse_qs(documented)) <= set(urllib.parse.parse_qs(urllib.parse.urlsplit(address).query))
    code = launchpad.issuer.authorize("bc", "http://127.0.0.1:1/callback", None)[1].split("code=")[1]
    first = BASECAMP.exchange(connection, code, "http://127.0.0.1:1/callback", http, 0.0)
    second = BASECAMP.renew(connection, first, http, 0.0)
    assert second.refresh_token != first.refresh_token  # rotated: the newest is kept
    sent = [urllib.parse.parse_qs(r.body.decode()) for r in launchpad.requests if r.path == "/authorization/token"]
    assert set(sent[0]) == required_parameters("### 3. Exchange the code")
    assert set(sent[1]) == required_parameters("Refreshing access tokens\n---")
    answers = [json.loads((REFERENCE / "basecamp" / "examples" / name).read_text()) for name in
               ("authentication.oauth_2_from_scratch.other1.json", "authentication.refreshing_access_tokens.other2.json")]
    for example in answers:
        assert example["expires_in"] == BASECAMP_TTL
    answer = launchpad.handle(httpx.Request("POST", f"{launchpad.base_url}/authorization/token", data={
        "grant_type": "refresh_token", "refresh_token": second.refresh_token or "", "client_id": "bc",
        "client_secret": "bc-secret"}))
    assert set(answer.json()) == set(answers[1])  # the emulator answers the documented shape


def test_trello_authorize_address_carries_scope_expiration_and_response_type() -> None:
    connection = ConnectionConfig(kind="trello", key=SecretStr("k" * 32), auth="oauth", oauth=OAuthClient(expiration="30days"))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(TRELLO.authorize_url(connection, "http://127.0.0.1:1/cb", "s")).query)
    assert query["expiration"] == ["30days"] and query["scope"] == ["read,write"] and query["response_type"] == ["token"]
    assert query["return_url"] == ["http://127.0.0.1:1/cb?state=s"]
    assert TRELLO.exchange(connection, "tok-123456", "", None, 100.0) == Credential(  # type: ignore[arg-type]
        access_token="tok-123456", expires_at=100.0 + 30 * 86400)
