"""Fixtures: a Basecamp sandbox on a virtual clock, a seeded project, connectors and a raw API client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bridge.clock import VirtualClock
from connectors.basecamp import BasecampConnector, BasecampEmulator, BasecampSandbox
from connectors.basecamp.emulator.sandbox import SANDBOX_USER_AGENT
from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.sandbox import USERS

SECTIONS = ["To do", "Doing", "Done"]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emulator(clock: VirtualClock) -> BasecampEmulator:
    return BasecampEmulator(clock=clock)


@pytest.fixture
def sandbox(emulator: BasecampEmulator, clock: VirtualClock) -> BasecampSandbox:
    return BasecampSandbox(emulator, clock=clock)


@pytest.fixture
def project(sandbox: BasecampSandbox) -> str:
    return sandbox.create_project("Website relaunch", SECTIONS)


def _connector(sandbox: BasecampSandbox, who: str) -> Iterator[BasecampConnector]:
    connector = sandbox.connector(who)  # type: ignore[arg-type]
    assert isinstance(connector, BasecampConnector)
    yield connector
    connector.close()


@pytest.fixture
def bot(sandbox: BasecampSandbox) -> Iterator[BasecampConnector]:
    """The connector pm-bridge itself uses."""
    yield from _connector(sandbox, "bridge")


@pytest.fixture
def anna(sandbox: BasecampSandbox) -> Iterator[BasecampConnector]:
    """Another person editing the same project through the API."""
    yield from _connector(sandbox, "human")


class Raw:
    """Direct calls to the emulator, as any Basecamp client would make them."""

    def __init__(self, emulator: BasecampEmulator, token: str) -> None:
        self.emulator = emulator
        self.http = httpx.Client(
            base_url=f"{emulator.base_url}/{ACCOUNT_ID}/",
            transport=emulator.transport(),
            headers={"Authorization": f"Bearer {token}", "User-Agent": SANDBOX_USER_AGENT},
        )

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path.lstrip("/"), **kwargs)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def project(self, project_id: str) -> dict[str, Any]:
        return dict(self.json("GET", f"projects/{project_id}.json"))

    def todoset_id(self, project_id: str) -> int:
        return next(int(t["id"]) for t in self.project(project_id)["dock"] if t["name"] == "todoset")

    def lists(self, project_id: str) -> list[dict[str, Any]]:
        return list(self.json("GET", f"todosets/{self.todoset_id(project_id)}/todolists.json"))


@pytest.fixture
def raw(emulator: BasecampEmulator, sandbox: BasecampSandbox) -> Iterator[Raw]:
    client = Raw(emulator, USERS["bridge"].token)
    yield client
    client.http.close()
