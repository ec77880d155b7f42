"""Intents, the audit log, runs and link metadata."""

from __future__ import annotations

import pytest

from bridge import secrets
from bridge.core.model import Snapshot, Task
from bridge.store import CONFLICT, CONFLICT_RESOLVED, CONFLICT_SETTLED, DuplicateClaim, Pair, Store, UnknownRecord
from bridge.store import snapshots as snapshot_cache

TOKEN = "tok_9f8e7d6c5b4a39281706"


def test_intent_is_pending_until_completed_with_its_pair_and_item(store: Store, sample: Snapshot) -> None:
    store.save_snapshot("L", "client", sample, "cur")
    intent_id = store.begin_intent("L", "client", "task", "t9", {"title": "New task", "section": "s1"})
    [pending] = store.pending_intents("L")
    assert (pending.id, pending.side, pending.kind, pending.key, pending.status) == (intent_id, "client", "task", "t9", "pending")
    assert pending.detail == {"title": "New task", "section": "s1"}
    assert store.pending_intents("other") == []

    created = Task(id="c9", title="New task", section_id="s1")
    store.complete_intent(intent_id, Pair(kind="task", key="t9", internal_id="t9", client_id="c9"), [created])
    assert store.pending_intents("L") == []
    assert [(p.key, p.client_id) for p in store.pairs("L")] == [("t9", "c9")]
    cursor, cached = store.load_snapshot("L", "client")
    assert cursor == "cur" and cached is not None and cached.tasks["c9"] == created


def test_complete_intent_can_name_the_side_of_the_items(store: Store, sample: Snapshot) -> None:
    store.save_snapshot("L", "internal", sample, "cur")
    intent_id = store.begin_intent("L", "client", "task", "t9", {})
    store.complete_intent(intent_id, None, [Task(id="t9", title="x")], side="internal")
    _, cached = store.load_snapshot("L", "internal")
    assert cached is not None and "t9" in cached.tasks
    assert store.pairs("L") == []
    assert store.pending_intents("L") == []


def test_complete_intent_is_atomic_when_the_pair_is_refused(store: Store) -> None:
    store.save_pair("L", Pair(kind="task", key="t1", internal_id="t1", client_id="c1"))
    intent_id = store.begin_intent("L", "client", "task", "t2", {})
    with pytest.raises(DuplicateClaim):
        store.complete_intent(
            intent_id, Pair(kind="task", key="t2", internal_id="t2", client_id="c1"), [Task(id="c1", title="x")]
        )
    assert [p.key for p in store.pending_intents("L")] == ["t2"]
    assert [p.key for p in store.pairs("L")] == ["t1"]
    assert store.load_snapshot("L", "client") == (None, None)


def test_complete_intent_is_atomic_when_a_later_step_fails(
    store: Store, sample: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save_snapshot("L", "client", sample, "cur")
    intent_id = store.begin_intent("L", "client", "task", "t2", {})

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    # The pair is written first; the failure comes after it, inside the same transaction.
    monkeypatch.setattr(snapshot_cache, "upsert", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        store.complete_intent(
            intent_id, Pair(kind="task", key="t2", internal_id="t2", client_id="c2"), [Task(id="c2", title="x")]
        )
    assert store.pairs("L") == []
    assert [i.status for i in store.pending_intents("L")] == ["pending"]


def test_failed_intent_is_no_longer_pending_and_its_error_is_redacted(store: Store) -> None:
    secrets.register(TOKEN)
    intent_id = store.begin_intent("L", "client", "task", "t2", {})
    store.fail_intent(intent_id, f"422 from https://api.test/tasks?token={TOKEN}")
    assert store.pending_intents("L") == []
    with store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT status, error FROM intents").all()
    assert [(status, TOKEN in error) for status, error in stored] == [("failed", False)]


def test_unknown_intents_and_runs_are_errors(store: Store) -> None:
    with pytest.raises(UnknownRecord):
        store.complete_intent(999, None)
    with pytest.raises(UnknownRecord):
        store.fail_intent(999, "x")
    with pytest.raises(UnknownRecord):
        store.finish_run(999, "ok", {})


def test_audit_detail_never_holds_a_secret(store: Store) -> None:
    secrets.register(TOKEN)
    detail = {
        "request": f"GET /1/cards?key=abc123&token={TOKEN}",
        "headers": {"Authorization": f"Bearer {TOKEN}"},
        "nested": [{"note": f'quote " and {TOKEN}'}],
        "count": 3,
    }
    store.audit("L", "error", kind="task", key="t1", detail=detail, run_id=7)
    [entry] = store.audit_entries("L")
    assert TOKEN not in str(entry.detail)
    assert entry.detail["count"] == 3
    assert "abc123" not in entry.detail["request"]
    assert (entry.event, entry.kind, entry.key, entry.run_id) == ("error", "task", "t1", 7)
    with store.engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT detail FROM audit_log").scalar()
    assert TOKEN not in str(raw)


def test_audit_entries_filter_and_come_newest_first(store: Store) -> None:
    for n in range(5):
        store.audit("L", "created", key=f"t{n}")
    store.audit("L", "deleted", key="t0")
    store.audit("M", "created", key="m0")
    assert [e.key for e in store.audit_entries("L", "created", limit=3)] == ["t4", "t3", "t2"]
    assert [e.key for e in store.audit_entries(event="deleted")] == ["t0"]
    assert len(store.audit_entries()) == 7
    assert store.audit_entries("L")[0].detail == {}


def test_conflicts_stay_open_until_resolved(store: Store) -> None:
    store.audit("L", CONFLICT, kind="task", key="t1", detail={"field": "title"})
    store.audit("L", CONFLICT, kind="task", key="t1", detail={"field": "due"})
    store.audit("L", CONFLICT, kind="task", key="t2", detail={"field": "title"})
    store.audit("L", CONFLICT_SETTLED, kind="task", key="t3", detail={"policy": "internal_wins"})
    store.audit("M", CONFLICT, kind="task", key="t1")
    assert [(e.link, e.key) for e in store.open_conflicts()] == [("L", "t1"), ("L", "t1"), ("L", "t2"), ("M", "t1")]
    store.resolve_conflicts("L", "task", "t1")
    assert [(e.link, e.key) for e in store.open_conflicts("L")] == [("L", "t2")]
    assert [e.key for e in store.open_conflicts("M")] == ["t1"]
    [resolved] = store.audit_entries("L", CONFLICT_RESOLVED)
    assert (resolved.key, resolved.detail) == ("t1", {"closed": 2})
    closed = [e for e in store.audit_entries("L", CONFLICT) if e.key == "t1"]
    assert all(e.resolved_at is not None for e in closed)


def test_runs_report_the_latest_per_link(store: Store) -> None:
    first = store.start_run("L")
    store.finish_run(first, "ok", {"created": 2})
    second = store.start_run("L")
    other = store.start_run("M")
    store.finish_run(other, "failed", {}, error=f"401 with token={TOKEN}")
    runs = store.last_runs()
    assert set(runs) == {"L", "M"}
    assert (runs["L"].run_id, runs["L"].status, runs["L"].finished_at) == (second, "running", None)
    assert runs["M"].status == "failed" and runs["M"].error is not None and TOKEN not in runs["M"].error
    assert runs["M"].finished_at is not None and runs["M"].finished_at >= runs["M"].started_at
    store.finish_run(second, "ok", {"created": 1, "updated": 4})
    assert store.last_runs()["L"].counts == {"created": 1, "updated": 4}


def test_link_meta_merges_values(store: Store) -> None:
    assert store.link_meta("L") == {}
    store.set_link_meta("L", first_run="2024-06-01T00:00:00+00:00", mode="new_only")
    store.set_link_meta("L", mode="all", extra={"a": [1, 2]}, empty=None)
    store.set_link_meta("M", mode="x")
    assert store.link_meta("L") == {
        "first_run": "2024-06-01T00:00:00+00:00",
        "mode": "all",
        "extra": {"a": [1, 2]},
        "empty": None,
    }
