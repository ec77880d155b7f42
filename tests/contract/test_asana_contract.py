"""The Asana connector, against its emulator, passes the shared connector contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from connectors.asana import AsanaConnector, Emulator, Sandbox, build
from connectors.emulation.sandbox import USERS

from .contract import SEEDED_SECTIONS, ConnectorContract, ContractEnv


class TestAsanaContract(ConnectorContract):
    @pytest.fixture
    def env(self) -> Iterator[ContractEnv]:
        clock = VirtualClock()
        sandbox = Sandbox(Emulator(clock=clock), clock=clock)
        project = sandbox.create_project("Website relaunch", list(SEEDED_SECTIONS))
        sandbox.setup_access_field(project)
        bridge = sandbox.connector("bridge")
        human = sandbox.connector("human")
        assert isinstance(bridge, AsanaConnector) and isinstance(human, AsanaConnector)
        bad_token = "tok-wrong-9999"
        config = ConnectionConfig(kind="asana", base_url=sandbox.emulator.base_url, token=SecretStr(bad_token))
        bad = build("asana-bad", config, transport=sandbox.emulator.transport(), clock=clock)
        yield ContractEnv(
            connector=bridge,
            human=human,
            project_id=project,
            stats=lambda: (bridge.client.stats.reads, bridge.client.stats.writes),
            bad_credentials=bad,
            missing_project_id="1299999999999999",
            human_user_id=sandbox.user_ids["human"],
            bad_token=bad_token,
            tokens=tuple(user.token for user in USERS.values()),
            task_page=r"https://app\.asana\.com/\S+/{id}",
            subtask_pages=True,
            define_field=lambda name, kind, options: sandbox.add_custom_field(project, name, kind, options),
        )
        for connector in (bridge, human, bad):
            connector.close()
