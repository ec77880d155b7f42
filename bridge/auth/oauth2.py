"""The OAuth 2 authorization-code grant as Asana and Basecamp (Launchpad) document it (RFC 6749, 4.1 and 6).

Each tool's ``connectors/<tool>/auth.py`` names its endpoints and extra parameters; the exchange and
the refresh are the same form POST for both.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bridge import secrets
from bridge.auth.credential import SKEW_SECONDS, Credential
from bridge.config.connection import ConnectionConfig, OAuthClient
from bridge.errors import ConfigError, CredentialsRevoked, Malformed, Transient
from bridge.http.credentials import Placement


@dataclass(frozen=True)
class CodeGrant:
    """A tool's documented endpoints; a connection's ``oauth.authorize_url``/``token_url`` override them."""

    tool: str
    authorize_endpoint: str
    token_endpoint: str
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    placement: Placement = "bearer"
    interactive: bool = True
    code_in_fragment: bool = False
    skew: float = SKEW_SECONDS

    def client(self, connection: ConnectionConfig) -> OAuthClient:
        if connection.oauth is None or not connection.oauth.client_id or connection.oauth.client_secret is None:
            raise ConfigError(f"the {self.tool} OAuth connection needs oauth.client_id and oauth.client_secret",
                              hint="see docs/connect.md for registering the app")
        secrets.register(connection.oauth.client_secret.get_secret_value())
        return connection.oauth

    def authorize_url(self, connection: ConnectionConfig, redirect_uri: str, state: str) -> str:
        client = self.client(connection)
        params = {"response_type": "code", "client_id": client.client_id or "", "redirect_uri": redirect_uri,
                  "state": state, **self.authorize_params}
        if client.scope:
            params["scope"] = client.scope
        base = client.authorize_url or self.authorize_endpoint
        return f"{base}{'&' if '?' in base else '?'}{urllib.parse.urlencode(params)}"

    def exchange(self, connection: ConnectionConfig, code: str, redirect_uri: str, http: httpx.Client,
                 now: float) -> Credential:
        client = self.client(connection)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._token(connection, client, form, http, now, previous=None)

    def renew(self, connection: ConnectionConfig, current: Credential, http: httpx.Client, now: float) -> Credential:
        if not current.refresh_token:
            raise CredentialsRevoked(f"{self.tool}: the stored token has no refresh token")
        client = self.client(connection)
        form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        return self._token(connection, client, form, http, now, previous=current)

    def _token(self, connection: ConnectionConfig, client: OAuthClient, form: dict[str, str], http: httpx.Client,
               now: float, previous: Credential | None) -> Credential:
        assert client.client_secret is not None  # checked by client()
        form = {**form, "client_id": client.client_id or "", "client_secret": client.client_secret.get_secret_value()}
        url = client.token_url or self.token_endpoint
        try:
            raw = http.post(url, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise Transient(f"{self.tool}: cannot reach the token endpoint ({type(exc).__name__})") from None
        body = _json(raw)
        if body.get("error") == "invalid_client":
            # The app's credentials, not the user's grant: fixing the config is enough, no new approval.
            raise ConfigError(f"{self.tool}: the token endpoint refused oauth.client_id/client_secret",
                              hint="copy them again from the app's settings (the secret may have been regenerated)")
        if raw.status_code in (400, 401, 403):
            # RFC 6749 5.2: invalid_grant means the refresh token (or code) is expired, revoked or spent.
            reason = str(body.get("error_description") or body.get("error") or raw.status_code) if body else str(raw.status_code)
            raise CredentialsRevoked(f"{self.tool}: the token endpoint refused the "
                                     f"{'refresh token' if previous else 'authorization code'}: {secrets.redact(reason)}",
                                     status=raw.status_code)
        if raw.status_code >= 300 or not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            if raw.status_code >= 500 or raw.status_code == 429:
                raise Transient(f"{self.tool}: the token endpoint answered {raw.status_code}", status=raw.status_code)
            raise Malformed(f"{self.tool}: the token endpoint answered {raw.status_code} without an access_token")
        return credential_from(body, now, previous)


def credential_from(body: Mapping[str, Any], now: float, previous: Credential | None) -> Credential:
    """A token response as a Credential; a refresh that does not rotate the refresh token keeps the old one."""
    access = str(body["access_token"])
    refresh = body.get("refresh_token") or (previous.refresh_token if previous else None)
    expires_in = body.get("expires_in")
    secrets.register(access)
    secrets.register(refresh)
    return Credential(
        access_token=access,
        refresh_token=refresh,
        expires_at=now + float(expires_in) if isinstance(expires_in, (int, float)) else None,
    )


def _json(raw: httpx.Response) -> dict[str, Any]:
    try:
        body = raw.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
