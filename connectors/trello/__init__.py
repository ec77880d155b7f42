"""Trello: boards, lists, cards, checklists, comments (``commentCard`` actions), links and uploaded files."""

from __future__ import annotations

import httpx

from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import with_file_limit
from connectors.trello.connector import CAPABILITIES, TrelloConnector
from connectors.trello.emulator.sandbox import SANDBOX_KEY, TrelloSandbox
from connectors.trello.emulator.server import TrelloEmulator
from connectors.trello.rest import DEFAULT_BASE_URL, make_client

Emulator = TrelloEmulator
Sandbox = TrelloSandbox


def build(name: str, config: ConnectionConfig, *, transport: httpx.BaseTransport | None = None,
          clock: Clock | None = None) -> TrelloConnector:
    http = make_client(config, transport=transport, clock=clock)
    connector = TrelloConnector(name, http, config.token.get_secret_value() if config.token else "",
                                key=config.key.get_secret_value() if config.key else "")
    connector.capabilities = with_file_limit(CAPABILITIES, config.max_file_mb)
    return connector


__all__ = ["CAPABILITIES", "DEFAULT_BASE_URL", "SANDBOX_KEY", "Emulator", "Sandbox", "TrelloConnector", "TrelloEmulator",
           "TrelloSandbox", "build"]
