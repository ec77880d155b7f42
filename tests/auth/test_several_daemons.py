"""Several daemons on one store renew a token once between them; rotation keeps the newest refresh token.

Each "daemon" here is its own Store (its own connection pool) and RenewingToken, in its own thread,
on the same database: SQLite, and the real PostgreSQL when PM_BRIDGE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import threading
import time

import pytest

from bridge.auth.credential import Credential
from bridge.auth.renewing import RenewingToken
from bridge.auth.sealing import Sealer
from bridge.auth.vault import Vault
from bridge.runtime import open_store
from connectors.asana.auth import AUTH
from tests.auth.conftest import AsanaWorld

DAEMONS = 4


def test_exactly_one_daemon_refreshes_and_the_others_use_its_token(world: AsanaWorld, store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(DAEMONS)]
    try:
        first = Vault(stores[0], Sealer.from_environment())
        code = world.issuer.authorize("asana-app-1", "http://127.0.0.1:1/callback", "s")[1].split("code=")[1].split("&")[0]
        connection, http, epoch = world.connection(), world.http(), world.epoch()
        first.save("acme", "oauth", AUTH.exchange(connection, code, "http://127.0.0.1:1/callback", http, epoch()))
        world.clock.advance(3600 + 1)  # expired for everyone

        def renew(current: Credential) -> Credential:
            time.sleep(0.2)  # a slow token endpoint: the others are queued on the row meanwhile
            return AUTH.renew(connection, current, http, epoch())

        sources = [RenewingToken("acme", Vault(store, Sealer.from_environment()), renew, epoch) for store in stores]
        tokens: list[str] = []
        errors: list[BaseException] = []
        start = threading.Barrier(DAEMONS)

        def daemon(source: RenewingToken) -> None:
            start.wait()
            try:
                tokens.append(source.token())
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=daemon, args=(source,)) for source in sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert world.issuer.calls["refresh_token"] == 1
        assert len(set(tokens)) == 1 and len(tokens) == DAEMONS
        assert world.issuer.user_for(tokens[0]) is not None
    finally:
        for store in stores:
            store.close()


def test_a_rotated_refresh_token_replaces_the_spent_one(world: AsanaWorld) -> None:
    world.issuer.rotate = True  # as Launchpad's emulator does (connectors/basecamp/emulator/launchpad.py)
    vault, connection, http, epoch = world.vault(), world.connection(), world.http(), world.epoch()
    code = world.issuer.authorize("asana-app-1", "http://127.0.0.1:1/callback", None)[1].split("code=")[1]
    vault.save("acme", "oauth", AUTH.exchange(connection, code, "http://127.0.0.1:1/callback", http, epoch()))
    source = RenewingToken("acme", vault, lambda current: AUTH.renew(connection, current, http, epoch()), epoch)
    seen = set()
    for _ in range(3):
        world.clock.advance(3600 + 1)
        seen.add(source.token())
        seen.add(vault.load("acme").credential.refresh_token or "")
    assert len(seen) == 6 and world.issuer.calls["refresh_token"] == 3
    spent = [token for token, grant in world.issuer.refresh.items() if grant.revoked]
    assert len(spent) == 3 and vault.load("acme").credential.refresh_token not in spent


@pytest.mark.parametrize("skew", [300.0])
def test_renewal_happens_before_expiry_not_after(world: AsanaWorld, skew: float) -> None:
    vault, connection, http, epoch = world.vault(), world.connection(), world.http(), world.epoch()
    code = world.issuer.authorize("asana-app-1", "http://127.0.0.1:1/callback", None)[1].split("code=")[1]
    held = vault.save("acme", "oauth", AUTH.exchange(connection, code, "http://127.0.0.1:1/callback", http, epoch()))
    source = RenewingToken("acme", vault, lambda current: AUTH.renew(connection, current, http, epoch()), epoch, skew)
    world.clock.advance(3600 - skew - 5)
    assert source.token() == held.credential.access_token and world.issuer.calls["refresh_token"] == 0
    world.clock.advance(10)  # inside the skew, still valid at the tool: renewed now, not after a 401
    fresh = source.token()
    assert fresh != held.credential.access_token and world.issuer.calls["refresh_token"] == 1
    assert world.issuer.user_for(held.credential.access_token) is not None  # the old one had not expired yet
