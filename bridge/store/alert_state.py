"""The alerts' shared state: read it with its version, replace it only if nobody else did meanwhile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bridge.store.tables import alert_state
from bridge.store.upsert import insert_for


def load(connection: Connection, scope: str) -> tuple[int, dict[str, Any] | None]:
    """(version, state); (0, None) before the first save."""
    row = connection.execute(sa.select(alert_state.c.version, alert_state.c.state).where(alert_state.c.scope == scope)).first()
    return (0, None) if row is None else (row.version, row.state)


def replace(connection: Connection, scope: str, version: int, state: dict[str, Any], now: dt.datetime) -> bool:
    """Write ``state`` as version ``version + 1``; False when the stored version is no longer ``version``."""
    if version == 0:
        insert = insert_for(connection, alert_state).values(scope=scope, version=1, state=state, updated_at=now)
        # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT that ON CONFLICT skipped.
        claimed = insert.on_conflict_do_nothing(index_elements=["scope"]).returning(alert_state.c.scope)
        return connection.execute(claimed).first() is not None
    update = (
        sa.update(alert_state)
        .where(alert_state.c.scope == scope, alert_state.c.version == version)
        .values(version=version + 1, state=state, updated_at=now)
    )
    return bool(connection.execute(update).rowcount)
