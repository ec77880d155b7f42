"""Our own exception types: errors are sorted once, at the boundary.

Every message is written for a person: it names the cause and where to fix
it, and it never carries a credential (see :func:`bridge.secrets.redact`).
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error pm-bridge reports to a user."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.hint})" if self.hint else base


class ConfigError(BridgeError):
    """The configuration file is invalid; the message names file and key path."""


class NotConnected(ConfigError):
    """An ``auth: oauth`` or ``github_app`` connection has no stored credentials yet: ``pm-bridge connect`` gives them."""


class RemoteError(BridgeError):
    """A tool's API answered in a way we cannot proceed from."""

    def __init__(self, message: str, *, status: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


class AuthError(RemoteError):
    """401/403: the credential is missing, wrong, revoked or lacks access."""

    def __init__(self, message: str, *, status: int | None = None, hint: str = "", connection: str | None = None) -> None:
        super().__init__(message, status=status, hint=hint)
        self.connection = connection  # the configured connection refused, when known: alerts name it


class CredentialsRevoked(AuthError):
    """The token can no longer be refreshed (refresh token revoked, app uninstalled, Trello token expired).

    Nothing retries this: only a person can authorize again, with ``pm-bridge connect <connection>``.
    """


class NotFound(RemoteError):
    """404: the project (or an item) does not exist or is not visible to this token."""


class Invalid(RemoteError):
    """Another 4xx: the request was refused as invalid."""


class Transient(RemoteError):
    """5xx, timeouts, connection errors: worth retrying later."""


class RateLimited(Transient):
    """429 (or a secondary limit) that outlasted our patience."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class Malformed(RemoteError):
    """The response was not the JSON shape the API documents."""


class GuardTripped(BridgeError):
    """The mass-removal guard stopped a cycle; rerun with explicit confirmation."""
