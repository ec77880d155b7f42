"""The snapshot cache: faithful round trips, saves that write only differences, speed at 10,000 tasks."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task
from bridge.store import Pair, Store

Counter = Callable[[Engine], AbstractContextManager[list[str]]]


def test_sample_sets_every_field_of_every_kind(sample: Snapshot) -> None:
    # Guards the round-trip test: a field left at its default would survive by accident.
    items: list[BaseModel] = [sample, *sample.sections.values(), *sample.tasks.values(), *sample.comments.values()]
    items += [*sample.attachments.values(), *sample.people.values()]
    for item in items:
        for name, field in type(item).model_fields.items():
            default = field.get_default(call_default_factory=True)
            assert getattr(item, name) != default, f"{type(item).__name__}.{name} is at its default"
    assert {Section, Task, Comment, Attachment, Person} == {type(i) for i in items[1:]}


def test_round_trip_keeps_every_field(store: Store, sample: Snapshot) -> None:
    store.save_snapshot("L", "internal", sample, "cursor-1")
    cursor, loaded = store.load_snapshot("L", "internal")
    assert cursor == "cursor-1"
    assert loaded == sample
    assert loaded is not None and loaded.tasks["t1"].created_at == sample.tasks["t1"].created_at


def test_nothing_cached_reads_as_none(store: Store, sample: Snapshot) -> None:
    store.save_snapshot("L", "internal", sample, None)
    assert store.load_snapshot("L", "client") == (None, None)
    assert store.load_snapshot("M", "internal") == (None, None)
    assert store.load_snapshot("L", "internal")[0] is None


def test_sides_and_links_are_separate(store: Store, sample: Snapshot) -> None:
    other = sample.model_copy(update={"connection": "trello", "tasks": {}})
    store.save_snapshot("L", "internal", sample, "a")
    store.save_snapshot("L", "client", other, "b")
    store.save_snapshot("M", "internal", other, "c")
    assert store.load_snapshot("L", "internal") == ("a", sample)
    assert store.load_snapshot("L", "client") == ("b", other)
    assert store.load_snapshot("M", "internal") == ("c", other)


def test_saving_an_unchanged_snapshot_writes_nothing(store: Store, sample: Snapshot, write_statements: Counter) -> None:
    store.save_snapshot("L", "internal", sample, "cursor-1")
    _, reloaded = store.load_snapshot("L", "internal")
    assert reloaded is not None
    reordered = sample.model_copy(deep=True)
    reordered.tasks["t1"].custom_fields = dict(reversed(sample.tasks["t1"].custom_fields.items()))
    with write_statements(store.engine) as seen:
        store.save_snapshot("L", "internal", sample, "cursor-1")
        store.save_snapshot("L", "internal", reloaded, "cursor-1")
        store.save_snapshot("L", "internal", reordered, "cursor-1")
    assert seen == []


def test_save_writes_only_what_differs(store: Store, sample: Snapshot, write_statements: Counter) -> None:
    store.save_snapshot("L", "internal", sample, "cursor-1")
    edited = sample.model_copy(deep=True)
    edited.tasks["t1"].title = "Hero image v2"
    with write_statements(store.engine) as seen:
        store.save_snapshot("L", "internal", edited, "cursor-1")
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("UPDATE SNAPSHOT_ITEMS")

    with write_statements(store.engine) as seen:
        store.save_snapshot("L", "internal", edited, "cursor-2")
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("UPDATE SNAPSHOTS")
    assert store.load_snapshot("L", "internal") == ("cursor-2", edited)


def test_save_adds_and_removes_items(store: Store, sample: Snapshot) -> None:
    store.save_snapshot("L", "internal", sample, "c1")
    changed = sample.model_copy(deep=True)
    del changed.comments["c1"]
    changed.tasks["t2"] = Task(id="t2", title="Copy", section_id="s1")
    changed.complete = True
    store.save_snapshot("L", "internal", changed, "c2")
    assert store.load_snapshot("L", "internal") == ("c2", changed)


def test_put_items_updates_the_cache_and_keeps_the_cursor(store: Store, sample: Snapshot) -> None:
    store.save_snapshot("L", "client", sample, "c1")
    renamed = sample.tasks["t1"].model_copy(update={"title": "Renamed"})
    added = Comment(id="c2", task_id="t1", text="new")
    store.put_items("L", "client", [renamed, added], [("attachment", "a1"), ("section", "nope")])
    cursor, loaded = store.load_snapshot("L", "client")
    assert cursor == "c1"
    assert loaded is not None
    assert loaded.tasks["t1"].title == "Renamed"
    assert set(loaded.comments) == {"c1", "c2"}
    assert loaded.attachments == {}
    assert loaded.sections == sample.sections


def test_put_items_refuses_what_a_snapshot_cannot_hold(store: Store) -> None:
    with pytest.raises(TypeError, match="Pair"):
        store.put_items("L", "client", [Pair(kind="task", key="k", internal_id=None, client_id=None)], [])  # type: ignore[list-item]


def test_forget_link_drops_pairs_snapshots_and_cursors_but_not_audit(store: Store, sample: Snapshot) -> None:
    for link in ("L", "M"):
        store.save_snapshot(link, "internal", sample, "cur")
        store.save_pair(link, Pair(kind="task", key="t1", internal_id="t1", client_id="c1"))
        store.begin_intent(link, "client", "task", "t2", {})
        store.audit(link, "created", kind="task", key="t1")
    store.forget_link("L")
    assert store.load_snapshot("L", "internal") == (None, None)
    assert store.pairs("L") == []
    assert store.pending_intents("L") == []
    assert len(store.audit_entries("L")) == 1
    assert store.load_snapshot("M", "internal") == ("cur", sample)
    assert len(store.pairs("M")) == 1


def big_snapshot(count: int) -> Snapshot:
    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    tasks = {
        f"task-{n:05d}": Task(
            id=f"task-{n:05d}",
            title=f"Task number {n}",
            notes="Some **markdown** notes\n\n- item one\n- item two " * 3,
            section_id=f"s{n % 20}",
            due=dt.date(2024, 1 + n % 12, 1 + n % 28),
            assignees=[f"p{n % 7}"],
            labels=["alpha", "beta"] if n % 2 else [],
            position=float(n),
            custom_fields={"Client access": "client"},
            created_at=stamp,
            modified_at=stamp + dt.timedelta(seconds=n),
            version=f"v{n}",
        )
        for n in range(count)
    }
    sections = {f"s{n}": Section(id=f"s{n}", name=f"Section {n}", position=n) for n in range(20)}
    return Snapshot(connection="asana", project_id="p", sections=sections, tasks=tasks)


def test_ten_thousand_tasks(store: Store, store_url: str, write_statements: Counter, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = big_snapshot(10_000)
    started = time.perf_counter()
    store.save_snapshot("L", "internal", snapshot, "c1")
    first_save = time.perf_counter() - started

    started = time.perf_counter()
    cursor, loaded = store.load_snapshot("L", "internal")
    load = time.perf_counter() - started
    assert cursor == "c1" and loaded == snapshot

    with write_statements(store.engine) as seen:
        started = time.perf_counter()
        store.save_snapshot("L", "internal", snapshot, "c1")
        unchanged_save = time.perf_counter() - started
    assert seen == []

    edited = snapshot.model_copy(deep=True)
    for n in range(0, 10_000, 100):
        edited.tasks[f"task-{n:05d}"].done = True
    started = time.perf_counter()
    store.save_snapshot("L", "internal", edited, "c2")
    hundred_changed = time.perf_counter() - started
    assert store.load_snapshot("L", "internal") == ("c2", edited)

    backend = store_url.split(":", 1)[0]
    with capsys.disabled():
        print(
            f"\n[{backend}] 10,000 tasks: first save {first_save:.3f}s, load {load:.3f}s, "
            f"unchanged save {unchanged_save:.3f}s, save with 100 changed {hundred_changed:.3f}s"
        )
