"""Expiring access tokens and refresh tokens, the way each tool documents them (docs/connect.md).

One :class:`TokenIssuer` per emulator: it registers OAuth apps, hands out authorization codes,
trades them for an access token (expiring after ``access_ttl`` seconds on the emulator's clock)
and a refresh token, renews on ``grant_type=refresh_token`` (rotating the refresh token where the
tool does), and revokes. Tests move the emulator's clock past expiry and watch a link keep working.
Each tool mounts the endpoints at its own documented paths (``connectors/<tool>/emulator/oauth.py``)
through :meth:`connectors.emulation.toolkit.Emulator.serve_public`.
"""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from bridge.clock import Clock


class FormRequest(Protocol):  # connectors.emulation.toolkit.EmuRequest, named here without importing it back
    def arg(self, name: str, default: str | None = None) -> str | None: ...

    def form(self) -> dict[str, list[str]]: ...


class Mountable(Protocol):  # connectors.emulation.toolkit.Emulator
    oauth: TokenIssuer | None

    def add_public_route(self, method: str, pattern: str, handler: Callable[[Any], httpx.Response]) -> None: ...


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()  # empty: any 127.0.0.1 address (an emulator is for local tests)


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    user: str
    expires: float


@dataclass
class _Refresh:
    client_id: str
    user: str
    revoked: bool = False


@dataclass
class TokenIssuer:
    clock: Clock
    access_ttl: float
    rotate: bool = False  # a refresh answers with a new refresh token and spends the old one
    code_ttl: float = 600.0
    prefix: str = "emu"
    apps: dict[str, OAuthApp] = field(default_factory=dict)
    user: str | None = None  # who "clicks Allow" on the authorize page
    codes: dict[str, _Code] = field(default_factory=dict)
    access: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (user, expires on the clock)
    refresh: dict[str, _Refresh] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: {"authorization_code": 0, "refresh_token": 0})
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        # Absolute times (GitHub's expires_at) in epoch seconds that move with the emulator's clock.
        self._epoch_offset = time.time() - self.clock.now()

    def epoch(self) -> float:
        return self.clock.now() + self._epoch_offset

    # -- setup, for tests ----------------------------------------------------

    def register(self, client_id: str, client_secret: str, *redirect_uris: str) -> OAuthApp:
        app = OAuthApp(client_id, client_secret, tuple(redirect_uris))
        with self.lock:
            self.apps[client_id] = app
        return app

    def issue(self, user: str, ttl: float | None = None) -> str:
        """An access token for ``user`` that expires after ``ttl`` (the tool's lifetime by default)."""
        token = f"{self.prefix}-at-{secrets.token_urlsafe(12)}"
        with self.lock:
            self.access[token] = (user, self.clock.now() + (self.access_ttl if ttl is None else ttl))
        return token

    def revoke_refresh_tokens(self, user: str | None = None) -> int:
        """Revoke every refresh token (of ``user``): the next refresh is refused with ``invalid_grant``."""
        with self.lock:
            hit = [r for r in self.refresh.values() if user is None or r.user == user]
            for grant in hit:
                grant.revoked = True
            return len(hit)

    def revoke(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """``POST`` to a revocation endpoint (RFC 7009): a refresh token is revoked, an access token dropped."""
        token = form.get("token", "")
        with self.lock:
            app = self.apps.get(form.get("client_id", ""))
            if app is None or not secrets.compare_digest(app.client_secret, form.get("client_secret", "")):
                return 401, {"error": "invalid_client"}
            if token in self.refresh:
                self.refresh[token].revoked = True
            self.access.pop(token, None)
        return 200, {}

    # -- the endpoints -------------------------------------------------------

    def user_for(self, token: str) -> str | None:
        with self.lock:
            held = self.access.get(token)
        if held is None or self.clock.now() >= held[1]:
            return None
        return held[0]

    def authorize(self, client_id: str | None, redirect_uri: str | None, state: str | None) -> tuple[int, str]:
        """The user approves at once: (302, where the browser goes next) or (400, why not)."""
        with self.lock:
            app = self.apps.get(client_id or "")
            user = self.user
        if app is None or user is None:
            return 400, "invalid_client"
        if not redirect_uri or not self._redirect_allowed(app, redirect_uri):
            return 400, "invalid redirect_uri"
        code = secrets.token_urlsafe(12)
        with self.lock:
            self.codes[code] = _Code(app.client_id, redirect_uri, user, self.clock.now() + self.code_ttl)
        params = {"code": code, **({"state": state} if state is not None else {})}
        return 302, f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urllib.parse.urlencode(params)}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """``POST`` to the token endpoint: (status, JSON body) as RFC 6749 sections 5.1 and 5.2 describe."""
        grant = form.get("grant_type", "")
        with self.lock:
            app = self.apps.get(form.get("client_id", ""))
            if app is None or not secrets.compare_digest(app.client_secret, form.get("client_secret", "")):
                return 401, {"error": "invalid_client", "error_description": "unknown client or wrong secret"}
            if grant == "authorization_code":
                self.calls[grant] += 1
                code = self.codes.pop(form.get("code", ""), None)
                if code is None or code.client_id != app.client_id or self.clock.now() >= code.expires:
                    return 400, {"error": "invalid_grant", "error_description": "the code is invalid or expired"}
                if code.redirect_uri != form.get("redirect_uri"):
                    return 400, {"error": "invalid_grant", "error_description": "redirect_uri does not match"}
                refresh = self._new_refresh(app.client_id, code.user)
                return 200, self._answer(code.user, refresh)
            if grant == "refresh_token":
                self.calls[grant] += 1
                presented = form.get("refresh_token", "")
                held = self.refresh.get(presented)
                if held is None or held.revoked or held.client_id != app.client_id:
                    return 400, {"error": "invalid_grant", "error_description": "the refresh token is invalid or revoked"}
                if self.rotate:
                    held.revoked = True
                    presented = self._new_refresh(app.client_id, held.user)
                return 200, self._answer(held.user, presented)
        return 400, {"error": "unsupported_grant_type"}

    # -- inner workings ------------------------------------------------------

    def _new_refresh(self, client_id: str, user: str) -> str:
        token = f"{self.prefix}-rt-{secrets.token_urlsafe(12)}"
        self.refresh[token] = _Refresh(client_id, user)
        return token

    def _answer(self, user: str, refresh: str) -> dict[str, Any]:
        access = f"{self.prefix}-at-{secrets.token_urlsafe(12)}"
        self.access[access] = (user, self.clock.now() + self.access_ttl)
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(self.access_ttl),
                "refresh_token": refresh}

    @staticmethod
    def _redirect_allowed(app: OAuthApp, redirect_uri: str) -> bool:
        if app.redirect_uris:
            return redirect_uri in app.redirect_uris
        return urllib.parse.urlsplit(redirect_uri).hostname in ("127.0.0.1", "localhost")


def mount_code_grant(emulator: Mountable, issuer: TokenIssuer, authorize_path: str, token_path: str,
                     revoke_path: str | None = None) -> None:
    """The authorization-code grant's two endpoints on ``emulator``, answered before its own auth check."""

    def authorize(req: FormRequest) -> httpx.Response:
        status, where = issuer.authorize(req.arg("client_id"), req.arg("redirect_uri"), req.arg("state"))
        if status != 302:
            return httpx.Response(status, text=where)
        return httpx.Response(302, headers={"location": where})

    def token(req: FormRequest) -> httpx.Response:
        form = {name: values[-1] for name, values in req.form().items()}
        status, body = issuer.token(form)
        return httpx.Response(status, json=body, headers={"cache-control": "no-store"})

    def revoke(req: FormRequest) -> httpx.Response:
        status, body = issuer.revoke({name: values[-1] for name, values in req.form().items()})
        return httpx.Response(status, json=body)

    emulator.oauth = issuer
    emulator.add_public_route("GET", authorize_path, authorize)
    emulator.add_public_route("POST", token_path, token)
    if revoke_path:
        emulator.add_public_route("POST", revoke_path, revoke)
