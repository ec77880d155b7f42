"""The id map: which internal item mirrors which client item, and their base values.

One remote id maps to one item per side: the unique constraints enforce it and
a second claim raises DuplicateClaim instead of overwriting the first.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bridge.store.records import DuplicateClaim, Pair, utc
from bridge.store.tables import pairs, snapshots
from bridge.store.upsert import insert_for


def load(connection: Connection, link: str) -> list[Pair]:
    rows = connection.execute(sa.select(pairs).where(pairs.c.link == link).order_by(pairs.c.kind, pairs.c.key))
    return [
        Pair(
            kind=row.kind,
            key=row.key,
            internal_id=row.internal_id,
            client_id=row.client_id,
            origin=row.origin,
            base=row.base,
            updated_at=utc(row.updated_at),
        )
        for row in rows
    ]


def save(connection: Connection, link: str, pair: Pair, now: dt.datetime) -> None:
    """Upsert by (link, kind, key); refuse an internal or client id another key already holds."""
    _refuse_second_claim(connection, link, pair)
    values = {
        "internal_id": pair.internal_id,
        "client_id": pair.client_id,
        "origin": pair.origin,
        "base": pair.base,
        "updated_at": now,
    }
    statement = insert_for(connection, pairs).values(link=link, kind=pair.kind, key=pair.key, **values)
    try:
        connection.execute(statement.on_conflict_do_update(index_elements=[pairs.c.link, pairs.c.kind, pairs.c.key], set_=values))
    except IntegrityError as error:
        # Lost a race with a concurrent claim that committed after our check.
        raise DuplicateClaim(
            f"link {link!r}: {pair.kind} {pair.key!r} claims an id another {pair.kind} of this link already holds",
            hint="two items may mirror one remote item; see the audit log",
        ) from error


def _refuse_second_claim(connection: Connection, link: str, pair: Pair) -> None:
    claims = []
    if pair.internal_id is not None:
        claims.append(pairs.c.internal_id == pair.internal_id)
    if pair.client_id is not None:
        claims.append(pairs.c.client_id == pair.client_id)
    if not claims:
        return
    holder = connection.execute(
        sa.select(pairs.c.key, pairs.c.internal_id, pairs.c.client_id)
        .where(pairs.c.link == link, pairs.c.kind == pair.kind, pairs.c.key != pair.key, sa.or_(*claims))
        .limit(1)
    ).first()
    if holder is None:
        return
    side, remote_id = (
        ("internal", pair.internal_id)
        if pair.internal_id is not None and holder.internal_id == pair.internal_id
        else ("client", pair.client_id)
    )
    raise DuplicateClaim(
        f"link {link!r}: {side} {pair.kind} {remote_id!r} is already paired with key {holder.key!r}, not {pair.key!r}",
        hint="two items may mirror one remote item; see the audit log",
    )


def delete(connection: Connection, link: str, kind: str, key: str) -> None:
    connection.execute(sa.delete(pairs).where(pairs.c.link == link, pairs.c.kind == kind, pairs.c.key == key))


def forget(connection: Connection, link: str) -> None:
    connection.execute(sa.delete(pairs).where(pairs.c.link == link))


def foreign_client_items(connection: Connection, link: str, internal_project: str) -> frozenset[str]:
    """Internal ids other links' clients created on the same internal project (their requests and comments).

    Links are matched by the project id of their cached internal snapshot; a match
    by id alone can only hide more, never share more.
    """
    siblings = sa.select(snapshots.c.link).where(
        snapshots.c.side == "internal", snapshots.c.project_id == internal_project, snapshots.c.link != link
    )
    rows = connection.execute(
        sa.select(pairs.c.internal_id).where(
            pairs.c.origin == "client", pairs.c.internal_id.is_not(None), pairs.c.link.in_(siblings)
        )
    )
    return frozenset(str(row.internal_id) for row in rows)
