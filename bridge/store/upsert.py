"""Dialect-specific INSERT ... ON CONFLICT and advisory-lock keys, shared by the store's modules."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bridge.errors import ConfigError

Insert = postgresql.Insert | sqlite.Insert


def insert_for(connection: Connection, table: sa.Table) -> Insert:
    """An INSERT that knows ON CONFLICT: both supported databases have it, with the same meaning."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise ConfigError(
        f"the state store supports SQLite and PostgreSQL, not {connection.dialect.name}",
        hint="set `state:` in the config to a sqlite:/// or postgresql+psycopg:// URL",
    )


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock (Python's hash() differs between processes)."""
    digest = hashlib.blake2b("\x1f".join(("pm-bridge", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
