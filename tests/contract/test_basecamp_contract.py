"""The Basecamp connector, against its emulator, passes the shared connector contract.

Basecamp documents no single request that reveals every change to a project (to-dos,
comments and lists are three listings), so a *polled* quiet pull costs three conditional
requests, each answered 304 (``connectors/basecamp/incremental.py`` says why;
``tests/basecamp/test_basecamp_incremental.py`` pins that cost). The contract's one-read
quiet pull holds for a side its webhook leads (``Capabilities.change_hints``), which the
contract applies to every connector that reads hints.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from connectors.basecamp import BasecampConnector, Emulator, Sandbox, build
from connectors.basecamp.emulator.sandbox import SANDBOX_USER_AGENT
from connectors.emulation.sandbox import USERS

from .contract import SEEDED_SECTIONS, ConnectorContract, ContractEnv


class TestBasecampContract(ConnectorContract):
    @pytest.fixture
    def env(self) -> Iterator[ContractEnv]:
        clock = VirtualClock()
        sandbox = Sandbox(Emulator(clock=clock), clock=clock)
        project = sandbox.create_project("Website relaunch", list(SEEDED_SECTIONS))
        bridge = sandbox.connector("bridge")
        human = sandbox.connector("human")
        assert isinstance(bridge, BasecampConnector) and isinstance(human, BasecampConnector)
        bad_token = "tok-wrong-9999"
        config = ConnectionConfig(kind="basecamp", base_url=sandbox.emulator.base_url, token=SecretStr(bad_token),
                                  account_id="999999999", user_agent=SANDBOX_USER_AGENT)
        bad = build("basecamp-bad", config, transport=sandbox.emulator.transport(), clock=clock)
        yield ContractEnv(
            connector=bridge,
            human=human,
            project_id=project,
            stats=lambda: (bridge.stats.reads, bridge.stats.writes),
            bad_credentials=bad,
            missing_project_id="2999999999",
            human_user_id=sandbox.user_ids["human"],
            bad_token=bad_token,
            tokens=tuple(user.token for user in USERS.values()),
            task_page=r"https://3\.basecamp\.com/\d+/buckets/\d+/todos/{id}",
        )
        for connector in (bridge, human, bad):
            connector.close()
