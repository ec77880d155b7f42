"""An in-memory fake tool with full capabilities, for the planner's property tests and the contract."""

from __future__ import annotations

import httpx

from bridge import secrets
from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.errors import ConfigError
from connectors.memory.connector import CAPABILITIES, MemoryConnector
from connectors.memory.sandbox import MemorySandbox
from connectors.memory.world import Call, MemoryFault, MemoryWorld, world_named

DEFAULT_BASE_URL = "memory://default"

Emulator = MemoryWorld
Sandbox = MemorySandbox

__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "Call",
    "Emulator",
    "MemoryConnector",
    "MemoryFault",
    "MemoryWorld",
    "Sandbox",
    "build",
    "world_named",
]


def build(
    name: str, config: ConnectionConfig, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None
) -> MemoryConnector:
    """A connector into the world ``config.base_url`` names; the token picks the user (an unknown one is refused on use)."""
    base_url = config.base_url or DEFAULT_BASE_URL
    if not base_url.startswith("memory://") or not base_url[len("memory://") :]:
        raise ConfigError(f"connection {name!r}: a memory base_url looks like memory://<world name>, not {base_url!r}")
    token = config.token.get_secret_value() if config.token else None
    secrets.register(token)
    world = world_named(base_url[len("memory://") :].rstrip("/"))
    if world.clock is None and clock is not None:
        world.clock = clock
    return MemoryConnector(name, world, world.user_for_token(token))
