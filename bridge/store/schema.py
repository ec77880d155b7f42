"""Opening the database and bringing its schema to the current revision.

Schema changes happen only through the Alembic migrations shipped in
``migrations/``; they run programmatically, so no ``alembic.ini`` is needed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import StaticPool

from bridge.errors import BridgeError

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "pm_bridge_schema_version"
BUSY_TIMEOUT_SECONDS = 30.0
# Any constant works; it only has to be the same in every process migrating one database.
MIGRATION_LOCK_KEY = 0x706D_6272_6964_6765 & 0x7FFF_FFFF_FFFF_FFFF  # "pmbridge"
# Connection option marking a transaction that only reads (SQLite may then skip the write lock).
READ_ONLY = "bridge_read_only"
# Alembic installs its migration context as a module global, so two threads of one
# process must never migrate at once (they would swap connections mid-run).
_migrating = threading.Lock()


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_engine(raw_url: str) -> Engine:
    url = sa.make_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    options: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}}
    if is_memory(url):
        # One connection holds the whole in-memory database; the Store serialises access to it.
        options["poolclass"] = StaticPool
    elif url.database and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **options)

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not open transactions on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not is_memory(url):
            cursor.execute("PRAGMA journal_mode = WAL")
            # With WAL, NORMAL survives a killed process; only a power cut can lose the last commits.
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes fails with "database is locked"
        # when another writer got in between (the busy timeout cannot help then), so
        # writers take the lock up front.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    config.attributes["version_table"] = VERSION_TABLE
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


class NewerSchema(BridgeError):
    """The store's schema revision is not one this version ships: a newer pm-bridge wrote it."""


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision`` in one transaction; concurrent callers wait for each other."""
    with _migrating, engine.begin() as connection:
        _lock(connection)
        _refuse_newer(connection)
        command.upgrade(alembic_config(connection), revision)


def _refuse_newer(connection: Connection) -> None:
    # Alembic would fail with "Can't locate revision": the store is fine, this program is too old for it.
    # Refusing before any change keeps the store as the newer version left it.
    from alembic.runtime.migration import MigrationContext

    stamped = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_heads()
    known = {script.revision for script in script_directory().walk_revisions()}
    unknown = [revision for revision in stamped if revision not in known]
    if unknown:
        raise NewerSchema(
            f"this state store was written by a newer pm-bridge (revision {', '.join(unknown)}); "
            "upgrade, or point `state:` elsewhere",
            hint="pip install --upgrade pm-bridge, or set `state:` in the config to another database",
        )


def downgrade(engine: Engine, revision: str) -> None:
    with _migrating, engine.begin() as connection:
        _lock(connection)
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def _lock(connection: Connection) -> None:
    # SQLite: BEGIN IMMEDIATE already serialises writers. PostgreSQL: DDL would
    # race between daemons starting together, so they queue on an advisory lock
    # that the transaction's end releases.
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
