"""Sealing credentials with the key the user keeps in the environment (Fernet, from ``cryptography``).

``PM_BRIDGE_SECRET_KEY`` holds one Fernet key, or several separated by commas while rotating: the
first seals, every one of them opens (docs/connect.md, "Rotating the key").
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from bridge import secrets
from bridge.errors import ConfigError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

KEY_VARIABLE = "PM_BRIDGE_SECRET_KEY"
_MAKE_ONE = "create one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class Sealer:
    def __init__(self, keys: str) -> None:
        # Imported here: only links with stored credentials need it, and it costs a daemon 6 MB of RSS
        # (docs/benchmarks.md, "The daemon").
        from cryptography.fernet import Fernet, MultiFernet

        try:
            self._fernet: MultiFernet = MultiFernet([Fernet(part.strip().encode()) for part in keys.split(",") if part.strip()])
        except (ValueError, TypeError):
            raise ConfigError(f"{KEY_VARIABLE} is not a Fernet key (32 url-safe base64-encoded bytes)", hint=_MAKE_ONE) from None

    @classmethod
    def from_environment(cls) -> Sealer:
        keys = os.environ.get(KEY_VARIABLE, "").strip()
        if not keys:
            raise ConfigError(f"{KEY_VARIABLE} is not set: stored tokens are encrypted with it",
                              hint=f"set it in the environment or .env; {_MAKE_ONE}")
        for part in keys.split(","):
            secrets.register(part.strip())
        return cls(keys)

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str, connection: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise unopened(connection) from None

    def reseal(self, sealed: str, connection: str) -> str:
        """``sealed`` opened with any of the keys and sealed again with the first (``pm-bridge credentials rekey``)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise unopened(connection) from None


def unopened(connection: str) -> ConfigError:
    return ConfigError(
        f"the stored credentials of connection {connection!r} cannot be decrypted with {KEY_VARIABLE}",
        hint=f"set the key they were saved with (several, comma-separated, while rotating), "
             f"or run `pm-bridge connect {connection}` again",
    )
