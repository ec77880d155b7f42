"""A GitHub sandbox on a virtual clock, and connectors into it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bridge.clock import VirtualClock
from connectors.github import GithubConnector, GithubEmulator, GithubSandbox

SECTIONS = ["To do", "Doing", "Done"]


@dataclass
class World:
    clock: VirtualClock
    emulator: GithubEmulator
    sandbox: GithubSandbox
    project: str
    bridge: GithubConnector
    human: GithubConnector

    def requests(self) -> list[tuple[str, str, int]]:
        return [(r.method, r.path, r.status) for r in self.emulator.requests]


@pytest.fixture
def world() -> Iterator[World]:
    clock = VirtualClock()
    emulator = GithubEmulator(clock=clock)
    sandbox = GithubSandbox(emulator, clock=clock)
    project = sandbox.create_project("Website relaunch", SECTIONS)
    bridge, human = sandbox.connector("bridge"), sandbox.connector("human")
    assert isinstance(bridge, GithubConnector) and isinstance(human, GithubConnector)
    yield World(clock, emulator, sandbox, project, bridge, human)
    bridge.close()
    human.close()
