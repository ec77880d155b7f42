"""Basecamp 4: a project's to-do set; to-do lists, to-dos, their comments, link attachments and files."""

from __future__ import annotations

from typing import Any

import httpx

from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import with_file_limit
from connectors.basecamp.connector import CAPABILITIES, BasecampConnector
from connectors.basecamp.emulator.sandbox import BasecampSandbox
from connectors.basecamp.emulator.server import BasecampEmulator
from connectors.basecamp.mapping import load_mapping
from connectors.basecamp.rest import DEFAULT_BASE_URL, DEFAULT_USER_AGENT, make_client

Emulator = BasecampEmulator
Sandbox = BasecampSandbox


def build(name: str, config: ConnectionConfig, *, transport: httpx.BaseTransport | None = None,
          clock: Clock | None = None, mapping: dict[str, Any] | None = None) -> BasecampConnector:
    """A connector for one configured connection; ``mapping`` overrides keys of ``mappings/basecamp.yaml``."""
    connector = BasecampConnector(name, make_client(config, transport=transport, clock=clock), load_mapping(mapping))
    connector.capabilities = with_file_limit(CAPABILITIES, config.max_file_mb)
    return connector


__all__ = ["CAPABILITIES", "DEFAULT_BASE_URL", "DEFAULT_USER_AGENT", "BasecampConnector", "BasecampEmulator",
           "BasecampSandbox", "Emulator", "Sandbox", "build"]
