"""Dry runs, filters, and --keep-linked followed by a sync."""

from __future__ import annotations

import pytest

from bridge.core.ports import NewTask
from bridge.core.rules import AccessSource, LinkRules, MirrorRules, SectionRule
from bridge.migrate.filters import NO_INBOUND, FilterMode
from bridge.sync.engine import Engine, LinkRuntime, LinkSide
from tests.migrate.support import Pairing


def test_a_dry_run_writes_nothing_anywhere_and_says_what_it_would_create(store_url: str) -> None:
    pairing = Pairing("asana", "trello", store_url)
    pairing.fill(tasks_per_section=1)
    seeded = pairing.source_writes()
    report = pairing.migration(dry_run=True).run()
    assert report.status == "dry-run"
    assert pairing.target_writes() == 0 and pairing.source_writes() == seeded
    assert pairing.store.pairs(pairing.options().migration_id) == []
    creates = [op for op in report.planned if op.action == "create"]
    assert sum(op.kind == "task" for op in creates) == 4  # three tasks and a subtask
    assert sum(op.kind == "comment" for op in creates) == 6
    assert sum(op.kind == "section" for op in creates) == 3


LINK_RULES = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, access=AccessSource(type="label")))


def test_link_rules_filter_what_is_copied(store_url: str) -> None:
    pairing = Pairing("trello", "asana", store_url)
    pairing.fill(tasks_per_section=1)
    report = pairing.migration(LINK_RULES.model_copy(update={"inbound": NO_INBOUND}), FilterMode.link, link="acme").run()
    assert report.status == "ok"
    target = pairing.target()
    assert {t.title for t in target.tasks.values()} == {"Design task 0"}
    assert target.comments == {}  # no comment carries the #client marker
    assert "tasks (3): the filter does not share them" in [loss.line() for loss in report.lost]


@pytest.mark.parametrize(("source_kind", "target_kind"), [("asana", "trello"), ("trello", "github")])
def test_keep_linked_then_sync_creates_nothing(source_kind: str, target_kind: str, store_url: str) -> None:
    pairing = Pairing(source_kind, target_kind, store_url)
    pairing.fill(tasks_per_section=2)
    anna = pairing.anna
    snap = anna.pull(pairing.source_project).snapshot
    task = next(t for t in snap.tasks.values() if t.title == "Design task 0")
    anna.create_comment(pairing.source_project, task.id, "#client Looks good to share")
    rules = LinkRules(mirror=MirrorRules(default_section="unlocked", access=AccessSource(type="label")))
    report = pairing.migration(rules, FilterMode.link, link="acme", keep_linked="acme").run()
    assert report.status == "ok"
    assert len(pairing.store.pairs("acme")) > 0
    target = pairing.target()
    assert "Anna Agency: Looks good to share" in {c.text for c in target.comments.values()}

    before = pairing.target_writes()
    link = LinkRuntime("acme", rules, LinkSide(pairing.src.connector("bridge", "i"), pairing.source_project),
                       LinkSide(pairing.dst.connector("bridge", "c"), pairing.target_project))
    cycle = Engine(pairing.store).run(link)
    assert cycle.status == "ok", cycle.errors
    assert cycle.plan is not None and [op for op in cycle.plan.ops if op.action == "create"] == []
    assert pairing.target_writes() == before
    # ...and the link carries on from there: a new shared task goes over once.
    design = next(s.id for s in snap.sections.values() if s.name == "Design")
    anna.create_task(pairing.source_project, NewTask(title="After the migration", section_id=design))
    assert Engine(pairing.store).run(link).status == "ok"
    assert [t.title for t in pairing.target().tasks.values()].count("After the migration") == 1
