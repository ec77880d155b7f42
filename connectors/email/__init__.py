"""A client who reads and answers by email: digests, approval requests, replies (docs/email.md)."""

from __future__ import annotations

import httpx

from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.errors import ConfigError
from connectors.email.connector import CAPABILITIES, EmailConnector

__all__ = ["CAPABILITIES", "EmailConnector", "build"]


def build(
    name: str,
    config: ConnectionConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    state: str | None = None,
) -> EmailConnector:
    """The connection's connector; ``state`` is the config's state database, where the client's view is kept."""
    if config.email is None:
        raise ConfigError(f"connection {name!r} is kind: email but has no email: block",
                          hint=f"add connections.{name}.email (addresses, from_address, reply_domain, signing_key, smtp)")
    if len(config.email.signing_key.get_secret_value()) < 16:
        raise ConfigError(f"connection {name!r}: email.signing_key is empty or shorter than 16 characters",
                          hint='set it to a long random value, e.g. python -c "import secrets; print(secrets.token_hex(32))"')
    return EmailConnector(name, config.email, state)
