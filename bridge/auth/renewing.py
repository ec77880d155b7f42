"""The current token of one connection, for the HTTP layer (:class:`bridge.http.credentials.TokenProvider`).

Renewed before it expires (:data:`bridge.auth.credential.SKEW_SECONDS` ahead), and once more when
the tool answers 401 anyway (revoked early, clocks apart). Every renewal goes through the
:class:`~bridge.auth.vault.Vault`, so daemons sharing a store renew once between them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bridge.auth.credential import SKEW_SECONDS, Credential
from bridge.auth.vault import Held, Vault


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
            held = self.vault.load(self.connection)
            if held.credential.access_token == stale:
                held = self.vault.renew(self.connection, held.version, self._renew)
            self._held = held
            return held.credential.access_token
