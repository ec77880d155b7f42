"""Trello's authorize page on the emulator (docs/connect.md).

``GET /1/authorize?key=...&name=...&scope=read,write&expiration=1hour|1day|30days|never&response_type=token``:
the user approves and Trello sends the browser to ``return_url`` with ``#token=...`` in the fragment,
or, without a ``return_url``, shows the token on the page to copy. Trello has no refresh token: a
token that expired or was revoked answers 401 "invalid token" until the user authorizes again.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import httpx

from connectors.emulation.oauth import TokenIssuer
from connectors.emulation.toolkit import EmuRequest

LIFETIMES = {"1hour": 3600.0, "1day": 86400.0, "30days": 30 * 86400.0, "never": 100 * 365 * 86400.0}


def enable_authorize(emulator: Any, member: str, *, lifetimes: Mapping[str, float] | None = None) -> TokenIssuer:
    """Turn on ``/1/authorize`` for ``emulator`` (a TrelloEmulator); ``member`` (a member id) approves.

    ``lifetimes`` shortens some expirations (``pm-bridge emulate --oauth``: ``1hour`` lasting minutes).
    """
    lasting = {**LIFETIMES, **(lifetimes or {})}
    issuer = TokenIssuer(emulator.clock, access_ttl=lasting["30days"], prefix="trello", user=member)

    def authorize(req: EmuRequest) -> httpx.Response:
        key, expiration = req.arg("key"), req.arg("expiration", "30days") or "30days"
        if not key or key not in emulator.world.keys:
            return httpx.Response(400, text="invalid key")
        if expiration not in lasting or req.arg("response_type", "token") != "token":
            return httpx.Response(400, text="invalid expiration or response_type")
        if not set((req.arg("scope") or "read").split(",")) <= {"read", "write", "account"}:
            return httpx.Response(400, text="invalid scope")
        token = issuer.issue(member, lasting[expiration])
        back = req.arg("return_url")
        if back:
            return httpx.Response(302, headers={"location": f"{back}#token={token}"})
        page = f"<html><body><p>You have granted access. Your token is:</p><pre>{html.escape(token)}</pre></body></html>"
        return httpx.Response(200, text=page, headers={"content-type": "text/html"})

    emulator.oauth = issuer
    emulator.add_public_route("GET", "/authorize", authorize)
    return issuer
