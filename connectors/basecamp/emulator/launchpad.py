"""Launchpad (launchpad.37signals.com), where Basecamp's OAuth 2 lives, as its own small emulator.

The reference (Basecamp's authentication section): ``/authorization/new`` asks the user,
``/authorization/token`` trades a code or a refresh token (the standard ``grant_type``
parameters; the legacy ``type=web_server``/``type=refresh`` are "not recommended" and not
emulated), access tokens last two weeks, and the refresh answer has the same shape as the first
one, refresh token included. The emulator reads that the strict way: each refresh answers with a
new refresh token and spends the old one, so a client that kept the old one fails here first
(pm-bridge keeps whichever comes back). ``GET /authorization.json`` says who the token belongs
to. It shares its :class:`TokenIssuer` with the Basecamp emulator, whose API then accepts the tokens.
"""

from __future__ import annotations

import datetime as dt

import httpx

from bridge.clock import Clock
from connectors.emulation.oauth import TokenIssuer, mount_code_grant
from connectors.emulation.toolkit import Emulator, EmuRequest, json_response

ACCESS_TTL = 14 * 24 * 3600.0


class LaunchpadEmulator(Emulator):
    tool = "launchpad"

    def __init__(self, api: Emulator, user: str, *, clock: Clock | None = None, access_ttl: float = ACCESS_TTL,
                 account_href: str = "") -> None:
        super().__init__(clock=clock or api.clock, rate_limit=False)
        self.base_url = "https://launchpad.emulator.invalid"
        self.issuer = TokenIssuer(self.clock, access_ttl=access_ttl, rotate=True, prefix="bc", user=user)
        self.account_href = account_href or api.base_url
        api.oauth = self.issuer
        mount_code_grant(self, self.issuer, "/authorization/new", "/authorization/token")
        self.add_route("GET", "/authorization.json", self._authorization)

    def authenticate(self, request: EmuRequest) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self.issuer.user_for(token.strip()) if scheme.lower() == "bearer" else None

    def _authorization(self, req: EmuRequest) -> httpx.Response:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        expires = self.issuer.access.get(token.strip(), ("", self.clock.now()))[1]
        at = dt.datetime.fromtimestamp(expires - self.clock.now() + self.issuer.epoch(), dt.UTC)
        return json_response(200, {
            "expires_at": at.isoformat(timespec="seconds"),
            "identity": {"id": int(req.user or 0), "first_name": "", "last_name": "", "email_address": ""},
            "accounts": [{"product": "bc3", "id": 0, "name": "Emulated", "href": self.account_href,
                          "app_href": self.account_href}],
        })
