"""Trello: boards, lists, cards, checklists, comments (``commentCard`` actions) and link attachments."""

from __future__ import annotations

import httpx

from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from connectors.trello.connector import CAPABILITIES, TrelloConnector
from connectors.trello.emulator.sandbox import SANDBOX_KEY, TrelloSandbox
from connectors.trello.emulator.server import TrelloEmulator
from connectors.trello.rest import DEFAULT_BASE_URL, make_client

Emulator = TrelloEmulator
Sandbox = TrelloSandbox


def build(name: str, config: ConnectionConfig, *, transport: httpx.BaseTransport | None = None,
          clock: Clock | None = None) -> TrelloConnector:
    http = make_client(config, transport=transport, clock=clock)
    return TrelloConnector(name, http, config.token.get_secret_value() if config.token else "")


__all__ = ["CAPABILITIES", "DEFAULT_BASE_URL", "SANDBOX_KEY", "Emulator", "Sandbox", "TrelloConnector", "TrelloEmulator",
           "TrelloSandbox", "build"]
