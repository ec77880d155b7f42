"""The emulated app behind ``pm-bridge emulate --oauth``: rehearse ``pm-bridge connect`` offline.

Each tool's documented authorization, served by its emulator (docs/connect.md, "Rehearse against
the emulators"): Asana's ``/-/oauth_authorize`` and ``/-/oauth_token``, Launchpad beside the Basecamp
emulator (``/authorization/new``, ``/authorization/token``), Trello's ``/1/authorize`` and a GitHub
App's installation tokens. Access tokens live ``ttl`` seconds instead of hours, so a person sees
pm-bridge renew them (it renews five minutes ahead) and sees a Trello token run out. The emulator
window prints one line per token issued, renewed or refused, never the token.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bridge.auth.credential import SKEW_SECONDS
from connectors.emulation.oauth import TokenIssuer
from connectors.emulation.sandbox import Sandbox
from connectors.emulation.toolkit import Emulator

# Longer than pm-bridge's renewal skew, so a token is used for a minute before it is renewed.
DEFAULT_TTL = SKEW_SECONDS + 60
# The emulated app: valid only on this emulator, like the sandbox users' tokens.
CLIENT_ID = "pm-bridge-rehearsal"
CLIENT_SECRET = "rehearsal-client-secret-0001"
GITHUB_APP_ID, GITHUB_INSTALLATION_ID = "100001", "200002"
LAUNCHPAD_PREFIX = "/authorization"


@dataclass
class EmulatedAuth:
    """What ``--oauth`` switched on: the connection keys to print, and where the token endpoints are."""

    issuer: TokenIssuer
    connection: dict[str, object]  # replaces the sandbox token in the printed connection
    token_paths: tuple[str, ...]  # requests worth a line in the emulator window
    notes: list[str] = field(default_factory=list)
    beside: dict[str, Emulator] = field(default_factory=dict)  # path prefix -> an emulator on the same port (Launchpad)
    say: Callable[[str], None] = lambda _line: None

    def handle(self, main: Emulator, request: httpx.Request) -> httpx.Response:
        """Route a request to Launchpad or the tool's emulator, and tell the window about token events."""
        path = request.url.path
        target = next((emu for prefix, emu in self.beside.items() if path.startswith(prefix)), main)
        watched = any(path.endswith(token_path) for token_path in self.token_paths)
        if watched:
            # A served request arrives as a stream the emulator consumes; a token request is a small form,
            # read once here so that its grant type can still be told afterwards.
            request.read()
        response = target.handle(request)
        if watched:
            self.say(_event(request, response))
        return response


def enable(kind: str, sandbox: Sandbox, base_url: str, *, ttl: float, redirect_port: int, folder: Path) -> EmulatedAuth:
    """Switch on ``kind``'s authorization on the sandbox's emulator; the bridge user is who approves."""
    emulator, user = sandbox.emulator, sandbox.user_ids["bridge"]
    host = _origin(base_url)
    if kind == "asana":
        from connectors.asana.emulator.oauth import AUTHORIZE_PATH, TOKEN_PATH, enable_oauth

        issuer = enable_oauth(emulator, user, access_ttl=ttl)
        issuer.register(CLIENT_ID, CLIENT_SECRET)
        return EmulatedAuth(issuer, _oauth(host + AUTHORIZE_PATH, host + TOKEN_PATH, redirect_port), (TOKEN_PATH,))
    if kind == "basecamp":
        from connectors.basecamp.emulator.launchpad import LaunchpadEmulator

        launchpad = LaunchpadEmulator(emulator, user, access_ttl=ttl, account_href=base_url)
        launchpad.base_url = host
        launchpad.issuer.register(CLIENT_ID, CLIENT_SECRET)
        return EmulatedAuth(launchpad.issuer, _oauth(f"{host}/authorization/new", f"{host}/authorization/token",
                                                     redirect_port), ("/authorization/token",),
                            beside={LAUNCHPAD_PREFIX: launchpad})
    if kind == "trello":
        from connectors.trello.emulator.authorize import enable_authorize

        # Every expiration but `never` is shortened: the printed `1hour` lasts `ttl` seconds here.
        issuer = enable_authorize(emulator, user, lifetimes={name: ttl for name in ("1hour", "1day", "30days")})
        connection: dict[str, object] = {"auth": "oauth", "oauth": {"expiration": "1hour",
                                         "authorize_url": f"{base_url}/authorize", "redirect_port": redirect_port}}
        note = (f"Trello tokens cannot be renewed: this one stops after {ttl:.0f} s (its `1hour`), and the link "
                "then says to run pm-bridge connect again")
        return EmulatedAuth(issuer, connection, ("/authorize",), notes=[note])
    if kind == "github":
        from connectors.github.emulator.app import enable_app

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = folder / "github-app.private-key.pem"
        pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
        pem.chmod(0o600)
        public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        apps = enable_app(emulator, GITHUB_APP_ID, public.decode(), GITHUB_INSTALLATION_ID, user, token_ttl=ttl)
        connection = {"auth": "github_app", "app_id": GITHUB_APP_ID, "installation_id": GITHUB_INSTALLATION_ID,
                      "private_key_path": str(pem)}
        return EmulatedAuth(apps.issuer, connection, ("/access_tokens",),
                            notes=[f"the app's private key (deleted when the emulator stops): {pem}"])
    raise ValueError(f"no emulated authorization for {kind}")


def _oauth(authorize_url: str, token_url: str, redirect_port: int) -> dict[str, object]:
    return {"auth": "oauth", "oauth": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                       "authorize_url": authorize_url, "token_url": token_url,
                                       "redirect_port": redirect_port}}


def _origin(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _event(request: httpx.Request, response: httpx.Response) -> str:
    """One line for the emulator window: what was asked of the token endpoint and what it answered."""
    at = dt.datetime.now().strftime("%H:%M:%S")
    form = urllib.parse.parse_qs(request.content.decode(errors="replace"))
    asked = (form.get("grant_type") or ["installation token" if request.method == "POST" else "authorize page"])[0]
    if response.status_code >= 400:
        return f"{at} token endpoint: {asked} refused ({response.status_code})"
    lasts = ""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and body.get("expires_in"):
            lasts = f", expires in {body['expires_in']} s"
        elif isinstance(body, dict) and body.get("expires_at"):
            lasts = f", expires at {body['expires_at']}"
    return f"{at} token endpoint: {asked} -> new access token{lasts}"
