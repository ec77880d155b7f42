"""The snapshot cache: one row per item, saved by difference, loaded in one parse.

Rows hold each item's canonical JSON as text. A save compares text with text
and writes only what differs; a load stitches the stored texts into one JSON
document and lets pydantic parse it in a single call, which is what keeps
10,000 tasks well under a second.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from bridge.core.fields import FieldDef
from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task
from bridge.store.tables import snapshot_items, snapshots
from bridge.store.upsert import insert_for, lock_key

Item = Section | Task | Comment | Attachment | Person  # what upsert takes; field definitions come whole with a save

# kind stored in the row -> Snapshot attribute holding that kind
FIELDS: dict[str, str] = {
    "section": "sections",
    "task": "tasks",
    "comment": "comments",
    "attachment": "attachments",
    "person": "people",
    "archived": "archived",  # archived tasks (Snapshot.archived), cached so a failed restore is retried
    "field": "fields",  # the project's custom field definitions (bridge/core/fields.py), by name
}
KIND_OF: dict[type[BaseModel], str] = {
    Section: "section",
    Task: "task",
    Comment: "comment",
    Attachment: "attachment",
    Person: "person",
    FieldDef: "field",
}

RowKey = tuple[str, str]  # (kind, item id)


def kind_of(item: BaseModel) -> str:
    try:
        return KIND_OF[type(item)]
    except KeyError:
        raise TypeError(
            f"the snapshot cache holds sections, tasks, comments, attachments and people, not {type(item).__name__}"
        ) from None


def _rows_of(snapshot: Snapshot) -> dict[RowKey, str]:
    rows: dict[RowKey, str] = {}
    for kind, field in FIELDS.items():
        items: dict[str, BaseModel] = getattr(snapshot, field)
        for item_id, item in items.items():
            rows[(kind, item_id)] = item.model_dump_json()
    return rows


def _where(link: str, side: str) -> sa.ColumnElement[bool]:
    return sa.and_(snapshot_items.c.link == link, snapshot_items.c.side == side)


def _serialise(connection: Connection, link: str, side: str) -> None:
    """Writers of one link's cache queue up; PostgreSQL needs this, SQLite's BEGIN IMMEDIATE already does it."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("snapshot", link, side)})


def load(connection: Connection, link: str, side: str) -> tuple[str | None, Snapshot | None]:
    header = connection.execute(sa.select(snapshots).where(snapshots.c.link == link, snapshots.c.side == side)).first()
    if header is None:
        return None, None
    grouped: dict[str, list[str]] = {kind: [] for kind in FIELDS}
    rows = connection.execute(
        sa.select(snapshot_items.c.kind, snapshot_items.c.item_id, snapshot_items.c.data)
        .where(_where(link, side))
        .order_by(snapshot_items.c.kind, snapshot_items.c.item_id)
    )
    for kind, item_id, data in rows:
        if kind in grouped:
            grouped[kind].append(f"{json.dumps(item_id)}:{data}")
    parts = [
        f'"connection":{json.dumps(header.connection)}',
        f'"project_id":{json.dumps(header.project_id)}',
        f'"project_name":{json.dumps(header.project_name)}',
        f'"complete":{json.dumps(bool(header.complete))}',
    ]
    parts += [f'"{FIELDS[kind]}":{{{",".join(entries)}}}' for kind, entries in grouped.items()]
    return header.cursor, Snapshot.model_validate_json("{" + ",".join(parts) + "}")


def save(connection: Connection, link: str, side: str, snapshot: Snapshot, cursor: str | None, now: dt.datetime) -> None:
    _serialise(connection, link, side)
    _save_header(connection, link, side, snapshot, cursor, now)
    stored: dict[RowKey, str] = {
        (kind, item_id): data
        for kind, item_id, data in connection.execute(
            sa.select(snapshot_items.c.kind, snapshot_items.c.item_id, snapshot_items.c.data).where(_where(link, side))
        )
    }
    fresh = _rows_of(snapshot)
    added = [(key, data) for key, data in fresh.items() if key not in stored]
    changed = [(key, data) for key, data in fresh.items() if key in stored and not _same(stored[key], data)]
    gone = [key for key in stored if key not in fresh]
    _insert(connection, link, side, added)
    if changed:
        connection.execute(
            sa.update(snapshot_items)
            .where(
                _where(link, side),
                snapshot_items.c.kind == sa.bindparam("b_kind"),
                snapshot_items.c.item_id == sa.bindparam("b_id"),
            )
            .values(data=sa.bindparam("b_data")),
            [{"b_kind": kind, "b_id": item_id, "b_data": data} for (kind, item_id), data in changed],
        )
    delete(connection, link, side, gone)


def _same(stored: str, fresh: str) -> bool:
    # Equal text is the fast path; equal parsed JSON catches a dict whose keys came in another order.
    return stored == fresh or json.loads(stored) == json.loads(fresh)


def _save_header(connection: Connection, link: str, side: str, snapshot: Snapshot, cursor: str | None, now: dt.datetime) -> None:
    values: dict[str, Any] = {
        "connection": snapshot.connection,
        "project_id": snapshot.project_id,
        "project_name": snapshot.project_name,
        "complete": snapshot.complete,
        "cursor": cursor,
    }
    current = connection.execute(
        sa.select(*(snapshots.c[name] for name in values)).where(snapshots.c.link == link, snapshots.c.side == side)
    ).first()
    if current is None:
        connection.execute(sa.insert(snapshots).values(link=link, side=side, saved_at=now, **values))
    elif dict(current._mapping) != values:
        connection.execute(
            sa.update(snapshots).where(snapshots.c.link == link, snapshots.c.side == side).values(saved_at=now, **values)
        )


def _insert(connection: Connection, link: str, side: str, rows: list[tuple[RowKey, str]]) -> None:
    if rows:
        connection.execute(
            sa.insert(snapshot_items),
            [{"link": link, "side": side, "kind": kind, "item_id": item_id, "data": data} for (kind, item_id), data in rows],
        )


def upsert(connection: Connection, link: str, side: str, items: Iterable[Item]) -> None:
    """Write items as they are now (after a remote write), leaving the cursor alone."""
    rows = {(kind_of(item), item.id): item.model_dump_json() for item in items}
    if not rows:
        return
    _serialise(connection, link, side)
    statement = insert_for(connection, snapshot_items)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[snapshot_items.c.link, snapshot_items.c.side, snapshot_items.c.kind, snapshot_items.c.item_id],
            set_={"data": statement.excluded.data},
        ),
        [{"link": link, "side": side, "kind": kind, "item_id": item_id, "data": data} for (kind, item_id), data in rows.items()],
    )


def delete(connection: Connection, link: str, side: str, keys: Iterable[RowKey]) -> None:
    params = [{"b_kind": kind, "b_id": item_id} for kind, item_id in keys]
    if not params:
        return
    _serialise(connection, link, side)
    connection.execute(
        sa.delete(snapshot_items).where(
            _where(link, side), snapshot_items.c.kind == sa.bindparam("b_kind"), snapshot_items.c.item_id == sa.bindparam("b_id")
        ),
        params,
    )


def forget(connection: Connection, link: str) -> None:
    connection.execute(sa.delete(snapshot_items).where(snapshot_items.c.link == link))
    connection.execute(sa.delete(snapshots).where(snapshots.c.link == link))
