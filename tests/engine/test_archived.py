"""A copy the client archives is restored, not recreated (issue 10: archived duplicates piled up)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import NewTask, PullState
from tests.engine.world import World


@pytest.fixture
def world(tmp_path: object) -> World:
    return World("memory", "trello", f"sqlite:///{tmp_path}/state.db")


def seed(world: World) -> str:
    p = world.internal_project
    task = world.anna.create_task(p, NewTask(title="Homepage", notes="Hero", section_id=world.section("Design")))
    world.anna.create_task(p, NewTask(title="Hero image", parent_id=task.id))
    world.anna.create_comment(p, task.id, "#client first draft is up")
    return task.id


@pytest.mark.parametrize("pull", ["incremental", "full"])
def test_an_archived_card_is_restored_with_its_comments_and_the_next_cycle_is_quiet(world: World, pull: str) -> None:
    seed(world)
    assert world.sync().status == "ok"
    board = world.client_project
    (card,) = [t for t in world.carla.pull(board).snapshot.tasks.values() if t.parent_id is None]
    world.carla.create_comment(board, card.id, "Looks good")
    assert world.sync().status == "ok"
    world.carla.remove_task(board, card, "archive")
    if pull == "full":  # no cursor: the bridge reads the whole board
        world.store.save_snapshot(world.link.name, "client", world.carla.pull(board).snapshot, None)

    report = world.sync()
    assert report.status == "ok", report.errors
    assert [(op.action, op.fields) for op in report.plan.writes("client")] == [("update", {"archived": False})]
    snap = world.carla.pull(board).snapshot
    assert [t.id for t in snap.tasks.values() if t.parent_id is None] == [card.id]  # the same card, open again
    assert [t.title for t in snap.tasks.values() if t.parent_id == card.id] == ["Hero image"]  # not a copy
    assert sorted(c.text for c in snap.comments.values()) == ["Anna Agency: first draft is up", "Looks good"]
    assert list(world.csb.emulator.world.cards) == [card.id]  # no archived duplicate either

    writes = world.client_writes(), world.internal_writes()
    for _ in range(2):
        assert world.sync().status == "ok"
    assert (world.client_writes(), world.internal_writes()) == writes


def test_a_trello_pull_reads_an_archived_card_as_archived(world: World) -> None:
    board = world.client_project
    section = world.carla.create_section(board, "Todo")
    card = world.carla.create_task(board, NewTask(title="Old", section_id=section.id))
    world.carla.create_comment(board, card.id, "kept")
    first = world.bridge_client.pull(board)
    world.carla.remove_task(board, card, "archive")
    incremental = world.bridge_client.pull(board, PullState(cursor=first.cursor, snapshot=first.snapshot))
    full = world.bridge_client.pull(board)
    for snap in (incremental.snapshot, full.snapshot):
        assert card.id not in snap.tasks
        assert list(snap.archived) == [card.id] and snap.archived[card.id].title == "Old"
        assert [c.text for c in snap.comments.values()] == ["kept"]


# -- Basecamp: a to-do the client archives or trashes --------------------------------------------


@pytest.fixture
def basecamp(tmp_path: object) -> World:
    return World("memory", "basecamp", f"sqlite:///{tmp_path}/state.db")


def _todos(world: World) -> list[Any]:
    return [r for r in world.csb.emulator.store.recordings.values() if r.type == "Todo"]


@pytest.mark.parametrize("pull", ["incremental", "full"])
@pytest.mark.parametrize("mode", ["archive", "delete"])  # "delete" trashes the to-do
def test_a_basecamp_todo_the_client_archives_or_trashes_is_restored(basecamp: World, mode: str, pull: str) -> None:
    world = basecamp
    p = world.internal_project
    task = world.anna.create_task(p, NewTask(title="Homepage", notes="Hero", section_id=world.section("Design")))
    world.anna.create_comment(p, task.id, "#client first draft is up")
    assert world.sync().status == "ok"
    project = world.client_project
    (todo,) = world.carla.pull(project).snapshot.tasks.values()
    world.carla.create_comment(project, todo.id, "Looks good")
    assert world.sync().status == "ok"
    world.carla.remove_task(project, todo, mode)
    if pull == "full":  # no cursor: the bridge reads the whole project
        world.store.save_snapshot(world.link.name, "client", world.carla.pull(project).snapshot, None)

    report = world.sync()
    assert report.status == "ok", report.errors
    assert [(op.action, op.fields) for op in report.plan.writes("client")] == [("update", {"archived": False})]
    snap = world.carla.pull(project).snapshot
    assert list(snap.tasks) == [todo.id] and snap.tasks[todo.id].title == "Homepage"  # the same to-do, active again
    assert sorted(c.text for c in snap.comments.values()) == ["Anna Agency: first draft is up", "Looks good"]
    assert [t.id for t in _todos(world)] == [int(todo.id)]  # no new to-do, archived or not
    assert sorted(c.text for c in world.anna.pull(p).snapshot.comments.values()) == [
        "#client first draft is up", "Client Carla Client: Looks good"]  # the client's comment was not copied again

    writes = world.client_writes(), world.internal_writes()
    for _ in range(2):
        assert world.sync().status == "ok"
    assert (world.client_writes(), world.internal_writes()) == writes
