"""The current token of one connection, for the HTTP layer (:class:`bridge.http.credentials.TokenProvider`).

Renewed before it expires (:data:`bridge.auth.credential.SKEW_SECONDS` ahead), and once more when
the tool answers 401 anyway (revoked early, clocks apart), but not again for a renewed token the
tool refused too (access lost, not the token: :meth:`RenewingToken.refused`). Every renewal goes through the
:class:`~bridge.auth.vault.Vault`, so daemons sharing a store renew once between them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bridge.auth.credential import SKEW_SECONDS, Credential
from bridge.auth.vault import Held, Vault
from bridge.errors import AuthError


class RenewingToken:
    def __init__(self, connection: str, vault: Vault, renew: Callable[[Credential], Credential],
                 epoch: Callable[[], float], skew: float = SKEW_SECONDS) -> None:
        self.connection = connection
        self.vault = vault
        self._renew = renew
        self._epoch = epoch
        self.skew = skew
        self._held: Held | None = None
        self._lock = threading.Lock()
        self._refused: str | None = None  # the latest freshly renewed token the tool refused all the same

    def refused(self, fresh: str) -> AuthError:
        """The tool refused ``fresh`` right after renewing it: access was lost, the token is fine."""
        with self._lock:
            self._refused = fresh  # only the latest: a token renewed later (at expiry) is tried afresh
        return self._lost_access()

    def _lost_access(self) -> AuthError:
        return AuthError(
            f"connection {self.connection!r}: the tool refuses even a freshly renewed token (401), so the account "
            "pm-bridge acts as has likely lost access (removed from the project or workspace, or deactivated)",
            status=401,
            connection=self.connection,
            hint=f"give that account access again, or run `pm-bridge connect {self.connection}` as an account that "
                 "has it; `pm-bridge check` shows which project is refused",
        )

    def token(self) -> str:
        with self._lock:
            held = self._held
            if held is None or held.credential.due(self._epoch(), self.skew):
                held = self.vault.load(self.connection)  # another daemon may have renewed it already
                if held.credential.due(self._epoch(), self.skew):
                    held = self.vault.renew(self.connection, held.version, self._renew)
            self._held = held
            return held.credential.access_token

    def refreshed(self, stale: str) -> str:
        with self._lock:
            if self._held is not None and self._held.credential.access_token != stale:
                return self._held.credential.access_token  # a request in another thread renewed it
            if stale == self._refused:
                raise self._lost_access()  # renewing already gave this token and it was refused: no more refreshes
            held = self.vault.load(self.connection)
            if held.credential.access_token == stale:
                held = self.vault.renew(self.connection, held.version, self._renew)
            self._held = held
            return held.credential.access_token
