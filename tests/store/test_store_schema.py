"""Migrations build the schema from empty, are idempotent, and agree with the tables module."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bridge.store import Pair, Store, schema
from bridge.store.tables import metadata

TABLES = {"pairs", "snapshots", "snapshot_items", "intents", "audit_log", "runs", "link_meta", "leases", "alert_state"}


def test_history_starts_at_one_base_and_has_one_head() -> None:
    scripts = schema.script_directory()
    bases = scripts.get_bases()
    assert len(bases) == 1
    assert scripts.get_revision(bases[0]).down_revision is None
    assert len(scripts.get_heads()) == 1


def test_open_migrates_an_empty_database_to_head(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        assert schema.current_revision(store.engine) == schema.script_directory().get_current_head()
        tables = set(sa.inspect(store.engine).get_table_names())
        assert tables >= TABLES
        assert schema.VERSION_TABLE in tables
    finally:
        store.close()


def test_opening_twice_keeps_data_and_revision(store_url: str) -> None:
    first = Store.open(store_url)
    first.save_pair("link", Pair(kind="task", key="t1", internal_id="t1", client_id="c1"))
    revision = schema.current_revision(first.engine)
    first.close()
    second = Store.open(store_url)
    try:
        assert schema.current_revision(second.engine) == revision
        assert [pair.key for pair in second.pairs("link")] == ["t1"]
    finally:
        second.close()


def test_migrated_schema_matches_the_tables_module(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [d for d in compare_metadata(context, metadata) if not _is_version_table(d)]
        assert differences == []
    finally:
        store.close()


def _is_version_table(difference: object) -> bool:
    return isinstance(difference, tuple) and difference[0] == "remove_table" and difference[1].name == schema.VERSION_TABLE


def test_downgrade_to_base_and_back(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        schema.downgrade(store.engine, "base")
        assert not TABLES & set(sa.inspect(store.engine).get_table_names())
        schema.migrate(store.engine)
        assert set(sa.inspect(store.engine).get_table_names()) >= TABLES
    finally:
        store.close()


def test_concurrent_opens_of_a_fresh_database_all_succeed(store_url: str) -> None:
    # Daemons starting together must queue on the migration instead of racing the DDL.
    errors: list[BaseException] = []
    opened: list[Store] = []
    start = threading.Barrier(4)

    def open_store() -> None:
        start.wait()
        try:
            opened.append(Store.open(store_url))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_store, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Unguarded DDL on PostgreSQL can block forever rather than fail: a stuck thread is a failure too.
    assert not any(thread.is_alive() for thread in threads)
    for store in opened:
        store.close()
    assert errors == []
    assert len(opened) == 4


def test_concurrent_opens_from_separate_processes_all_succeed(store_url: str) -> None:
    # Separate processes share nothing in memory: only the database (advisory lock / BEGIN IMMEDIATE) orders them.
    code = "import sys; from bridge.store import Store; Store.open(sys.argv[1]).close()"
    processes = [
        subprocess.Popen([sys.executable, "-c", code, store_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], [err for _, err in results]
    store = Store.open(store_url)
    try:
        assert schema.current_revision(store.engine) == schema.script_directory().get_current_head()
    finally:
        store.close()


def test_sqlite_creates_directories_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        assert path.exists()
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == int(schema.BUSY_TIMEOUT_SECONDS * 1000)
    finally:
        store.close()


def test_in_memory_sqlite_works_across_threads() -> None:
    store = Store.open("sqlite://")
    try:
        threads = [
            threading.Thread(
                target=store.save_pair, args=("l", Pair(kind="task", key=f"k{i}", internal_id=f"i{i}", client_id=None))
            )
            for i in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.pairs("l")) == 8
    finally:
        store.close()
