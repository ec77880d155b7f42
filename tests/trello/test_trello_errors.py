"""Errors sorted at the boundary: 401, 404, malformed answers, 429 storms, missing credentials."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import NewTask
from bridge.errors import AuthError, ConfigError, Malformed, NotFound
from connectors.emulation import Fault
from connectors.emulation.sandbox import USERS
from connectors.trello import SANDBOX_KEY, TrelloConnector, TrelloEmulator, TrelloSandbox, build


def _connector(sandbox: TrelloSandbox, clock: VirtualClock, *, token: str, key: str = SANDBOX_KEY) -> TrelloConnector:
    config = ConnectionConfig(kind="trello", base_url=sandbox.emulator.base_url, token=SecretStr(token), key=SecretStr(key))
    return build("trello-test", config, transport=sandbox.emulator.transport(), clock=clock)


def test_wrong_token_is_an_auth_error_without_secrets(sandbox: TrelloSandbox, clock: VirtualClock, board: str) -> None:
    wrong = _connector(sandbox, clock, token="tok-wrong-9999")
    with pytest.raises(AuthError) as raised:
        wrong.pull(board)
    message = str(raised.value)
    assert "invalid token" in message and "tok-wrong-9999" not in message and SANDBOX_KEY not in message
    with pytest.raises(AuthError) as checked:
        wrong.check(board)
    assert "tok-wrong-9999" not in str(checked.value)


def test_wrong_key_is_an_auth_error_without_secrets(sandbox: TrelloSandbox, clock: VirtualClock, board: str) -> None:
    wrong = _connector(sandbox, clock, token=USERS["bridge"].token, key="key-wrong-9999")
    with pytest.raises(AuthError) as raised:
        wrong.pull(board)
    assert "invalid key" in str(raised.value)
    assert "key-wrong-9999" not in str(raised.value) and USERS["bridge"].token not in str(raised.value)


def test_revoked_token_mid_pull(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    emulator.inject(Fault.UNAUTHORIZED, "GET", r"/cards$")
    with pytest.raises(AuthError):
        bridge.pull(board)


def test_unknown_board_is_not_found(bridge: TrelloConnector) -> None:
    with pytest.raises(NotFound):
        bridge.pull("5abbe4b7ddc1b351ef961414")
    with pytest.raises(NotFound):
        bridge.check("5abbe4b7ddc1b351ef961414")


def test_malformed_json_is_malformed(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    emulator.inject(Fault.MALFORMED, "GET", r"/lists$")
    with pytest.raises(Malformed) as raised:
        bridge.pull(board)
    assert USERS["bridge"].token not in str(raised.value)


def test_wrong_shape_is_malformed(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    list_id = next(x.id for x in emulator.world.lists.values() if x.id_board == board)
    emulator.world.lists[list_id].render = lambda: {"id": list_id}  # type: ignore[method-assign]
    with pytest.raises(Malformed):
        bridge.pull(board)


def test_missing_key_is_a_config_error(sandbox: TrelloSandbox) -> None:
    config = ConnectionConfig(kind="trello", token=SecretStr(USERS["bridge"].token))
    with pytest.raises(ConfigError):
        build("trello-test", config, transport=sandbox.emulator.transport())


def test_server_error_on_a_read_is_retried(bridge: TrelloConnector, emulator: TrelloEmulator, board: str) -> None:
    emulator.inject(Fault.FAIL_BEFORE, "GET", r"/cards$", times=2)
    assert bridge.pull(board).snapshot.complete


def test_429_storm_is_waited_out_on_the_shared_clock(
    emulator: TrelloEmulator, sandbox: TrelloSandbox, bridge: TrelloConnector, human: TrelloConnector,
    board: str, clock: VirtualClock,
) -> None:
    emulator.inject(Fault.RATE_LIMIT, times=3)
    start = clock.now()
    bridge.pull(board)
    assert clock.now() - start >= 0.5 + 1 + 2, "three 429s without Retry-After: exponential backoff"
    assert bridge.stats.retries >= 3

    # Another client of the same key spends the key's 300 / 10 s; our requests then get API_KEY_LIMIT_EXCEEDED.
    others = [USERS["human"].token, USERS["client"].token]
    extra = emulator.add_member("Dora Designer", "dora", "dora@agency.example", "tok-dora-0004")
    emulator.world.boards[board].members.append(extra)
    others.append("tok-dora-0004")
    with httpx.Client(base_url=emulator.base_url, transport=emulator.transport()) as storm:
        for token in others:
            for _ in range(100):
                storm.get(f"/boards/{board}", params={"key": SANDBOX_KEY, "token": token})
    refused_before = sum(1 for r in emulator.requests if r.status == 429)
    task = bridge.create_task(board, NewTask(title="After the storm"))
    assert task.title == "After the storm"
    assert sum(1 for r in emulator.requests if r.status == 429) > refused_before, "the storm was felt"


def test_own_budget_keeps_a_busy_connector_under_the_token_limit(
    emulator: TrelloEmulator, bridge: TrelloConnector, board: str, clock: VirtualClock
) -> None:
    for n in range(150):
        bridge.create_task(board, NewTask(title=f"Task {n}"))
    assert not [r for r in emulator.requests if r.status == 429], "the client's budget must pace below 100 / 10 s"
    assert clock.now() > 1_000_000.0 + 10, "pacing waited on the virtual clock"
