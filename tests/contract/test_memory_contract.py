"""The in-memory fake passes the same contract as every real tool's connector."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from connectors.emulation.sandbox import USERS
from connectors.memory import MemoryConnector, MemorySandbox, build

from .contract import SEEDED_SECTIONS, ConnectorContract, ContractEnv


class TestMemoryContract(ConnectorContract):
    @pytest.fixture
    def env(self) -> ContractEnv:
        sandbox = MemorySandbox(clock=VirtualClock())
        project = sandbox.create_project("Website relaunch", list(SEEDED_SECTIONS))
        bridge = sandbox.connector("bridge")
        assert isinstance(bridge, MemoryConnector)
        bad_token = "tok-wrong-9999"
        bad = build("memory-bad", ConnectionConfig(kind="memory", base_url=sandbox.world.base_url, token=SecretStr(bad_token)))
        return ContractEnv(
            connector=bridge,
            human=sandbox.connector("human"),
            project_id=project,
            stats=lambda: (bridge.stats.reads, bridge.stats.writes),
            bad_credentials=bad,
            missing_project_id="999999",
            human_user_id=sandbox.user_ids["human"],
            bad_token=bad_token,
            tokens=tuple(user.token for user in USERS.values()),
            task_page=r"memory://[^/]+/\d+/{id}",
            subtask_pages=True,
        )
