"""Custom fields on GitHub: one "Name: value" label per field, read back as the field, never as a plain label."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.core.ports import NewTask
from bridge.errors import Invalid
from connectors.github.field_labels import split_labels

from .conftest import World


def labels_on(world: World, number: str) -> list[str]:
    repo = world.emulator.repo(world.project)
    return sorted(repo.labels[i].name for i in repo.issues[int(number)].labels)


def test_a_new_issue_carries_its_fields_as_labels(world: World) -> None:
    world.bridge.pull(world.project)
    task = world.bridge.create_task(world.project, NewTask(title="Hi", labels=["bug"], custom_fields={"priority": "high"}))
    assert labels_on(world, task.id) == ["bug", "priority: high"]
    assert (task.labels, task.custom_fields) == (["bug"], {"priority": "high"})
    assert world.bridge.pull(world.project).snapshot.tasks[task.id].custom_fields == {"priority": "high"}


def test_a_field_change_swaps_only_its_own_label(world: World) -> None:
    world.bridge.pull(world.project)
    task = world.bridge.create_task(world.project, NewTask(title="Hi", labels=["bug"], custom_fields={"priority": "high"}))
    world.emulator.clear_requests()
    changed = world.bridge.update_task(world.project, task, {"custom_fields": {"priority": "low", "size": "S"}})
    writes = [(r.method, r.path.rsplit("/issues/", 1)[-1], json.loads(r.body) if r.body else None)
              for r in world.emulator.writes()]
    assert writes == [("POST", f"{task.id}/labels", {"labels": ["priority: low", "size: S"]}),
                      ("DELETE", f"{task.id}/labels/priority: high", None)]
    assert labels_on(world, task.id) == ["bug", "priority: low", "size: S"]
    assert changed.custom_fields == {"priority": "low", "size": "S"} and changed.labels == ["bug"]
    cleared = world.bridge.update_task(world.project, changed, {"custom_fields": {"size": None}})
    assert cleared.custom_fields == {"priority": "low"} and labels_on(world, task.id) == ["bug", "priority: low"]


def test_a_label_change_leaves_the_field_labels(world: World) -> None:
    world.bridge.pull(world.project)
    task = world.bridge.create_task(world.project, NewTask(title="Hi", labels=["bug"], custom_fields={"priority": "high"}))
    changed = world.bridge.update_task(world.project, task, {"labels": ["ui"]})
    assert labels_on(world, task.id) == ["priority: high", "ui"] and changed.custom_fields == {"priority": "high"}


def test_a_value_too_long_for_a_label_is_refused_before_any_write(world: World) -> None:
    task = world.bridge.create_task(world.project, NewTask(title="Hi"))
    world.emulator.clear_requests()
    with pytest.raises(Invalid, match="longer than GitHub's 50"):
        world.bridge.update_task(world.project, task, {"custom_fields": {"note": "x" * 60}})
    assert world.emulator.writes() == []


@pytest.mark.parametrize(
    ("labels", "plain", "fields"),
    [
        (["priority: high", "bug"], ["bug"], {"priority": "high"}),
        (["client:acme", "a:b"], ["client:acme", "a:b"], {}),  # no space after the colon: a plain label
        (["Priority:  High ", "priority: low"], [], {"Priority": "High, low"}),  # one field, two labels
        (["priority: ", ": x"], ["priority: ", ": x"], {}),
    ],
)
def test_labels_read_tolerantly(labels: list[str], plain: list[str], fields: dict[str, str]) -> None:
    assert split_labels(labels) == (plain, fields)


NAME = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=10)


@given(NAME, st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20).map(str.strip).filter(bool))
def test_a_field_label_round_trips(name: str, value: str) -> None:
    value = " ".join(value.split())
    assert split_labels([f"{name}: {value}"]) == ([], {name: value})
