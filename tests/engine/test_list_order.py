"""The writes one client list receives run in the planner's rank (Plan.ranks), not in the order they were planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.core.ops import CreateTask, Move
from bridge.core.ports import NewTask
from tests.engine.test_pairings import assert_quiet, by_title, client_view, synced
from tests.engine.world import World

ORDERED = [("asana", "trello"), ("trello", "basecamp"), ("basecamp", "asana")]


def client_order(w: World) -> list[str]:
    snap = client_view(w)
    return [t.title for t in sorted(snap.tasks.values(), key=lambda t: t.position) if t.title in "ABCX"]


@pytest.mark.parametrize(("internal_kind", "client_kind"), ORDERED, ids=[f"{i}-to-{c}" for i, c in ORDERED])
def test_a_card_moved_back_to_the_top_lands_before_a_new_card_goes_after_it(
    internal_kind: str, client_kind: str, tmp_path: Path
) -> None:
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db")
    try:
        design, p = w.section("Design"), w.internal_project
        made = {name: w.anna.create_task(p, NewTask(title=name, section_id=design)).id for name in "ABC"}
        synced(w)
        assert client_order(w) == list("ABC")

        # The client drags A to the bottom while the agency adds X right after A.
        snap = client_view(w)
        w.carla.update_task(w.client_project, snap.tasks[by_title(snap, "A")], {"after": by_title(snap, "C")})
        x = w.anna.create_task(p, NewTask(title="X", section_id=design))
        w.anna.update_task(p, x, {"after": made["A"]})
        report = w.sync(dry_run=True)
        assert report.plan is not None
        ops = report.plan.ops
        # Planned in this order: X's create (placed after A) before A's own move back to the top ...
        create = next(i for i, op in enumerate(ops) if isinstance(op, CreateTask))
        move = next(i for i, op in enumerate(ops) if isinstance(op, Move))
        assert create < move
        # ... but run in rank order: A first, so X lands next to A where A ends up.
        assert (report.plan.ranks[ops[move].key], report.plan.ranks[ops[create].key]) == (0, 1)
        synced(w)
        assert client_order(w) == list("AXBC")
        assert_quiet(w)
    finally:
        w.store.close()
