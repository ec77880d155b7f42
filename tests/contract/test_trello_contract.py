"""The shared connector contract, run against the Trello connector on its emulator."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from connectors.emulation.sandbox import USERS
from connectors.trello import SANDBOX_KEY, TrelloConnector, TrelloEmulator, TrelloSandbox, build

from .contract import SEEDED_SECTIONS, ConnectorContract, ContractEnv

BAD_TOKEN = "tok-revoked-trello-0666"


class TestTrelloContract(ConnectorContract):
    @pytest.fixture
    def env(self) -> ContractEnv:
        clock = VirtualClock()  # shared by the emulator's rate limits and every client's budget and backoff
        sandbox = TrelloSandbox(TrelloEmulator(clock=clock), clock=clock)
        project = sandbox.create_project("Contract", list(SEEDED_SECTIONS))
        connector = sandbox.connector("bridge")
        assert isinstance(connector, TrelloConnector)
        bad = ConnectionConfig(kind="trello", base_url=sandbox.emulator.base_url, token=SecretStr(BAD_TOKEN),
                               key=SecretStr(SANDBOX_KEY))
        return ContractEnv(
            connector=connector,
            human=sandbox.connector("human"),
            project_id=project,
            stats=lambda: (connector.stats.reads, connector.stats.writes),
            bad_credentials=build("trello-bad", bad, transport=sandbox.emulator.transport(), clock=clock),
            missing_project_id="5abbe4b7ddc1b351ef961414",  # well-formed, on no board
            human_user_id=sandbox.user_ids["human"],
            bad_token=BAD_TOKEN,
            tokens=(SANDBOX_KEY, *(user.token for user in USERS.values())),
            task_page=r"https://trello\.com/c/[0-9A-Za-z]+",  # the shortUrl names the card's shortLink, not its id
            define_field=lambda name, kind, options: sandbox.add_custom_field(project, name, kind, options),
        )
