"""A new, empty state store on a pair that is already mirrored: everything is adopted, nothing written twice.

The bridge's own copies carry an attribution: a client comment arrives internally
as "<prefix> <author>: text", an internal #client comment reaches the client as
"<attribution>text". What a tool reads back of such a copy is its canonical form,
which need not be the text the bridge wrote (a list right after the attribution
reads back with a blank line between items), so adoption compares canonical
forms, in both directions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.test_pairings import CARLA_NAME, PAIRS, assert_quiet, by_title, client_view, internal_view, seed, synced
from tests.engine.world import World

CLIENT_SAYS = "- hero: love it\n- footer: *smaller*, please"
AGENCY_SAYS = "#client\n1. new hero is up\n2. footer next"


@pytest.fixture(params=PAIRS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    internal_kind, client_kind = request.param
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db")
    yield w
    w.store.close()


def texts(w: World) -> tuple[list[str], list[str]]:
    return sorted(c.text for c in internal_view(w).comments.values()), sorted(c.text for c in client_view(w).comments.values())


def test_a_fresh_state_store_adopts_comments_both_ways(world: World, tmp_path: Path) -> None:
    ids = seed(world)
    synced(world)
    world.anna.create_comment(world.internal_project, ids["home"], AGENCY_SAYS)
    world.carla.create_comment(world.client_project, by_title(client_view(world), "Homepage layout"), CLIENT_SAYS)
    synced(world)
    internal, client = texts(world)
    assert sum(t.startswith(f"Client {CARLA_NAME}: ") for t in internal) == 1
    assert_quiet(world)

    world.reopen_store(tmp_path / "fresh.db")
    writes = (world.client_writes(), world.internal_writes())
    report = world.sync()
    assert report.status == "ok", report.errors
    assert (world.client_writes(), world.internal_writes()) == writes
    assert texts(world) == (internal, client)
    assert_quiet(world)


def test_a_copy_orphaned_by_a_lost_store_is_removed_not_taken_in_as_a_request(world: World, tmp_path: Path) -> None:
    """Hidden while the store that paired it was lost: the client's copy goes, and no request duplicates it internally."""
    ids = seed(world)
    synced(world)
    assert "Homepage layout" in {t.title for t in client_view(world).tasks.values()}
    internal_count = len(internal_view(world).tasks)
    home = internal_view(world).tasks[ids["home"]]
    world.anna.update_task(world.internal_project, home, world.access("none", title=home.title))
    world.reopen_store(tmp_path / "fresh.db")
    report = world.sync()
    assert report.status == "ok", report.errors
    assert "Homepage layout" not in {t.title for t in client_view(world).tasks.values()}
    assert len(internal_view(world).tasks) == internal_count  # no request made of the agency's own copy
    assert_quiet(world)
