"""Notices (bridge/ops.Notice): reported once when first found, listed while they last, closed when gone."""

from __future__ import annotations

from typing import Any

import pytest

import bridge.sync.engine as engine_module
from bridge.core.mirror import MirrorView
from bridge.core.ops import Notice
from bridge.sync.events import Event, Noticed
from tests.engine.world import World


@pytest.fixture
def world(tmp_path: object) -> World:
    return World("memory", "memory", f"sqlite:///{tmp_path}/state.db")


def test_a_notice_is_reported_once_listed_while_it_lasts_and_closed_when_gone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    found: list[Notice] = [Notice(code="marker-near-miss", key="t1", message="comment on 'A' says #Client")]
    real_mirror = engine_module.mirror

    def noticing_mirror(*args: Any, **kwargs: Any) -> MirrorView:
        view = real_mirror(*args, **kwargs)
        view.notices = list(found)
        return view

    monkeypatch.setattr(engine_module, "mirror", noticing_mirror)
    heard: list[Event] = []
    world.engine.listeners.append(heard.append)

    first = world.sync()
    assert [n.key for n in first.notices] == ["t1"]
    assert [e.notice.key for e in heard if isinstance(e, Noticed)] == ["t1"]
    assert [e.key for e in world.store.open_notices(world.link.name)] == ["marker-near-miss:t1"]

    heard.clear()
    world.sync()  # still there: listed, not reported again
    assert [e for e in heard if isinstance(e, Noticed)] == []
    assert len(world.store.open_notices(world.link.name)) == 1

    found[:] = []
    world.sync()  # fixed: closed
    assert world.store.open_notices(world.link.name) == []

    found[:] = [Notice(code="marker-near-miss", key="t1", message="again")]
    heard.clear()
    world.sync()  # back again: a new finding, reported again
    assert [e.notice.message for e in heard if isinstance(e, Noticed)] == ["again"]


def test_a_dry_run_shows_notices_and_records_none(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    real_mirror = engine_module.mirror

    def noticing_mirror(*args: Any, **kwargs: Any) -> MirrorView:
        view = real_mirror(*args, **kwargs)
        view.notices = [Notice(code="text-shortened", key="t9", message="notes of 'B' shortened")]
        return view

    monkeypatch.setattr(engine_module, "mirror", noticing_mirror)
    heard: list[Event] = []
    world.engine.listeners.append(heard.append)
    world.sync(dry_run=True)
    assert [e.notice.key for e in heard if isinstance(e, Noticed)] == ["t9"]
    assert world.store.open_notices(world.link.name) == []
