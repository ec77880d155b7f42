"""Webhook-led pulls: a delivery says which listing to ask, and a quiet cycle asks one listing in turn.

Deliveries come from the emulator's own webhook, answered by the connector's ``receive`` in-process
(``HintFeed``), as the daemon's receiver does (docs/daemon.md#webhook-led-polling).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.clock import VirtualClock
from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, PullResult, PullState
from connectors.basecamp import BasecampConnector, BasecampEmulator
from connectors.basecamp import webhooks as basecamp_webhooks
from connectors.basecamp.incremental import ROTATION, first_asks
from connectors.basecamp.mapping import BasecampMapping
from connectors.emulation.webhooks import HintFeed

TOKEN = "t0ken-for-the-client-side"


@pytest.fixture
def feed(bot: BasecampConnector, project: str, emulator: BasecampEmulator) -> Iterator[HintFeed]:
    """The project's webhook, registered by the bridge, delivering into ``receive``."""
    hints = HintFeed(basecamp_webhooks.receive, TOKEN)
    emulator.outbox.use(hints.transport)
    bot.register_webhook(project, f"https://bridge.example/hooks/acme/client/{TOKEN}", "")
    yield hints


@pytest.fixture
def seeded(bot: BasecampConnector, project: str, clock: VirtualClock, feed: HintFeed, emulator: BasecampEmulator) -> PullResult:
    task = bot.create_task(project, NewTask(title="Steady", notes="Calm *notes*"))
    bot.create_comment(project, task.id, "Nothing new here.")
    first = bot.pull(project)
    feed.take(emulator.outbox)  # what seeding sent is in the first, full pull
    clock.advance(30)
    return first


def _pull(bot: BasecampConnector, project: str, previous: PullResult, hints: frozenset[str]) -> PullResult:
    result = bot.pull(project, PullState(cursor=previous.cursor, snapshot=previous.snapshot, hints=hints))
    assert not result.full and result.snapshot.complete
    return result


def _asked(emulator: BasecampEmulator) -> list[str]:
    """Which listing each request of the pull asked, in order."""
    names = []
    for r in emulator.requests:
        if r.path.endswith("/projects/recordings.json"):
            names.append({"Todo": "todos", "Comment": "comments"}[r.query["type"][0]])
        elif re.search(r"/todosets/\d+\.json$", r.path):
            names.append("sections")
        else:
            names.append(f"{r.method} {r.path}")
    return names


def _view(snapshot: Snapshot) -> tuple[object, ...]:
    return (
        {s.id: s.name for s in snapshot.sections.values()},
        {t.id: (t.title, t.notes, t.section_id, t.done) for t in snapshot.tasks.values()},
        {c.id: (c.task_id, c.text) for c in snapshot.comments.values()},
    )


def test_a_quiet_cycle_asks_one_listing_in_turn(
    bot: BasecampConnector, project: str, seeded: PullResult, emulator: BasecampEmulator, clock: VirtualClock
) -> None:
    previous, asked = seeded, []
    for _ in range(6):
        emulator.clear_requests()
        bot.stats.reset()
        result = _pull(bot, project, previous, frozenset())
        assert (bot.stats.reads, bot.stats.not_modified) == (1, 1), "one conditional request, answered 304"
        assert result.snapshot is previous.snapshot
        asked += _asked(emulator)
        previous = result
        clock.advance(60)
    assert asked == list(ROTATION) * 2, "each listing is checked every third quiet cycle"


# Which listings each change's delivery makes the pull ask: a to-do's change asks the lists too (it may
# have moved to a new one); nothing asks the comments but a comment.
ASKS = {
    "comment": ["comments"],
    "edit": ["todos", "sections"],
    "rename list": ["todos", "sections"],
    "archive list": ["todos", "sections"],
}


@pytest.mark.parametrize("change", list(ASKS))
def test_each_change_is_asked_for_by_its_delivery(
    change: str, bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, feed: HintFeed,
    emulator: BasecampEmulator, clock: VirtualClock,
) -> None:
    task = next(iter(seeded.snapshot.tasks.values()))
    section = seeded.snapshot.sections[task.section_id or ""]
    if change == "comment":
        anna.create_comment(project, task.id, "Could the header be darker?")
    elif change == "edit":
        anna.update_task(project, task, {"title": "Steady, renamed", "done": True})
    elif change == "rename list":
        anna.update_section(project, section, "Client review")
    else:
        anna.remove_section(project, section, "archive")
    hints = feed.take(emulator.outbox)
    assert hints, "the emulator's delivery carried a hint"
    clock.advance(60)
    emulator.clear_requests()
    bot.stats.reset()
    result = _pull(bot, project, seeded, hints)
    assert [name for name in _asked(emulator) if name in ROTATION] == ASKS[change]
    if change == "comment":
        assert bot.stats.reads == 1
    assert _view(result.snapshot) == _view(bot.pull(project).snapshot), "the pull saw the whole change"
    assert _view(result.snapshot) != _view(seeded.snapshot)


def test_a_lost_delivery_is_made_up_within_three_quiet_cycles(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, feed: HintFeed,
    emulator: BasecampEmulator, clock: VirtualClock,
) -> None:
    task = next(iter(seeded.snapshot.tasks.values()))
    anna.create_comment(project, task.id, "Sent while the daemon was down")
    anna.update_section(project, next(iter(seeded.snapshot.sections.values())), "Renamed unseen")
    anna.update_task(project, task, {"notes": "Edited unseen"})
    feed.take(emulator.outbox)  # the deliveries are lost: the pulls get no hint
    previous = seeded
    for _ in range(len(ROTATION)):
        clock.advance(60)
        previous = _pull(bot, project, previous, frozenset())
    assert _view(previous.snapshot) == _view(bot.pull(project).snapshot)


def test_a_comment_on_a_new_todo_brings_the_todo(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, feed: HintFeed,
    emulator: BasecampEmulator, clock: VirtualClock,
) -> None:
    new = anna.create_task(project, NewTask(title="Brand new"))
    comment = anna.create_comment(project, new.id, "First!")
    feed.take(emulator.outbox)
    clock.advance(60)
    result = _pull(bot, project, seeded, frozenset({"comments"}))  # the to-do's own delivery was lost
    assert new.id in result.snapshot.tasks and comment.id in result.snapshot.comments
    assert _view(result.snapshot) == _view(bot.pull(project).snapshot)


def test_a_todo_moved_to_a_new_list_stays_held(
    bot: BasecampConnector, anna: BasecampConnector, project: str, seeded: PullResult, feed: HintFeed,
    emulator: BasecampEmulator, clock: VirtualClock,
) -> None:
    task = next(iter(seeded.snapshot.tasks.values()))
    added = anna.create_section(project, "Next sprint")
    anna.update_task(project, task, {"section_id": added.id})
    feed.take(emulator.outbox)
    clock.advance(60)
    result = _pull(bot, project, seeded, frozenset({"todos"}))  # the list's delivery was lost
    assert result.snapshot.tasks[task.id].section_id == added.id
    assert added.id in result.snapshot.sections


def test_polling_without_a_webhook_asks_every_listing(
    bot: BasecampConnector, project: str, seeded: PullResult, emulator: BasecampEmulator
) -> None:
    emulator.clear_requests()
    _pull_polling = bot.pull(project, PullState(cursor=seeded.cursor, snapshot=seeded.snapshot))
    assert _pull_polling.snapshot is seeded.snapshot
    assert sorted(_asked(emulator)) == sorted(ROTATION)


@given(
    hints=st.none() | st.frozensets(st.sampled_from([*ROTATION, "other"])),
    turn=st.integers(min_value=0, max_value=10**6),
    poll_comments=st.booleans(),
    poll_sections=st.booleans(),
)
def test_first_asks(hints: frozenset[str] | None, turn: int, poll_comments: bool, poll_sections: bool) -> None:
    mapping = BasecampMapping(poll_comments=poll_comments, poll_sections=poll_sections)
    asks, after = first_asks(mapping, hints, turn)
    assert "todos" in asks or hints is not None, "polling always asks the to-dos"
    if hints is None:
        assert ("comments" in asks) == poll_comments and ("sections" in asks) == poll_sections and after == turn
    elif hints & set(ROTATION):
        assert asks == hints & set(ROTATION) and after == turn
    else:
        assert len(asks) == 1 and after == turn + 1
        # three quiet turns in a row ask every listing
        seen = set(asks) | first_asks(mapping, hints, after)[0] | first_asks(mapping, hints, after + 1)[0]
        assert seen == set(ROTATION)
