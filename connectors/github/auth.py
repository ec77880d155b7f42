"""GitHub App installation tokens (docs/connect.md): the option for organisations.

A JWT signed RS256 with the app's private key (``iss``: the app ID, ``iat`` a minute back for
clock drift, ``exp`` at most ten minutes ahead) buys an installation token at
``POST /app/installations/{installation_id}/access_tokens``; it lasts an hour and is minted again
before it ends. Fine-grained personal tokens (``auth: token``) need none of this.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import jwt

from bridge import secrets
from bridge.auth.credential import SKEW_SECONDS, Credential
from bridge.config.connection import ConnectionConfig
from bridge.errors import ConfigError, CredentialsRevoked, Malformed, Transient
from bridge.http.client import user_agent
from bridge.http.credentials import Placement

API = "https://api.github.com"


class GitHubAppAuth:
    placement: Placement = "bearer"
    interactive = False  # the private key is the authorization: no browser step
    code_in_fragment = False
    skew = SKEW_SECONDS

    def authorize_url(self, connection: ConnectionConfig, redirect_uri: str, state: str) -> str:
        raise ConfigError("a GitHub App is authorized by installing it on the organisation, not in a browser here",
                          hint="see docs/connect.md, GitHub")

    def exchange(self, connection: ConnectionConfig, code: str, redirect_uri: str, http: httpx.Client,
                 now: float) -> Credential:
        return self.mint(connection, http, now)

    def renew(self, connection: ConnectionConfig, current: Credential, http: httpx.Client, now: float) -> Credential:
        return self.mint(connection, http, now)

    def mint(self, connection: ConnectionConfig, http: httpx.Client, now: float) -> Credential:
        signed = app_jwt(connection, now)
        url = f"{(connection.base_url or API).rstrip('/')}/app/installations/{connection.installation_id}/access_tokens"
        headers = {"Authorization": f"Bearer {signed}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28", "User-Agent": user_agent(connection.user_agent)}
        try:
            raw = http.post(url, headers=headers)
        except httpx.TransportError as exc:
            raise Transient(f"github: cannot reach {url} ({type(exc).__name__})") from None
        if raw.status_code in (401, 403, 404):
            raise CredentialsRevoked(f"github: the app could not mint an installation token ({raw.status_code}): "
                                     "the app was uninstalled, suspended, or its key was revoked", status=raw.status_code)
        if raw.status_code >= 500:
            raise Transient(f"github: minting an installation token failed ({raw.status_code})", status=raw.status_code)
        try:
            body = raw.json()
            token, expires = str(body["token"]), dt.datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            raise Malformed(f"github: the installation token answer ({raw.status_code}) has no token") from None
        secrets.register(token)
        return Credential(access_token=token, expires_at=expires.timestamp())


def app_jwt(connection: ConnectionConfig, now: float) -> str:
    path = Path(connection.private_key_path or "").expanduser()
    try:
        key = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read the GitHub App private key {str(path)!r}: {exc.strerror}",
                          hint="set private_key_path to the .pem file downloaded from the app's settings") from None
    try:
        return jwt.encode({"iat": int(now) - 60, "exp": int(now) + 540, "iss": str(connection.app_id)}, key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        raise ConfigError(f"{str(path)!r} is not an RSA private key in PEM form",
                          hint="download a new key in the app's settings") from None


AUTH = GitHubAppAuth()
