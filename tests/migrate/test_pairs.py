"""Representative pairs: everything arrives, in order, attributed, and a rerun writes nothing."""

from __future__ import annotations

import pytest

from bridge.core.model import Snapshot
from tests.migrate.support import SECTIONS, Pairing, ordered_titles

PAIRS = [("asana", "trello"), ("trello", "asana"), ("asana", "github"), ("trello", "basecamp"), ("github", "trello")]


def by_title(snapshot: Snapshot) -> dict[str, object]:
    return {t.title: t for t in snapshot.tasks.values()}


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_a_migration_copies_everything_in_order_and_a_rerun_writes_nothing(
    source_kind: str, target_kind: str, store_url: str
) -> None:
    pairing = Pairing(source_kind, target_kind, store_url)
    source = pairing.fill(tasks_per_section=3)
    seeded = pairing.source_writes()
    report = pairing.migration().run()
    assert report.status == "ok", report.errors
    assert pairing.source_writes() == seeded  # a migration never writes to its source
    target = pairing.target()

    # Sections and tasks, in the source's order within each section.
    wanted = [(name, [f"{name} task {n}" for n in range(3)]) for name in SECTIONS]
    got = {name: [t for t in titles if t != "Check the fonts"] for name, titles in ordered_titles(target)}
    for name, titles in wanted:
        assert got[name] == titles
    # Subtask: nested where the target nests, a task of its own where it cannot (Basecamp).
    fonts = [t for t in target.tasks.values() if t.title == "Check the fonts"]
    assert len(fonts) == 1
    assert (fonts[0].parent_id is not None) == bool(pairing.dst.connector().capabilities.subtask_fields)
    # Done states and, where both tools hold them, due dates and labels.
    tasks = by_title(target)
    caps = pairing.dst.connector().capabilities.task_fields & pairing.anna.capabilities.task_fields
    for original in source.tasks.values():
        if original.parent_id:
            continue
        copy = tasks[original.title]
        assert copy.done == original.done, original.title  # type: ignore[attr-defined]
        if "due" in caps:
            assert copy.due == original.due  # type: ignore[attr-defined]
        if "labels" in caps:
            assert set(original.labels) <= set(copy.labels)  # type: ignore[attr-defined]
    # Comments name their author and the day they were written, in the order they were written.
    texts = [c.text for c in sorted(target.comments.values(), key=lambda c: (c.task_id, c.created_at or 0, c.id))]
    first = next(c for c in source.comments.values() if c.text == "First note on Design 1")
    day = first.created_at.date().isoformat() if first.created_at else ""
    assert f"Anna Agency, {day}: First note on Design 1" in texts  # GitHub's name from /users/{login}
    design_1 = tasks["Design task 1"].id  # type: ignore[attr-defined]
    on_it = [c.text for c in sorted(target.comments.values(), key=lambda c: (c.created_at, c.id)) if c.task_id == design_1]
    assert [t.split(": ", 1)[1] for t in on_it] == ["First note on Design 1", "Second note on Design 1"]
    # Files: attachments where the target holds them (on GitHub, a link comment of its own: docs/files.md).
    if pairing.anna.capabilities.attachments != "none":
        assert [a.url for a in target.attachments.values()] == ["https://files.example/brief.pdf"]

    before = pairing.target_writes()
    again = pairing.migration().run()
    assert again.status == "ok" and again.created == {} and again.updated == {}
    assert pairing.target_writes() == before
    assert again.already_there["task"] == len(source.tasks)


def test_the_report_lists_what_github_and_basecamp_cannot_hold(store_url: str) -> None:
    github = Pairing("asana", "github", store_url)
    github.fill(tasks_per_section=1)
    lines = [loss.line() for loss in github.migration(dry_run=True).run().lost]
    assert "due dates (3): github tasks cannot hold due dates" in lines
    changed = [loss.line() for loss in github.migration(dry_run=True).run().changed]
    assert not [line for line in changed if line.startswith("attachments")]  # links, as on every tool

    basecamp = Pairing("trello", "basecamp", store_url)
    basecamp.fill(tasks_per_section=1)
    report = basecamp.migration().run()
    assert "labels (1): basecamp tasks cannot hold labels" in [loss.line() for loss in report.lost]
    assert "subtasks (1): basecamp has no subtasks: copied as tasks of their own" in [loss.line() for loss in report.changed]
