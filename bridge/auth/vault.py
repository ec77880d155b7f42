"""Credentials in the state store, sealed, renewed by one daemon at a time.

A renewal runs inside one write transaction that holds the connection's row: ``SELECT ... FOR
UPDATE`` on PostgreSQL, and on SQLite the store's writers take the database lock up front
(``BEGIN IMMEDIATE``, bridge/store/schema.py). Whoever gets the row second finds its ``version``
moved on and takes the token the first one saved instead of spending the refresh token again
(docs/connect.md, "Several daemons"). The tool's token endpoint is called while the row is held:
one short request, and it is what keeps a rotated refresh token from being spent twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bridge import secrets
from bridge.auth.credential import Credential
from bridge.auth.sealing import Sealer
from bridge.errors import CredentialsRevoked, NotConnected
from bridge.store import Store
from bridge.store.records import now as stamp_now
from bridge.store.tables import credentials


@dataclass(frozen=True)
class Held:
    credential: Credential
    version: int


def reconnect_hint(connection: str) -> str:
    return f"run `pm-bridge connect {connection}` to authorize again"


def revoked_error(connection: str, reason: str, status: int | None) -> CredentialsRevoked:
    # "token can no longer be refreshed" is what alerting keys on: keep the words.
    return CredentialsRevoked(f"connection {connection!r}: the token can no longer be refreshed ({reason})",
                              status=status, hint=reconnect_hint(connection), connection=connection)


def revoked(store: Store, connections: Iterable[str]) -> dict[str, str]:
    """For each of ``connections`` whose token can no longer be renewed: the message that says what to do.

    Reads only columns stored in clear, so ``/healthz`` needs no key.
    """
    names = list(dict.fromkeys(connections))
    if not names:
        return {}
    query = sa.select(credentials.c.connection, credentials.c.revoked).where(
        credentials.c.connection.in_(names), credentials.c.revoked.is_not(None))
    with store.engine.connect() as db:
        found = {row.connection: row.revoked for row in db.execute(query)}
    return {name: f"{revoked_error(name, reason, None).args[0]}: {reconnect_hint(name)}" for name, reason in found.items()}


class Vault:
    def __init__(self, store: Store, sealer: Sealer) -> None:
        self.store = store
        self.sealer = sealer

    def load(self, connection: str) -> Held:
        with self.store.engine.connect() as db:
            row = db.execute(sa.select(credentials).where(credentials.c.connection == connection)).first()
        return self._held(connection, row)

    def save(self, connection: str, auth: str, credential: Credential) -> Held:
        """Store a freshly authorized token set (``pm-bridge connect``), replacing a revoked or older one."""
        sealed = self._seal(credential)
        with self.store.engine.begin() as db:
            row = db.execute(
                sa.select(credentials.c.version).where(credentials.c.connection == connection).with_for_update()
            ).first()
            values = {"auth": auth, "sealed": sealed, "expires_at": credential.expires_at, "revoked": None,
                      "updated_at": stamp_now()}
            if row is None:
                version = 1
                db.execute(sa.insert(credentials).values(connection=connection, version=version, **values))
            else:
                version = row.version + 1
                db.execute(sa.update(credentials).where(credentials.c.connection == connection)
                           .values(version=version, **values))
        return Held(credential, version)

    def renew(self, connection: str, seen: int, renew: Callable[[Credential], Credential]) -> Held:
        """Renew the token set ``seen`` (a version): once, by whichever caller holds the row first."""
        refused: CredentialsRevoked | None = None
        with self.store.engine.begin() as db:
            row = db.execute(
                sa.select(credentials).where(credentials.c.connection == connection).with_for_update()
            ).first()
            held = self._held(connection, row)
            if held.version != seen:
                return held  # another daemon (or thread) renewed it while we waited for the row
            try:
                fresh = renew(held.credential)
            except CredentialsRevoked as exc:
                reason = secrets.redact(exc.args[0] if exc.args else str(exc))
                refused = revoked_error(connection, reason, exc.status)
                db.execute(sa.update(credentials).where(credentials.c.connection == connection)
                           .values(revoked=reason, updated_at=stamp_now()))
            else:
                db.execute(
                    sa.update(credentials)
                    .where(credentials.c.connection == connection, credentials.c.version == seen)
                    .values(sealed=self._seal(fresh), expires_at=fresh.expires_at, version=seen + 1,
                            updated_at=stamp_now())
                )
                return Held(fresh, seen + 1)
        raise refused

    def rekey(self) -> list[str]:
        """Seal every stored row again with the first key, all or none; the connections, in order.

        One transaction holding every row: a renewal waits, and a row no key opens (named in the error)
        leaves every row as it was, so the old key is still needed and nothing is half done.
        The version stays: the token set is the same, only its sealing changed.
        """
        with self.store.engine.begin() as db:
            rows = db.execute(sa.select(credentials.c.connection, credentials.c.sealed)
                              .order_by(credentials.c.connection).with_for_update()).all()
            for row in rows:
                resealed = self.sealer.reseal(row.sealed, row.connection)
                db.execute(sa.update(credentials).where(credentials.c.connection == row.connection)
                           .values(sealed=resealed, updated_at=stamp_now()))
        return [row.connection for row in rows]

    # -- sealing ----------------------------------------------------------

    def _seal(self, credential: Credential) -> str:
        secrets.register(credential.access_token)
        secrets.register(credential.refresh_token)
        return self.sealer.seal(credential.model_dump_json())

    def _held(self, connection: str, row: sa.Row[Any] | None) -> Held:
        if row is None:
            raise NotConnected(f"connection {connection!r} is not connected yet: no stored credentials",
                              hint=reconnect_hint(connection))
        if row.revoked:
            raise revoked_error(connection, row.revoked, 401)
        credential = Credential.model_validate(json.loads(self.sealer.open(row.sealed, connection)))
        secrets.register(credential.access_token)
        secrets.register(credential.refresh_token)
        return Held(credential, row.version)
