"""Label writes add and remove one label at a time, so a label a person adds after the bridge's pull survives.

GitHub (``POST``/``DELETE /issues/{n}/labels``), Trello (``POST``/``DELETE /cards/{id}/idLabels``)
and Asana (``addTag``/``removeTag``) offer per-item endpoints; a whole-set write built from the
last pull would drop the person's label.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bridge.clock import VirtualClock
from bridge.core.ports import Connector, NewTask
from connectors.registry import tool_module

TOOLS = ("github", "trello", "asana")


@dataclass
class Bed:
    project: str
    bridge: Connector
    human: Connector
    sections: dict[str, str]
    emulator: Any


@pytest.fixture(params=TOOLS)
def bed(request: pytest.FixtureRequest) -> Iterator[Bed]:
    clock = VirtualClock()
    module = tool_module(request.param)
    sandbox = module.Sandbox(module.Emulator(clock=clock), clock)
    project = sandbox.create_project("Labels", ["To do", "Doing"])
    bridge, human = sandbox.connector("bridge", "bridge"), sandbox.connector("human", "anna")
    sections = {s.name: s.id for s in bridge.pull(project).snapshot.sections.values()}
    yield Bed(project, bridge, human, sections, sandbox.emulator)
    bridge.close()
    human.close()


def _labelled_behind_our_back(bed: Bed) -> Any:
    """A task the bridge made with "bug", as the bridge last pulled it; then a person adds "urgent"."""
    created = bed.bridge.create_task(bed.project, NewTask(title="Hi", section_id=bed.sections["To do"], labels=["bug"]))
    stale = bed.bridge.pull(bed.project).snapshot.tasks[created.id]
    mine = bed.human.pull(bed.project).snapshot.tasks[created.id]
    bed.human.update_task(bed.project, mine, {"labels": ["bug", "urgent"]})
    return stale


def _labels_now(bed: Bed, task_id: str) -> list[str]:
    return sorted(bed.human.pull(bed.project).snapshot.tasks[task_id].labels)


def test_an_approval_label_keeps_a_label_added_after_the_pull(bed: Bed) -> None:
    stale = _labelled_behind_our_back(bed)
    bed.bridge.update_task(bed.project, stale, {"labels": ["bug", "approved"]})
    assert _labels_now(bed, stale.id) == ["approved", "bug", "urgent"]


def test_a_section_move_keeps_a_label_added_after_the_pull(bed: Bed) -> None:
    stale = _labelled_behind_our_back(bed)
    moved = bed.bridge.update_task(bed.project, stale, {"section_id": bed.sections["Doing"]})
    assert moved.section_id == bed.sections["Doing"]
    assert _labels_now(bed, stale.id) == ["bug", "urgent"]


def test_a_removed_label_goes_and_the_others_stay(bed: Bed) -> None:
    stale = _labelled_behind_our_back(bed)
    bed.bridge.update_task(bed.project, stale, {"labels": []})
    assert _labels_now(bed, stale.id) == ["urgent"]
