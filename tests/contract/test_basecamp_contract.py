"""The Basecamp connector, against its emulator, passes the shared connector contract.

One known exception: Basecamp documents no change feed covering every change
to a project (the project timeline lists creations and completions, not edits,
moves or renames), so a quiet incremental pull asks three listings with their
ETags (to-dos, the to-do set, comments) and each answers 304 — three
conditional requests, not one (``connectors/basecamp/incremental.py`` says why).
``tests/basecamp/test_basecamp_incremental.py`` pins that cost (and the
one-request setting ``poll_comments: false, poll_sections: false``).
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

    @pytest.mark.xfail(strict=True, reason="Basecamp: a quiet cycle is 3 conditional GETs answered 304 "
                       "(to-dos, to-do set, comments); no documented single request covers a project's changes")
    def test_incremental_pull_without_changes_costs_one_read(self, env: ContractEnv) -> None:
        super().test_incremental_pull_without_changes_costs_one_read(env)
