"""Link leases and per-link metadata.

A lease says which daemon works on a link. Taking one is a single
INSERT ... ON CONFLICT DO UPDATE ... WHERE (free, expired or already ours)
RETURNING, so two daemons racing for one link cannot both win, on SQLite or
PostgreSQL, without any lock held between calls.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bridge.store.tables import leases, link_meta
from bridge.store.upsert import insert_for


class LeaseClock(Protocol):
    def now(self) -> float: ...


class WallClock:
    """Seconds since the epoch: comparable between the machines sharing one PostgreSQL.

    bridge.clock.RealClock is monotonic, which is right for waiting but means
    nothing to another process, so leases default to this instead.
    """

    def now(self) -> float:
        return time.time()


def take(connection: Connection, link: str, owner: str, ttl_seconds: float, now: float) -> bool:
    statement = insert_for(connection, leases).values(link=link, owner=owner, expires_at=now + ttl_seconds)
    statement = statement.on_conflict_do_update(
        index_elements=[leases.c.link],
        set_={"owner": statement.excluded.owner, "expires_at": statement.excluded.expires_at},
        where=sa.or_(leases.c.owner == statement.excluded.owner, leases.c.expires_at <= now),
    )
    return connection.execute(statement.returning(leases.c.owner)).first() is not None


RENEW_CHUNK = 500  # bound parameters per statement, well inside every backend's limit


def renew(connection: Connection, links: list[str], owner: str, ttl_seconds: float, now: float) -> set[str]:
    """Extend the leases among ``links`` that ``owner`` still holds; a lease that changed hands is left alone."""
    renewed: set[str] = set()
    for start in range(0, len(links), RENEW_CHUNK):
        chunk = links[start : start + RENEW_CHUNK]
        statement = (
            sa.update(leases)
            .where(leases.c.link.in_(chunk), leases.c.owner == owner)
            .values(expires_at=now + ttl_seconds)
            .returning(leases.c.link)
        )
        renewed.update(connection.execute(statement).scalars())
    return renewed


def release(connection: Connection, link: str, owner: str) -> None:
    connection.execute(sa.delete(leases).where(leases.c.link == link, leases.c.owner == owner))


def meta(connection: Connection, link: str) -> dict[str, Any]:
    rows = connection.execute(sa.select(link_meta.c.name, link_meta.c.value).where(link_meta.c.link == link))
    return {name: value for name, value in rows}


def set_meta(connection: Connection, link: str, values: dict[str, Any]) -> None:
    if not values:
        return
    statement = insert_for(connection, link_meta)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[link_meta.c.link, link_meta.c.name], set_={"value": statement.excluded.value}
        ),
        [{"link": link, "name": name, "value": value} for name, value in values.items()],
    )
