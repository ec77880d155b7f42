"""The audit log: every change and conflict, with secrets redacted on the way in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bridge.store.records import CONFLICT, CONFLICT_RESOLVED, NOTICE, AuditEntry, utc, utc_or_none
from bridge.store.redaction import scrub
from bridge.store.tables import audit_log


def record(
    connection: Connection,
    link: str,
    event: str,
    *,
    kind: str | None,
    key: str | None,
    detail: dict[str, Any] | None,
    run_id: int | None,
    now: dt.datetime,
) -> None:
    connection.execute(
        sa.insert(audit_log).values(at=now, link=link, event=event, kind=kind, key=key, detail=scrub(detail or {}), run_id=run_id)
    )


def entries(connection: Connection, link: str | None, event: str | None, limit: int) -> list[AuditEntry]:
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if link is not None:
        query = query.where(audit_log.c.link == link)
    if event is not None:
        query = query.where(audit_log.c.event == event)
    return [_entry(row) for row in connection.execute(query)]


def search(
    connection: Connection,
    *,
    links: list[str] | None,
    since: dt.datetime | None,
    keys: list[str] | None,
    limit: int,
) -> list[AuditEntry]:
    """Newest first: the entries of ``links`` (all if None) at or after ``since``, about one of ``keys`` (any if None)."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if links is not None:
        query = query.where(audit_log.c.link.in_(links))
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if keys is not None:
        query = query.where(audit_log.c.key.in_(keys))
    return [_entry(row) for row in connection.execute(query)]


def entry(connection: Connection, entry_id: int) -> AuditEntry | None:
    row = connection.execute(sa.select(audit_log).where(audit_log.c.id == entry_id)).first()
    return None if row is None else _entry(row)


def close_conflict(
    connection: Connection, link: str, entry_id: int, event: str, detail: dict[str, Any], run_id: int | None, now: dt.datetime
) -> bool:
    """Close one open conflict and record ``event`` about it; False when it was not open (any more)."""
    closed = connection.execute(
        sa.update(audit_log)
        .where(audit_log.c.id == entry_id, audit_log.c.event == CONFLICT, audit_log.c.resolved_at.is_(None))
        .values(resolved_at=now)
    ).rowcount
    if closed:
        row = entry(connection, entry_id)
        assert row is not None
        record(connection, link, event, kind=row.kind, key=row.key, detail=detail, run_id=run_id, now=now)
    return bool(closed)


def open_conflicts(connection: Connection, link: str | None) -> list[AuditEntry]:
    query = sa.select(audit_log).where(audit_log.c.event == CONFLICT, audit_log.c.resolved_at.is_(None)).order_by(audit_log.c.id)
    if link is not None:
        query = query.where(audit_log.c.link == link)
    return [_entry(row) for row in connection.execute(query)]


def open_notices(connection: Connection, link: str | None) -> list[AuditEntry]:
    query = sa.select(audit_log).where(audit_log.c.event == NOTICE, audit_log.c.resolved_at.is_(None)).order_by(audit_log.c.id)
    if link is not None:
        query = query.where(audit_log.c.link == link)
    return [_entry(row) for row in connection.execute(query)]


def sync_notices(
    connection: Connection, link: str, current: dict[str, dict[str, Any]], run_id: int | None, now: dt.datetime
) -> list[str]:
    """Open the notices first seen now, close those no longer found; the keys of the new ones.

    ``current`` maps "<code>:<key>" to the notice's detail. A notice is
    recorded once while it lasts, so each one is reported once, not every cycle.
    """
    open_rows = {row.key: row.id for row in connection.execute(
        sa.select(audit_log.c.key, audit_log.c.id).where(
            audit_log.c.link == link, audit_log.c.event == NOTICE, audit_log.c.resolved_at.is_(None)
        )
    )}
    gone = [row_id for key, row_id in open_rows.items() if key not in current]
    if gone:
        connection.execute(sa.update(audit_log).where(audit_log.c.id.in_(gone)).values(resolved_at=now))
    new = [key for key in current if key not in open_rows]
    for key in new:
        record(connection, link, NOTICE, kind="notice", key=key, detail=current[key], run_id=run_id, now=now)
    return new


def resolve_conflicts(connection: Connection, link: str, kind: str, key: str, now: dt.datetime) -> None:
    """Close the item's open conflicts and say so in the log (only when there was something to close)."""
    closed = connection.execute(
        sa.update(audit_log)
        .where(
            audit_log.c.link == link,
            audit_log.c.event == CONFLICT,
            audit_log.c.kind == kind,
            audit_log.c.key == key,
            audit_log.c.resolved_at.is_(None),
        )
        .values(resolved_at=now)
    ).rowcount
    if closed:
        record(connection, link, CONFLICT_RESOLVED, kind=kind, key=key, detail={"closed": closed}, run_id=None, now=now)


def _entry(row: sa.Row[Any]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=utc(row.at),
        link=row.link,
        event=row.event,
        kind=row.kind,
        key=row.key,
        detail=row.detail,
        run_id=row.run_id,
        resolved_at=utc_or_none(row.resolved_at),
    )
