"""GitHub: one repository's issues as a project (REST API, version 2022-11-28)."""

from __future__ import annotations

from typing import Any

import httpx

from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from connectors.github.connector import CAPABILITIES, DEFAULT_BASE_URL, GithubConnector
from connectors.github.emulator.sandbox import GithubSandbox
from connectors.github.emulator.server import GithubEmulator
from connectors.github.mapping import GithubMapping, load_mapping
from connectors.github.webhooks import parse_delivery, verify_signature

Emulator = GithubEmulator
Sandbox = GithubSandbox


def build(
    name: str,
    config: ConnectionConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    mapping: GithubMapping | dict[str, Any] | None = None,
) -> GithubConnector:
    """``mapping`` is a parsed mapping or overrides of ``mappings/github.yaml`` (from the connection's config)."""
    if isinstance(mapping, dict):
        mapping = load_mapping(mapping)
    return GithubConnector(name, config, transport=transport, clock=clock, mapping=mapping)


__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "Emulator",
    "GithubConnector",
    "GithubEmulator",
    "GithubMapping",
    "GithubSandbox",
    "Sandbox",
    "build",
    "load_mapping",
    "parse_delivery",
    "verify_signature",
]
