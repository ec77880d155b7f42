"""Text over a tool's limit never fails a link (issue 10): shortened or split, reported once, then quiet."""

from __future__ import annotations

import pytest

from bridge.core.ports import NewTask
from bridge.core.rules import FieldRules, LinkRules
from bridge.core.text_fit import SHORTENED_FOR_CLIENT, SHORTENED_TITLE, join
from bridge.sync.events import Event, Noticed
from connectors.trello.limits import TEXT_LIMITS
from tests.engine.world import World, default_rules

LONG = 17_000


@pytest.fixture
def world(tmp_path: object) -> World:
    return World("memory", "trello", f"sqlite:///{tmp_path}/state.db")


def paragraphs(total: int, word: str) -> str:
    text, n = "", 0
    while len(text) < total:
        n += 1
        text += f"{word} {n} " + " ".join(["lorem ipsum dolor sit amet"] * 8) + "\n\n"
    return text[:total].strip()


def test_long_notes_and_comment_reach_trello_shortened_and_split_then_quiet(world: World) -> None:
    p = world.internal_project
    notes, comment = paragraphs(LONG, "Para"), paragraphs(LONG, "Note")
    task = world.anna.create_task(p, NewTask(title="Homepage", notes=notes, section_id=world.section("Design")))
    world.anna.create_comment(p, task.id, "#client " + comment)
    heard: list[Event] = []
    world.engine.listeners.append(heard.append)

    report = world.sync()
    assert report.status == "ok", report.errors
    snap = world.carla.pull(world.client_project).snapshot
    (card,) = snap.tasks.values()
    assert len(card.notes) <= TEXT_LIMITS["notes"] and card.notes.endswith(SHORTENED_FOR_CLIENT)
    assert notes.startswith(card.notes[: -len(SHORTENED_FOR_CLIENT)].rstrip())
    parts = sorted((c.text for c in snap.comments.values()), key=lambda t: t[:6])
    assert len(parts) == 2 and [t[:5] for t in parts] == ["(1/2)", "(2/2)"]
    assert all(len(t) <= TEXT_LIMITS["comment"] for t in parts)
    # Cut at a paragraph break, whose blank line Trello drops from the end of part 1.
    assert join([parts[0] + "\n\n", parts[1]]) == "Anna Agency: " + comment
    noticed = [e.notice for e in heard if isinstance(e, Noticed)]
    assert sorted(n.key for n in noticed) == sorted([task.id, next(iter(world.anna.pull(p).snapshot.comments))])
    assert all(n.code == "text-shortened" for n in noticed)

    heard.clear()
    writes = world.client_writes()
    for _ in range(2):  # the second cycle absorbs the echoes of the first's writes
        again = world.sync()
        assert again.status == "ok", again.errors
    assert world.client_writes() == writes
    assert [e for e in heard if isinstance(e, Noticed)] == []  # reported once
    assert len(world.store.open_notices(world.link.name)) == 2  # and listed while it lasts


def test_long_client_comment_into_a_limited_internal_tool_is_shortened_once(tmp_path: object) -> None:
    world = World("trello", "github", f"sqlite:///{tmp_path}/state.db")
    p = world.internal_project
    world.anna.create_task(p, NewTask(**world.access("client", title="Homepage"), section_id=world.section("Design")))
    assert world.sync().status == "ok"
    issue = next(iter(world.carla.pull(world.client_project).snapshot.tasks.values()))
    world.carla.create_comment(world.client_project, issue.id, paragraphs(LONG, "Client"))
    report = world.sync()
    assert report.status == "ok", report.errors
    copies = [c.text for c in world.anna.pull(p).snapshot.comments.values()]
    assert len(copies) == 1 and len(copies[0]) <= TEXT_LIMITS["comment"]
    assert copies[0].endswith("(shortened by pm-bridge; the full text is in the client's github)")
    writes = world.internal_writes()
    assert world.sync().status == "ok" and world.sync().status == "ok"
    assert world.internal_writes() == writes


# -- a client edit of a shortened copy (the fields' direction lets it in) --------------------------


def _both_ways(internal: str) -> LinkRules:
    rules = default_rules(internal)
    return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"fields": FieldRules(title="both", notes="both")})})


@pytest.mark.parametrize("keeps_note", [True, False])
def test_a_client_edit_of_shortened_notes_keeps_the_rest_it_never_saw(tmp_path: object, keeps_note: bool) -> None:
    world = World("memory", "trello", f"sqlite:///{tmp_path}/state.db", rules=_both_ways("memory"))
    p = world.internal_project
    notes = paragraphs(LONG, "Para")
    task = world.anna.create_task(p, NewTask(title="Homepage", notes=notes, section_id=world.section("Design")))
    assert world.sync().status == "ok"
    board = world.client_project
    (card,) = world.carla.pull(board).snapshot.tasks.values()
    first = notes.split("\n\n", 1)[0]
    edited = card.notes.replace(first, "Client rewrote the intro.", 1)
    if not keeps_note:
        edited = edited[: -len(SHORTENED_FOR_CLIENT)].rstrip()
    heard: list[Event] = []
    world.engine.listeners.append(heard.append)
    world.carla.update_task(board, card, {"notes": edited})

    report = world.sync()
    assert report.status == "ok", report.errors
    internal = world.anna.pull(p).snapshot.tasks[task.id].notes
    assert internal == notes.replace(first, "Client rewrote the intro.", 1)  # the unseen rest is still there
    assert [n.code for n in (e.notice for e in heard if isinstance(e, Noticed))] == ["shortened-text-edited"]

    for _ in range(2 if keeps_note else 3):  # without its note, the client's copy gets it back once
        assert world.sync().status == "ok"
    writes = world.client_writes(), world.internal_writes()
    assert world.sync().status == "ok"
    assert (world.client_writes(), world.internal_writes()) == writes
    assert world.anna.pull(p).snapshot.tasks[task.id].notes == internal
    client_copy = world.carla.pull(board).snapshot.tasks[card.id].notes
    assert client_copy.startswith("Client rewrote the intro.") and client_copy.endswith(SHORTENED_FOR_CLIENT)


def test_a_client_edit_of_a_shortened_title_keeps_the_rest(tmp_path: object) -> None:
    world = World("memory", "github", f"sqlite:///{tmp_path}/state.db", rules=_both_ways("memory"))
    p = world.internal_project
    title = "Homepage " + " ".join(f"word{n}" for n in range(60))  # over GitHub's 256
    task = world.anna.create_task(p, NewTask(**world.access("client", title=title), section_id=world.section("Design")))
    assert world.sync().status == "ok"
    project = world.client_project
    (issue,) = world.carla.pull(project).snapshot.tasks.values()
    assert issue.title.endswith(SHORTENED_TITLE)
    world.carla.update_task(project, issue, {"title": issue.title.replace("Homepage", "Landing page", 1)})
    assert world.sync().status == "ok"
    assert world.anna.pull(p).snapshot.tasks[task.id].title == title.replace("Homepage", "Landing page", 1)
