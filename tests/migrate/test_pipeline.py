"""The first pass writes the target while the source is still read, and a crash mid-way still resumes cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bridge.core.ports import PartedPull
from connectors.emulation.toolkit import Recorded
from tests.migrate.support import Pairing
from tests.migrate.test_resume import Killed, killed_at, signature

TASKS_PER_SECTION = 12  # 36 tasks: the Asana source comes in several parts (10, then 20, then the rest)


def seeded(store_url: str) -> Pairing:
    pairing = Pairing("asana", "trello", store_url)
    pairing.fill(tasks_per_section=TASKS_PER_SECTION)
    return pairing


@contextmanager
def traffic(pairing: Pairing, *, hold_read: int = 0, until_writes: int = 0) -> Iterator[list[tuple[str, bool]]]:
    """Every request either tool receives, in the order received: (tool, is a write).

    With ``hold_read``, the source's n-th read of a task's comments waits (10 s at most) until the
    target has received ``until_writes`` writes: a migration that reads everything before writing
    anything never gets past it, so the wait ends unmet (``("held", False)`` in the record).
    """
    seen: list[tuple[str, bool]] = []
    src, dst = pairing.src.emulator, pairing.dst.emulator
    writes, reads = threading.Event(), {"n": 0}

    def source(record: Recorded) -> None:
        seen.append(("source", record.is_write))
        if "/stories" in record.path:
            reads["n"] += 1
            if reads["n"] == hold_read:
                seen.append(("held", writes.wait(10)))

    def target(record: Recorded) -> None:
        seen.append(("target", record.is_write))
        if sum(1 for tool, write in seen if tool == "target" and write) >= until_writes:
            writes.set()

    src.observers.append(source)
    dst.observers.append(target)
    try:
        yield seen
    finally:
        src.observers.remove(source)
        dst.observers.remove(target)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    pairing = seeded(f"sqlite:///{tmp_path_factory.mktemp('ref')}/state.db")
    report = pairing.migration().run()
    assert report.status == "ok"
    assert report.created["task"] == 3 * TASKS_PER_SECTION + 1  # and the subtask
    return signature(pairing.target())


def test_the_source_comes_in_parts_that_add_up_to_a_full_pull(store_url: str) -> None:
    pairing = seeded(store_url)
    reader = pairing.src.connector("bridge", "source")
    assert isinstance(reader, PartedPull)
    parts = list(reader.pull_parts(pairing.source_project))
    whole = reader.pull(pairing.source_project).snapshot
    assert len(parts) >= 3 and not parts[0].tasks and parts[0].sections == whole.sections
    assert [p.complete for p in parts] == [False] * (len(parts) - 1) + [True]
    for kind in ("tasks", "comments", "attachments"):
        merged: dict[str, Any] = {}
        for part in parts:
            assert not set(merged) & set(getattr(part, kind)), f"{kind} handed over twice"
            merged.update(getattr(part, kind))
        assert merged == getattr(whole, kind)
    for part in parts:  # a task's subtasks and comments come with it
        assert all(t.parent_id is None or t.parent_id in part.tasks for t in part.tasks.values())
        assert all(c.task_id in part.tasks for c in part.comments.values())


def test_the_first_write_comes_before_the_last_read(store_url: str, reference: dict[str, list[Any]]) -> None:
    pairing = seeded(store_url)
    # The second part's reads wait for 10 target writes: the 3 lists and tasks of the first part.
    with traffic(pairing, hold_read=15, until_writes=10) as seen:
        report = pairing.migration().run()
    assert ("held", True) in seen
    assert report.status == "ok" and report.passes == 1
    first_write = seen.index(("target", True))
    last_read = max(i for i, (tool, _) in enumerate(seen) if tool == "source")
    assert first_write < last_read
    assert signature(pairing.target()) == reference
    assert report.already_there == {}


def test_the_report_counts_what_was_wanted_and_created_once(store_url: str) -> None:
    pairing = seeded(store_url)
    report = pairing.migration().run()
    assert report.created == {k: n for k, n in report.wanted.items() if n}
    assert pairing.migration().run().created == {}  # a rerun finds everything there


@pytest.mark.parametrize("after_write", [True, False], ids=["after-write", "before-write"])
def test_killed_while_reading_and_writing_then_rerun_creates_nothing_twice(
    after_write: bool, tmp_path_factory: pytest.TempPathFactory, reference: dict[str, list[Any]]
) -> None:
    pairing = seeded(f"sqlite:///{tmp_path_factory.mktemp('kill')}/state.db")
    nth = 8  # past the sections and the first tasks; the source's second part waits for it
    with traffic(pairing, hold_read=15, until_writes=nth) as seen, killed_at(pairing, nth, after_write=after_write), \
            pytest.raises(Killed):
        pairing.migration().run()
    assert ("held", True) in seen
    reads_before_kill = sum(1 for tool, _ in seen[:seen.index(("held", True))] if tool == "source")
    pairing.store.close()
    pairing.store = type(pairing.store).open(pairing.store_url)
    with traffic(pairing) as again:
        report = pairing.migration().run()
    assert reads_before_kill < sum(1 for tool, _ in again if tool == "source")  # killed mid-read
    assert report.status == "ok", report.errors
    assert signature(pairing.target()) == reference


def test_killed_by_a_failing_read_after_writes_began_then_rerun_creates_nothing_twice(
    tmp_path_factory: pytest.TempPathFactory, reference: dict[str, list[Any]]
) -> None:
    pairing = seeded(f"sqlite:///{tmp_path_factory.mktemp('read')}/state.db")
    stories = {"n": 0}

    def die_on_a_late_read(record: Recorded) -> None:
        if "/stories" in record.path:
            stories["n"] += 1
            if stories["n"] == 25:  # in the second part: the first part's writes are under way
                # Wait (bounded) until they are: the writers run on other threads, so without it
                # a fast reader could fail before any task was written, and the test would flake.
                deadline = time.monotonic() + 10
                while pairing.target_writes() <= 3 and time.monotonic() < deadline:
                    time.sleep(0.01)
                raise Killed("killed while reading")

    pairing.src.emulator.observers.append(die_on_a_late_read)
    with pytest.raises(Killed):
        pairing.migration().run()
    pairing.src.emulator.observers.remove(die_on_a_late_read)
    written = pairing.target_writes()
    assert written > 3  # tasks, not just the sections, were written before the read failed
    pairing.store.close()
    pairing.store = type(pairing.store).open(pairing.store_url)
    report = pairing.migration().run()
    assert report.status == "ok", report.errors
    assert sum(report.already_there.values()) > 0
    assert signature(pairing.target()) == reference
