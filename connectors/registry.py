"""Builds a connector from a :class:`ConnectionConfig`; the one place that knows all tools."""

from __future__ import annotations

import importlib
from typing import Any

import httpx

from bridge.clock import Clock
from bridge.connection import ConnectionConfig
from bridge.errors import ConfigError
from connectors.base import Connector

# kind -> module exposing build(name, config, transport=None, clock=None) -> Connector
# and Emulator (the tool's emulator class).
MODULES = {
    "asana": "connectors.asana",
    "trello": "connectors.trello",
    "github": "connectors.github",
    "basecamp": "connectors.basecamp",
    "memory": "connectors.memory",
}


def tool_module(kind: str) -> Any:
    try:
        return importlib.import_module(MODULES[kind])
    except (KeyError, ModuleNotFoundError):
        raise ConfigError(f"connector kind {kind!r} is not available", hint=f"use one of: {', '.join(MODULES)}") from None


def build(
    name: str,
    config: ConnectionConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> Connector:
    connector: Connector = tool_module(config.kind).build(name, config, transport=transport, clock=clock)
    return connector
