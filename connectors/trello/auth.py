"""Trello's authorize page (docs/connect.md): a token for the API key, with a scope and an expiration.

``https://trello.com/1/authorize?key=...&name=...&scope=read,write&expiration=...&response_type=token``
sends the browser back to ``return_url`` with the token in the URL fragment (``#token=...``), or
shows it on the page when there is no ``return_url`` (the paste mode). Trello issues no refresh
token: when a token expires or is revoked, only ``pm-bridge connect`` again helps, and the error says so.
"""

from __future__ import annotations

import urllib.parse

import httpx

from bridge import secrets
from bridge.auth.credential import Credential
from bridge.config.connection import ConnectionConfig
from bridge.errors import ConfigError, CredentialsRevoked
from bridge.http.credentials import Placement

AUTHORIZE_URL = "https://trello.com/1/authorize"
LIFETIMES = {"1hour": 3600.0, "1day": 86400.0, "30days": 30 * 86400.0, "never": None}


class TrelloAuth:
    placement: Placement = "query"
    interactive = True
    code_in_fragment = True
    # Renewing cannot help (it only reports the token lost), so not ahead of time: at expiry, or on a 401.
    skew = 0.0

    def authorize_url(self, connection: ConnectionConfig, redirect_uri: str, state: str) -> str:
        if connection.key is None:
            raise ConfigError("a trello connection needs its API key (`key`) to authorize",
                              hint="get it at trello.com/power-ups/admin")
        oauth = connection.oauth
        expiration = oauth.expiration if oauth else "never"
        if expiration not in LIFETIMES:
            raise ConfigError(f"oauth.expiration {expiration!r} is not one of Trello's: {', '.join(LIFETIMES)}")
        back = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}state={urllib.parse.quote(state)}"
        params = {"key": connection.key.get_secret_value(), "name": "pm-bridge", "scope": (oauth.scope if oauth else None)
                  or "read,write", "expiration": expiration, "response_type": "token", "callback_method": "fragment",
                  "return_url": back}
        base = (oauth.authorize_url if oauth else None) or AUTHORIZE_URL
        return f"{base}?{urllib.parse.urlencode(params)}"

    def exchange(self, connection: ConnectionConfig, code: str, redirect_uri: str, http: httpx.Client,
                 now: float) -> Credential:
        secrets.register(code)
        lifetime = LIFETIMES.get(connection.oauth.expiration if connection.oauth else "never")
        return Credential(access_token=code, expires_at=None if lifetime is None else now + lifetime)

    def renew(self, connection: ConnectionConfig, current: Credential, http: httpx.Client, now: float) -> Credential:
        raise CredentialsRevoked("trello: the token expired or was revoked, and Trello tokens cannot be refreshed")


AUTH = TrelloAuth()
