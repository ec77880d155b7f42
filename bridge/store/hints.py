"""Webhook hints: what a link side's deliveries said changed, kept until a pull has read it.

The receiver notes each kind a delivery names (``note``); the engine hands the
kinds to the side's next pull (``pending``) and, once that pull's snapshot is
saved, forgets exactly the rows it handed over (``forget``): a row matched on
its stamp, so a delivery that came during the pull stays for the next one.
See docs/daemon.md#webhook-led-polling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bridge.store.tables import webhook_hints
from bridge.store.upsert import insert_for

# The row saying a webhook serves the side: not a change, never forgotten by a pull.
SERVED = "*"


def note(connection: Connection, link: str, side: str, kinds: Iterable[str], at: float) -> None:
    """Record that a delivery came at ``at`` naming ``kinds`` (and that the side is served by a webhook)."""
    rows = [{"link": link, "side": side, "kind": kind, "noted_at": at} for kind in {SERVED, *kinds}]
    statement = insert_for(connection, webhook_hints)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[webhook_hints.c.link, webhook_hints.c.side, webhook_hints.c.kind],
            set_={"noted_at": statement.excluded.noted_at},
        ),
        rows,
    )


def pending(connection: Connection, link: str, side: str) -> dict[str, float] | None:
    """The kinds noted since the last pull, with their stamps; None when no webhook serves the side."""
    rows = connection.execute(
        sa.select(webhook_hints.c.kind, webhook_hints.c.noted_at).where(
            webhook_hints.c.link == link, webhook_hints.c.side == side
        )
    ).all()
    kinds = {row.kind: row.noted_at for row in rows}
    if SERVED not in kinds:
        return None
    del kinds[SERVED]
    return kinds


def forget(connection: Connection, link: str, side: str, read: Mapping[str, float]) -> None:
    """Drop the hints a pull read, unless a later delivery re-stamped them meanwhile."""
    for kind, stamp in read.items():
        connection.execute(
            sa.delete(webhook_hints).where(
                webhook_hints.c.link == link, webhook_hints.c.side == side,
                webhook_hints.c.kind == kind, webhook_hints.c.noted_at == stamp,
            )
        )


def unserve(connection: Connection, link: str, side: str) -> None:
    """The side's webhook is gone (`pm-bridge webhooks remove`): its pulls find every change themselves again."""
    connection.execute(sa.delete(webhook_hints).where(webhook_hints.c.link == link, webhook_hints.c.side == side))


def last_deliveries(connection: Connection, links: list[str]) -> dict[tuple[str, str], float]:
    """When each served (link, side) last had a genuine delivery: what ``/healthz`` shows."""
    if not links:
        return {}
    rows = connection.execute(
        sa.select(webhook_hints.c.link, webhook_hints.c.side, webhook_hints.c.noted_at).where(
            webhook_hints.c.kind == SERVED, webhook_hints.c.link.in_(links)
        )
    )
    return {(row.link, row.side): row.noted_at for row in rows}
