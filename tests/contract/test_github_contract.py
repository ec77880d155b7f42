"""The GitHub connector, against its emulator, passes the shared connector contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from connectors.emulation.sandbox import USERS
from connectors.github import Emulator, GithubConnector, Sandbox, build

from .contract import SEEDED_SECTIONS, ConnectorContract, ContractEnv

BAD_TOKEN = "tok-revoked-github-0666"


class TestGithubContract(ConnectorContract):
    @pytest.fixture
    def env(self) -> Iterator[ContractEnv]:
        clock = VirtualClock()  # shared by the emulator's limits and every client's budget and backoff
        sandbox = Sandbox(Emulator(clock=clock), clock=clock)
        project = sandbox.create_project("Contract", list(SEEDED_SECTIONS))
        bridge = sandbox.connector("bridge")
        human = sandbox.connector("human")
        assert isinstance(bridge, GithubConnector) and isinstance(human, GithubConnector)
        config = ConnectionConfig(kind="github", base_url=sandbox.emulator.base_url, token=SecretStr(BAD_TOKEN))
        bad = build("github-bad", config, transport=sandbox.emulator.transport(), clock=clock)
        yield ContractEnv(
            connector=bridge,
            human=human,
            project_id=project,
            stats=lambda: (bridge.stats.reads, bridge.stats.writes),
            bad_credentials=bad,
            missing_project_id="agency/no-such-repository",
            human_user_id=sandbox.user_ids["human"],
            bad_token=BAD_TOKEN,
            tokens=tuple(user.token for user in USERS.values()),
            task_page=r"https://github\.com/[^/]+/[^/]+/issues/{id}",
        )
        for connector in (bridge, human, bad):
            connector.close()
