"""GitHub App installation tokens on the emulator (docs/connect.md).

``POST /app/installations/{installation_id}/access_tokens`` with ``Authorization: Bearer <JWT>``:
the JWT is signed RS256 with the app's private key, names the app in ``iss`` and may live at most
ten minutes. The answer is ``201`` with a ``token`` that expires an hour later (``expires_at``).
Uninstalling the app (:meth:`GitHubApps.uninstall`) makes minting answer 404, as GitHub does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from connectors.emulation.oauth import TokenIssuer
from connectors.emulation.toolkit import EmuRequest, json_response

TOKEN_TTL = 3600.0
JWT_LONGEST = 600.0


@dataclass
class GitHubApps:
    issuer: TokenIssuer
    keys: dict[str, str] = field(default_factory=dict)  # app id -> public key (PEM)
    installations: dict[str, tuple[str, str]] = field(default_factory=dict)  # installation id -> (app id, bot login)
    minted: int = 0
    token_ttl: float = TOKEN_TTL

    def uninstall(self, installation_id: str) -> None:
        self.installations.pop(installation_id, None)

    def mint(self, req: EmuRequest) -> httpx.Response:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        installation = self.installations.get(req.path_params["installation_id"])
        if scheme.lower() != "bearer" or installation is None:
            return _error(404 if installation is None else 401, "Not Found" if installation is None else "Bad credentials")
        app_id, login = installation
        try:
            claims = jwt.decode(token, self.keys[app_id], algorithms=["RS256"],
                                options={"verify_exp": False, "verify_iat": False, "require": ["iat", "exp", "iss"]})
        except (jwt.PyJWTError, KeyError):
            return _error(401, "A JSON web token could not be decoded")
        if str(claims["iss"]) != app_id or float(claims["exp"]) - float(claims["iat"]) > JWT_LONGEST + 60:
            return _error(401, "'Expiration time' claim ('exp') is too far in the future")
        self.minted += 1
        minted = self.issuer.issue(login, self.token_ttl)
        expires = dt.datetime.fromtimestamp(self.issuer.epoch() + self.token_ttl, dt.UTC)
        body: dict[str, Any] = {"token": minted, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "permissions": {"issues": "write", "metadata": "read"}, "repository_selection": "all"}
        return json_response(201, body)


def enable_app(emulator: Any, app_id: str, public_key_pem: str, installation_id: str, login: str, *,
               token_ttl: float = TOKEN_TTL) -> GitHubApps:
    """Register an app and its installation on ``emulator`` (a GitHubEmulator); its bot acts as ``login``."""
    issuer = TokenIssuer(emulator.clock, access_ttl=token_ttl, prefix="ghs")
    apps = GitHubApps(issuer, {app_id: public_key_pem}, {installation_id: (app_id, login)}, token_ttl=token_ttl)
    emulator.oauth = issuer
    emulator.add_public_route("POST", "/app/installations/{installation_id}/access_tokens", apps.mint)
    return apps


def _error(status: int, message: str) -> httpx.Response:
    return json_response(status, {"message": message, "documentation_url": "https://docs.github.com/rest"})
