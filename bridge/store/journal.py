"""The operation journal (intents) and the run log.

An intent row is written before a remote create; it is completed in the same
transaction that records the created item's pair, so after a crash a pending
intent is exactly a create whose outcome nobody recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bridge.store.records import Intent, RunInfo, UnknownRecord, utc, utc_or_none
from bridge.store.tables import intents, runs


def begin(connection: Connection, link: str, side: str, kind: str, key: str, detail: dict[str, Any], now: dt.datetime) -> int:
    result = connection.execute(
        sa.insert(intents)
        .values(link=link, side=side, kind=kind, key=key, detail=detail, status="pending", created_at=now)
        .returning(intents.c.id)
    )
    return int(result.scalar_one())


def find(connection: Connection, intent_id: int) -> Intent:
    row = connection.execute(sa.select(intents).where(intents.c.id == intent_id)).first()
    if row is None:
        raise UnknownRecord(f"the journal holds no intent {intent_id}")
    return _intent(row)


def finish(connection: Connection, intent_id: int, status: str, error: str | None, now: dt.datetime) -> None:
    result = connection.execute(
        sa.update(intents).where(intents.c.id == intent_id).values(status=status, error=error, finished_at=now)
    )
    if result.rowcount != 1:
        raise UnknownRecord(f"the journal holds no intent {intent_id}")


def pending(connection: Connection, link: str) -> list[Intent]:
    rows = connection.execute(
        sa.select(intents).where(intents.c.link == link, intents.c.status == "pending").order_by(intents.c.id)
    )
    return [_intent(row) for row in rows]


def unrecorded(connection: Connection, link: str, side: str, kind: str, key: str) -> list[Intent]:
    """Creates of one item that never completed: pending (a crash) or failed (possibly only its answer was lost)."""
    rows = connection.execute(
        sa.select(intents)
        .where(intents.c.link == link, intents.c.side == side, intents.c.kind == kind, intents.c.key == key,
               intents.c.status != "done")
        .order_by(intents.c.id)
    )
    return [_intent(row) for row in rows]


def forget(connection: Connection, link: str) -> None:
    connection.execute(sa.delete(intents).where(intents.c.link == link))


def _intent(row: sa.Row[Any]) -> Intent:
    return Intent(
        id=row.id,
        link=row.link,
        side=row.side,
        kind=row.kind,
        key=row.key,
        detail=row.detail,
        status=row.status,
        error=row.error,
        created_at=utc(row.created_at),
        finished_at=utc_or_none(row.finished_at),
    )


def start_run(connection: Connection, link: str, now: dt.datetime) -> int:
    result = connection.execute(
        sa.insert(runs).values(link=link, status="running", started_at=now, counts={}).returning(runs.c.id)
    )
    return int(result.scalar_one())


def finish_run(
    connection: Connection, run_id: int, status: str, counts: dict[str, int], error: str | None, now: dt.datetime
) -> None:
    result = connection.execute(
        sa.update(runs).where(runs.c.id == run_id).values(status=status, counts=dict(counts), error=error, finished_at=now)
    )
    if result.rowcount != 1:
        raise UnknownRecord(f"the run log holds no run {run_id}")


def last_runs(connection: Connection) -> dict[str, RunInfo]:
    latest = sa.select(sa.func.max(runs.c.id)).group_by(runs.c.link).scalar_subquery()
    rows = connection.execute(sa.select(runs).where(runs.c.id.in_(latest)).order_by(runs.c.link))
    return {
        row.link: RunInfo(
            run_id=row.id,
            link=row.link,
            status=row.status,
            started_at=utc(row.started_at),
            finished_at=utc_or_none(row.finished_at),
            counts=row.counts,
            error=row.error,
        )
        for row in rows
    }
