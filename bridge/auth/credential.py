"""One connection's token set as the tool issued it, and when it is due for renewal."""

from __future__ import annotations

from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from bridge.config.connection import ConnectionConfig
from bridge.http.credentials import Placement

# Renew this long before the tool's expiry: a request that leaves just before the deadline must
# not arrive just after it, and a daemon's clock may lag the tool's by a little.
SKEW_SECONDS = 300.0


class Credential(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None  # epoch seconds; None: does not expire

    def due(self, now: float, skew: float = SKEW_SECONDS) -> bool:
        """True when the access token should be renewed before it is used."""
        if self.expires_at is None:
            return False
        return now >= self.expires_at - skew


class ToolAuth(Protocol):
    """What a tool's ``connectors/<tool>/auth.py`` provides: its documented authorization flow."""

    placement: Placement  # where the tool reads the token: a Bearer header, or Trello's token= parameter
    interactive: bool  # False: no browser step (GitHub App: the private key is the authorization)
    code_in_fragment: bool  # True: the token comes back in the URL fragment (Trello), not as ?code=
    skew: float  # renew this long before expiry (0: only once expired, for a tool that cannot renew)

    def authorize_url(self, connection: ConnectionConfig, redirect_uri: str, state: str) -> str: ...

    def exchange(self, connection: ConnectionConfig, code: str, redirect_uri: str, http: httpx.Client,
                 now: float) -> Credential: ...

    def renew(self, connection: ConnectionConfig, current: Credential, http: httpx.Client, now: float) -> Credential:
        """A new token set; raises CredentialsRevoked when the tool refuses (only a person can fix that)."""
