"""The state an email client keeps in the store (docs/email.md): its view, changes, inbox and meta.

An email client has no tool holding its project, so the bridge keeps the client's view itself,
in the state database every ``sync`` run and every daemon already share. Each function is one
transaction on the given engine; given a connection instead, it works inside that connection's transaction
(a dry run reads the inbox into a transaction it then rolls back: docs/email.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bridge.store.tables import email_changes, email_inbox, email_items, email_meta

PENDING, DONE, REFUSED = "pending", "done", "refused"
Bind = Engine | Connection


@contextmanager
def _reading(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as db:
            yield db


@contextmanager
def _writing(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as db:
            yield db


def items(engine: Bind, connection: str, project: str) -> list[tuple[str, str, str]]:
    """(kind, item id, JSON text) of every item of the view."""
    with _reading(engine) as db:
        rows = db.execute(sa.select(email_items.c.kind, email_items.c.item_id, email_items.c.data).where(
            email_items.c.connection == connection, email_items.c.project == project))
        return [(r.kind, r.item_id, r.data) for r in rows]


def item(db: Connection, connection: str, project: str, kind: str, item_id: str) -> str | None:
    return db.execute(sa.select(email_items.c.data).where(
        email_items.c.connection == connection, email_items.c.project == project,
        email_items.c.kind == kind, email_items.c.item_id == item_id)).scalar_one_or_none()


def of_kind(db: Connection, connection: str, project: str, kind: str) -> list[str]:
    return list(db.execute(sa.select(email_items.c.data).where(
        email_items.c.connection == connection, email_items.c.project == project, email_items.c.kind == kind)).scalars())


def put(db: Connection, connection: str, project: str, kind: str, item_id: str, data: str) -> None:
    key = {"connection": connection, "project": project, "kind": kind, "item_id": item_id}
    updated = db.execute(sa.update(email_items).where(*(email_items.c[k] == v for k, v in key.items())).values(data=data))
    if not updated.rowcount:
        db.execute(sa.insert(email_items).values(**key, data=data))


def delete(db: Connection, connection: str, project: str, kind: str, item_ids: Iterable[str]) -> None:
    ids = list(item_ids)
    if ids:
        db.execute(sa.delete(email_items).where(email_items.c.connection == connection, email_items.c.project == project,
                                                email_items.c.kind == kind, email_items.c.item_id.in_(ids)))


def record(db: Connection, connection: str, project: str, kind: str, task_id: str, data: dict[str, Any],
           at: dt.datetime) -> None:
    db.execute(sa.insert(email_changes).values(connection=connection, project=project, kind=kind, task_id=task_id,
                                               data=data, at=at))


def changes(engine: Bind, connection: str, project: str, after: int) -> list[tuple[int, str, str, dict[str, Any]]]:
    with _reading(engine) as db:
        rows = db.execute(sa.select(email_changes).where(
            email_changes.c.connection == connection, email_changes.c.project == project, email_changes.c.id > after,
        ).order_by(email_changes.c.id))
        return [(r.id, r.kind, r.task_id, dict(r.data)) for r in rows]


def meta(db: Connection, connection: str, project: str, name: str) -> Any:
    return db.execute(sa.select(email_meta.c.value).where(
        email_meta.c.connection == connection, email_meta.c.project == project, email_meta.c.name == name,
    )).scalar_one_or_none()


def set_meta(db: Connection, connection: str, project: str, name: str, value: Any) -> None:
    where = (email_meta.c.connection == connection, email_meta.c.project == project, email_meta.c.name == name)
    if not db.execute(sa.update(email_meta).where(*where).values(value=value)).rowcount:
        db.execute(sa.insert(email_meta).values(connection=connection, project=project, name=name, value=value))


def keep(engine: Bind, connection: str, source: str, raw: bytes, at: dt.datetime) -> None:
    """An inbound message (from IMAP or a provider's webhook), kept until the connection's next pull reads it."""
    with _writing(engine) as db:
        db.execute(sa.insert(email_inbox).values(connection=connection, source=source, received_at=at, raw=raw,
                                                 state=PENDING))


def pending(engine: Bind, connection: str) -> list[tuple[int, str, bytes]]:
    with _reading(engine) as db:
        rows = db.execute(sa.select(email_inbox.c.id, email_inbox.c.source, email_inbox.c.raw).where(
            email_inbox.c.connection == connection, email_inbox.c.state == PENDING).order_by(email_inbox.c.id))
        return [(r.id, r.source, bytes(r.raw or b"")) for r in rows]


def settle(db: Connection, row: int, state: str, reason: str | None = None, message_id: str | None = None) -> None:
    """The message was read: drop its body, keep the outcome (and a refusal's reason) and its Message-ID."""
    db.execute(sa.update(email_inbox).where(email_inbox.c.id == row).values(
        state=state, reason=reason, raw=None, message_id=(message_id or None) and message_id[:300]))


def seen(db: Connection, connection: str, message_id: str) -> bool:
    """A message with this Message-ID was taken in before (a provider's retry, a replayed delivery)."""
    return db.execute(sa.select(email_inbox.c.id).where(
        email_inbox.c.connection == connection, email_inbox.c.state == DONE,
        email_inbox.c.message_id == message_id[:300]).limit(1)).first() is not None


def refusals(engine: Bind, connection: str) -> list[str]:
    with _reading(engine) as db:
        rows = db.execute(sa.select(email_inbox.c.reason).where(
            email_inbox.c.connection == connection, email_inbox.c.state == REFUSED).order_by(email_inbox.c.id))
        return [str(r.reason) for r in rows]
