"""Fixtures: an Asana sandbox on a virtual clock, a seeded project, connectors for each sandbox user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.clock import VirtualClock
from connectors.asana import AsanaConnector, Emulator, Sandbox


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def sandbox(clock: VirtualClock) -> Sandbox:
    return Sandbox(Emulator(clock=clock), clock=clock)


@pytest.fixture
def emulator(sandbox: Sandbox) -> Emulator:
    return sandbox.emulator


@pytest.fixture
def project(sandbox: Sandbox) -> str:
    project_id = sandbox.create_project("Website relaunch", ["Backlog", "In progress", "Done"])
    sandbox.setup_access_field(project_id)
    return project_id


@pytest.fixture
def sections(sandbox: Sandbox, project: str) -> dict[str, str]:
    return sandbox.section_ids(project)


def _connector(sandbox: Sandbox, who: str) -> Iterator[AsanaConnector]:
    connector = sandbox.connector(who)  # type: ignore[arg-type]
    assert isinstance(connector, AsanaConnector)
    yield connector
    connector.close()


@pytest.fixture
def bridge(sandbox: Sandbox) -> Iterator[AsanaConnector]:
    """The connector pm-bridge itself uses."""
    yield from _connector(sandbox, "bridge")


@pytest.fixture
def anna(sandbox: Sandbox) -> Iterator[AsanaConnector]:
    """Another person editing the same project through the API."""
    yield from _connector(sandbox, "human")
