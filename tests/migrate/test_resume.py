"""Interrupted at any point (a failed write, a lost response, a killed process) and rerun: nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from bridge.core.model import Snapshot
from connectors.emulation.toolkit import Emulator, Fault, Recorded
from tests.migrate.support import Pairing

# Every kind of write a migration into Trello makes, by the emulator's path.
TRELLO_WRITES = {
    "section": r"^/lists$",
    "label": r"^/labels$",
    "task": r"^/cards$",
    "checklist": r"^/cards/[^/]+/checklists$",
    "subtask": r"/checkItems$",
    "comment": r"/actions/comments$",
    "attachment": r"/attachments$",
}


class Killed(Exception):
    """The process died: not an API error, so nothing catches it on the way up."""


def signature(snapshot: Snapshot) -> dict[str, list[Any]]:
    """What the target holds, as multisets: a duplicate shows up as a repeated entry."""
    titles = {t.id: t.title for t in snapshot.tasks.values()}
    return {
        "sections": sorted(s.name for s in snapshot.sections.values()),
        "tasks": sorted((t.title, titles.get(t.parent_id or "", "")) for t in snapshot.tasks.values()),
        "comments": sorted((titles[c.task_id], c.text) for c in snapshot.comments.values()),
        "attachments": sorted((titles[a.task_id], a.url) for a in snapshot.attachments.values()),
    }


def seeded(store_url: str) -> Pairing:
    pairing = Pairing("asana", "trello", store_url)
    pairing.fill(tasks_per_section=1)
    return pairing


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    pairing = seeded(f"sqlite:///{tmp_path_factory.mktemp('ref')}/state.db")
    assert pairing.migration().run().status == "ok"
    return signature(pairing.target())


@pytest.fixture(scope="module")
def write_count(tmp_path_factory: pytest.TempPathFactory) -> int:
    pairing = seeded(f"sqlite:///{tmp_path_factory.mktemp('count')}/state.db")
    pairing.migration().run()
    return pairing.target_writes()


@pytest.mark.parametrize("fault", [Fault.FAIL_AFTER, Fault.LOSE_RESPONSE, Fault.FAIL_BEFORE])
@pytest.mark.parametrize("kind", sorted(TRELLO_WRITES))
def test_a_failed_write_of_every_kind_is_finished_without_duplicates(
    kind: str, fault: Fault, store_url: str, reference: dict[str, list[Any]]
) -> None:
    pairing = seeded(store_url)
    pairing.dst.emulator.inject(fault, "POST", TRELLO_WRITES[kind])
    report = pairing.migration().run()
    if report.status != "ok":  # the run's own later pass did not get everything: a rerun does
        assert pairing.migration().run().status == "ok"
    assert signature(pairing.target()) == reference


@contextmanager
def killed_at(pairing: Pairing, nth_write: int, *, after_write: bool) -> Iterator[None]:
    """Kill the migration at the target's n-th write: before it reaches the tool, or after it took effect."""
    emulator = pairing.dst.emulator
    seen = {"writes": 0}

    def before(record: Recorded) -> None:
        if record.is_write:
            seen["writes"] += 1
            if seen["writes"] == nth_write:
                raise Killed(f"killed before write {nth_write}")

    def after(tool: Emulator, record: Recorded, _response: httpx.Response) -> None:
        if tool is emulator and record.is_write:
            seen["writes"] += 1
            if seen["writes"] == nth_write:
                raise Killed(f"killed after write {nth_write}")

    if after_write:
        Emulator.watchers.append(after)
    else:
        emulator.observers.append(before)
    try:
        yield
    finally:
        if after_write:
            Emulator.watchers.remove(after)
        else:
            emulator.observers.remove(before)


@pytest.mark.parametrize("after_write", [True, False], ids=["after-write", "before-write"])
def test_killed_at_every_write_then_rerun_creates_nothing_twice(
    after_write: bool, tmp_path_factory: pytest.TempPathFactory, reference: dict[str, list[Any]], write_count: int
) -> None:
    points = range(1, write_count + 1) if after_write else sorted({1, write_count // 2, write_count})
    for nth in points:
        pairing = seeded(f"sqlite:///{tmp_path_factory.mktemp('kill')}/state.db")
        with killed_at(pairing, nth, after_write=after_write), pytest.raises(Killed):
            pairing.migration().run()
        # A new process: new connectors, the same state store.
        pairing.store.close()
        pairing.store = type(pairing.store).open(pairing.store_url)
        report = pairing.migration().run()
        assert report.status == "ok", (nth, report.errors)
        assert signature(pairing.target()) == reference, f"killed at write {nth}"
