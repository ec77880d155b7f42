"""Builds a connector from a :class:`ConnectionConfig`; the one place that knows all tools."""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import Any

import httpx

from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import Connector
from bridge.errors import ConfigError

# kind -> module exposing build(name, config, transport=None, clock=None) -> Connector
# and Emulator (the tool's emulator class).
MODULES = {
    "asana": "connectors.asana",
    "trello": "connectors.trello",
    "github": "connectors.github",
    "basecamp": "connectors.basecamp",
    "memory": "connectors.memory",
    "email": "connectors.email",
}


def tool_module(kind: str) -> Any:
    """The tool's package; a package without a connector yet counts as unavailable."""
    try:
        module = importlib.import_module(MODULES[kind])
    except (KeyError, ModuleNotFoundError):
        raise ConfigError(f"connector kind {kind!r} is not available", hint=f"use one of: {', '.join(MODULES)}") from None
    if not callable(getattr(module, "build", None)):
        raise ConfigError(f"the {kind} connector is not available in this version", hint=f"use one of: {', '.join(MODULES)}")
    return module


def tool_auth(kind: str) -> Any:
    """The tool's ``auth.AUTH``: its documented authorization flow (bridge.auth.credential.ToolAuth)."""
    try:
        return importlib.import_module(f"{MODULES[kind]}.auth").AUTH
    except (KeyError, ModuleNotFoundError):
        raise ConfigError(f"{kind} has no authorization flow", hint="use auth: token for this connection") from None


def webhook_module(kind: str) -> ModuleType | None:
    """The tool's ``webhooks`` module with a ``receive`` function and a ``SECRET_SOURCE``, or None when it takes none."""
    try:
        module = importlib.import_module(f"{MODULES[kind]}.webhooks")
    except (KeyError, ModuleNotFoundError):
        return None
    return module if callable(getattr(module, "receive", None)) and hasattr(module, "SECRET_SOURCE") else None


def build(
    name: str,
    config: ConnectionConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    state: str | None = None,
) -> Connector:
    """One connection's connector; the connection's ``mapping`` overrides the tool's preset in ``mappings/``.

    ``state`` (the config's state database URL) goes to the tools that keep their project there (email).
    """
    module = tool_module(config.kind)
    extra: dict[str, Any] = {}
    if config.mapping:
        if "mapping" not in inspect.signature(module.build).parameters:
            raise ConfigError(
                f"connection {name!r}: {config.kind} has no mapping to override",
                hint=f"remove connections.{name}.mapping (only github and basecamp take one)",
            )
        extra["mapping"] = dict(config.mapping)
    if state is not None and "state" in inspect.signature(module.build).parameters:
        extra["state"] = state
    connector: Connector = module.build(name, config, transport=transport, clock=clock, **extra)
    return connector

