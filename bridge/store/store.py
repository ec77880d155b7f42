"""The state store the engine talks to: id map, snapshot cache, journal, audit, runs, leases.

Every public method is one transaction. The store is safe to share between
threads: each call borrows its own pooled connection (an in-memory SQLite
database has only one, so calls on it take turns).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy.engine import Connection, Engine

from bridge.core.model import Snapshot
from bridge.store import alert_state, hints, journal, leases, pairs, schema, snapshots
from bridge.store import audit as audit_log
from bridge.store.records import AuditEntry, Intent, Pair, RunInfo, now
from bridge.store.redaction import scrub_text
from bridge.store.snapshots import Item


class Store:
    def __init__(self, engine: Engine, *, clock: leases.LeaseClock | None = None) -> None:
        self.engine = engine
        self._clock: leases.LeaseClock = clock or leases.WallClock()
        memory = schema.is_memory(engine.url)
        self._turns: contextlib.AbstractContextManager[Any] = threading.RLock() if memory else contextlib.nullcontext()

    @classmethod
    def open(cls, url: str, *, clock: leases.LeaseClock | None = None) -> Store:
        """Connect (creating a SQLite file and its directories if needed) and migrate to the newest schema.

        ``clock`` only times leases; it must read the same on every daemon sharing
        the database, so the default is wall-clock time.
        """
        engine = schema.create_engine(url)
        try:
            schema.migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._turns, self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._turns, self.engine.connect() as connection:
            connection.execution_options(**{schema.READ_ONLY: True})
            with connection.begin():
                yield connection

    # id map + base

    def pairs(self, link: str) -> list[Pair]:
        with self._read() as connection:
            return pairs.load(connection, link)

    def save_pair(self, link: str, pair: Pair) -> None:
        with self._write() as connection:
            pairs.save(connection, link, pair, now())

    def foreign_client_items(self, link: str, internal_project: str) -> frozenset[str]:
        """Internal ids of what other links' clients created on this internal project."""
        with self._read() as connection:
            return pairs.foreign_client_items(connection, link, internal_project)

    def delete_pair(self, link: str, kind: str, key: str) -> None:
        with self._write() as connection:
            pairs.delete(connection, link, kind, key)

    # cached snapshots

    def load_snapshot(self, link: str, side: str) -> tuple[str | None, Snapshot | None]:
        with self._read() as connection:
            return snapshots.load(connection, link, side)

    def save_snapshot(self, link: str, side: str, snapshot: Snapshot, cursor: str | None) -> None:
        with self._write() as connection:
            snapshots.save(connection, link, side, snapshot, cursor, now())

    def put_items(self, link: str, side: str, upserts: list[Item], deletes: list[tuple[str, str]]) -> None:
        with self._write() as connection:
            snapshots.upsert(connection, link, side, upserts)
            snapshots.delete(connection, link, side, deletes)

    def forget_link(self, link: str) -> None:
        """Drop the link's pairs, cached snapshots, cursors and journal; keep audit, runs, metadata and lease."""
        with self._write() as connection:
            pairs.forget(connection, link)
            snapshots.forget(connection, link)
            journal.forget(connection, link)

    # journal

    def begin_intent(self, link: str, side: str, kind: str, key: str, detail: dict[str, Any]) -> int:
        with self._write() as connection:
            return journal.begin(connection, link, side, kind, key, detail, now())

    def complete_intent(
        self, intent_id: int, pair: Pair | None, items: list[Item] | None = None, side: str | None = None
    ) -> None:
        """Save the pair and the cached items (on ``side``, by default the intent's) and mark the intent done, atomically."""
        with self._write() as connection:
            intent = journal.find(connection, intent_id)
            stamp = now()
            if pair is not None:
                pairs.save(connection, intent.link, pair, stamp)
            if items:
                snapshots.upsert(connection, intent.link, side or intent.side, items)
            journal.finish(connection, intent_id, "done", None, stamp)

    def fail_intent(self, intent_id: int, error: str) -> None:
        with self._write() as connection:
            journal.finish(connection, intent_id, "failed", scrub_text(error), now())

    def pending_intents(self, link: str) -> list[Intent]:
        with self._read() as connection:
            return journal.pending(connection, link)

    def unrecorded_intents(self, link: str, side: str, kind: str, key: str) -> list[Intent]:
        """Earlier creates of this item whose outcome nobody recorded (docs/files.md, "Never uploaded twice")."""
        with self._read() as connection:
            return journal.unrecorded(connection, link, side, kind, key)

    # audit log

    def audit(
        self,
        link: str,
        event: str,
        *,
        kind: str | None = None,
        key: str | None = None,
        detail: dict[str, Any] | None = None,
        run_id: int | None = None,
    ) -> None:
        with self._write() as connection:
            audit_log.record(connection, link, event, kind=kind, key=key, detail=detail, run_id=run_id, now=now())

    def audit_entries(self, link: str | None = None, event: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        with self._read() as connection:
            return audit_log.entries(connection, link, event, limit)

    def open_conflicts(self, link: str | None = None) -> list[AuditEntry]:
        """Entries with event ``conflict`` not yet resolved, oldest first."""
        with self._read() as connection:
            return audit_log.open_conflicts(connection, link)

    def audit_search(
        self,
        *,
        links: list[str] | None = None,
        since: dt.datetime | None = None,
        keys: list[str] | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """Newest first, filtered by links, time and item keys (what ``pm-bridge log`` reads)."""
        with self._read() as connection:
            return audit_log.search(connection, links=links, since=since, keys=keys, limit=limit)

    def audit_entry(self, entry_id: int) -> AuditEntry | None:
        with self._read() as connection:
            return audit_log.entry(connection, entry_id)

    def close_conflict(
        self, link: str, entry_id: int, event: str, detail: dict[str, Any], run_id: int | None = None
    ) -> bool:
        """Close one open conflict and record ``event`` (e.g. conflict_resolved) with ``detail``, atomically."""
        with self._write() as connection:
            return audit_log.close_conflict(connection, link, entry_id, event, detail, run_id, now())

    def resolve_conflicts(self, link: str, kind: str, key: str) -> None:
        with self._write() as connection:
            audit_log.resolve_conflicts(connection, link, kind, key, now())

    def open_notices(self, link: str | None = None) -> list[AuditEntry]:
        """Notices still found by the link's last cycle, oldest first."""
        with self._read() as connection:
            return audit_log.open_notices(connection, link)

    def sync_notices(self, link: str, current: dict[str, dict[str, Any]], run_id: int | None = None) -> list[str]:
        """Record the notices first seen now and close the ones gone; returns the new keys."""
        with self._write() as connection:
            return audit_log.sync_notices(connection, link, current, run_id, now())

    # runs

    def start_run(self, link: str) -> int:
        with self._write() as connection:
            return journal.start_run(connection, link, now())

    def finish_run(self, run_id: int, status: str, counts: dict[str, int], error: str | None = None) -> None:
        with self._write() as connection:
            journal.finish_run(connection, run_id, status, counts, scrub_text(error), now())

    def last_runs(self) -> dict[str, RunInfo]:
        with self._read() as connection:
            return journal.last_runs(connection)

    # per-link metadata

    def link_meta(self, link: str) -> dict[str, Any]:
        with self._read() as connection:
            return leases.meta(connection, link)

    def set_link_meta(self, link: str, **values: Any) -> None:
        with self._write() as connection:
            leases.set_meta(connection, link, values)

    # webhook hints (bridge/store/hints.py)

    def note_hints(self, link: str, side: str, kinds: frozenset[str], at: float) -> None:
        with self._write() as connection:
            hints.note(connection, link, side, kinds, at)

    def pending_hints(self, link: str, side: str) -> dict[str, float] | None:
        with self._read() as connection:
            return hints.pending(connection, link, side)

    def forget_hints(self, link: str, side: str, read: dict[str, float]) -> None:
        if read:
            with self._write() as connection:
                hints.forget(connection, link, side, read)

    def last_deliveries(self, links: list[str]) -> dict[tuple[str, str], float]:
        with self._read() as connection:
            return hints.last_deliveries(connection, links)

    def unserve_hints(self, link: str, side: str) -> None:
        with self._write() as connection:
            hints.unserve(connection, link, side)

    # alerts (bridge/alerts): one document, replaced by compare-and-set

    def alert_state(self, scope: str = "alerts") -> tuple[int, dict[str, Any] | None]:
        with self._read() as connection:
            return alert_state.load(connection, scope)

    def save_alert_state(self, version: int, state: dict[str, Any], scope: str = "alerts") -> bool:
        """Replace the state read as ``version``; False (nothing written) when another process replaced it first."""
        with self._write() as connection:
            return alert_state.replace(connection, scope, version, state, now())

    # leases

    def try_lease(self, link: str, owner: str, ttl_seconds: float) -> bool:
        """Take or renew the link's lease: succeeds if it is free, expired or already ``owner``'s."""
        with self._write() as connection:
            return leases.take(connection, link, owner, ttl_seconds, self._clock.now())

    def renew_leases(self, links: list[str], owner: str, ttl_seconds: float) -> set[str]:
        """Renew ``owner``'s live leases among ``links`` in one transaction; the ones renewed.

        A heartbeat of a daemon holding a thousand links is then one write, not a thousand
        (each of which would hold SQLite's write lock against the cycles).
        """
        with self._write() as connection:
            return leases.renew(connection, links, owner, ttl_seconds, self._clock.now())

    def release_lease(self, link: str, owner: str) -> None:
        with self._write() as connection:
            leases.release(connection, link, owner)
