"""Fixtures: one Trello emulator on a VirtualClock shared with every client, a sandbox board, connectors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bridge.clock import VirtualClock
from connectors.emulation.sandbox import USERS
from connectors.trello import SANDBOX_KEY, TrelloConnector, TrelloEmulator, TrelloSandbox

SECTIONS = ["To do", "Doing", "Done"]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emulator(clock: VirtualClock) -> TrelloEmulator:
    return TrelloEmulator(clock=clock)


@pytest.fixture
def sandbox(emulator: TrelloEmulator, clock: VirtualClock) -> TrelloSandbox:
    return TrelloSandbox(emulator, clock=clock)


@pytest.fixture
def board(sandbox: TrelloSandbox) -> str:
    return sandbox.create_project("Client site", SECTIONS)


@pytest.fixture
def bridge(sandbox: TrelloSandbox) -> Iterator[TrelloConnector]:
    connector = sandbox.connector("bridge")
    assert isinstance(connector, TrelloConnector)
    yield connector
    connector.close()


@pytest.fixture
def human(sandbox: TrelloSandbox) -> Iterator[TrelloConnector]:
    connector = sandbox.connector("human")
    assert isinstance(connector, TrelloConnector)
    yield connector
    connector.close()


@pytest.fixture
def raw(emulator: TrelloEmulator, sandbox: TrelloSandbox) -> Iterator[httpx.Client]:
    """A plain client on the emulator, authenticated as Anna, for checking payloads and errors directly."""
    client = httpx.Client(base_url="https://trello.emulator.invalid/1", transport=emulator.transport(),
                          params={"key": SANDBOX_KEY, "token": USERS["human"].token})
    yield client
    client.close()
