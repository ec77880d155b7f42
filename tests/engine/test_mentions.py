"""Mentions across every ordered pairing, through the emulators.

A mention reaches the other tool as that tool's own mention when it knows the
person by email, and as the plain name otherwise (Trello shows no member's
email but your own, so on Trello it is always the name); replies come back the
same way; and the quiet cycle after that writes nothing.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from bridge.core.model import Snapshot
from bridge.core.ports import NewTask
from bridge.core.rules import FieldRules, PeopleRules
from tests.engine.test_pairings import assert_no_leaks, assert_quiet, by_title, client_view, internal_view, synced, world
from tests.engine.world import World, default_rules, recorded

__all__ = ["world"]  # the fixture, one World per ordered pairing

ANNA = "@[Anna Agency](person:anna@agency.example)"
CARLA = "@[Carla Client](person:carla@client.example)"
# Tools whose API tells the bridge its people's emails (GitHub: the public email of /users/{login}).
EMAIL_TOOLS = {"asana", "basecamp", "github"}


def as_seen(mention: str, name: str, email: str, *snaps: Snapshot) -> str:
    """A mention after passing through tools holding ``snaps``: itself if all know the email, else the name."""
    known = all(any((p.email or "").casefold() == email for p in snap.people.values()) for snap in snaps)
    return mention if known else name


def test_mentions_cross_as_mentions_where_the_person_is_known(world: World) -> None:
    w = world
    design = w.section("Design")
    p = w.internal_project
    home = w.anna.create_task(p, NewTask(title="Homepage", notes=f"Hero for {CARLA}, ask {ANNA}", section_id=design))
    w.anna.create_comment(p, home.id, f"#client {CARLA} the draft is up")
    synced(w)

    client, internal = client_view(w), internal_view(w)
    carla = as_seen(CARLA, "Carla Client", "carla@client.example", internal, client)
    anna_there = as_seen(ANNA, "Anna Agency", "anna@agency.example", internal, client)
    if {w.internal_kind, w.client_kind} <= EMAIL_TOOLS:
        assert (carla, anna_there) == (CARLA, ANNA)  # the adaptive expectations above are not all names
    card = client.tasks[by_title(client, "Homepage")]
    assert card.notes == f"Hero for {carla}, ask {anna_there}"
    assert [c.text for c in client.comments.values()] == [f"Anna Agency: {carla} the draft is up"]

    w.carla.create_comment(w.client_project, card.id, f"thanks {ANNA}, approved")
    synced(w)
    internal = internal_view(w)
    anna_back = as_seen(ANNA, "Anna Agency", "anna@agency.example", internal, client)
    copies = [c.text for c in internal.comments.values() if c.task_id == home.id and c.text.startswith("Client")]
    assert copies == [f"Client Carla Client: thanks {anna_back}, approved"]

    assert_quiet(w)
    assert_no_leaks(w)


def test_a_trello_member_mapped_by_username_is_assigned_mentioned_and_read_back(tmp_path: Path) -> None:
    # Trello shows no member's email: the link maps Anna to her board username.
    base = default_rules("asana")
    people = PeopleRules(map={"anna@agency.example": "@anna"})
    rules = base.model_copy(
        update={"mirror": base.mirror.model_copy(update={"people": people, "fields": FieldRules(assignees="both")})}
    )
    w = World("asana", "trello", f"sqlite:///{tmp_path}/state.db", rules=rules)
    try:
        design = w.section("Design")
        anna_id = next(p.id for p in internal_view(w).people.values() if p.email == "anna@agency.example")
        home = w.anna.create_task(
            w.internal_project, NewTask(title="Homepage", notes=f"ask {ANNA}", section_id=design, assignees=[anna_id])
        )
        synced(w)
        client = client_view(w)
        card = client.tasks[by_title(client, "Homepage")]
        anna_on_trello = next(p for p in client.people.values() if p.username == "anna")
        assert card.assignees == [anna_on_trello.id]
        assert card.notes == f"ask @[Anna Agency](person:trello:{anna_on_trello.id})"
        sent = [r.text for r in recorded(w.csb.emulator) if r.is_write and "ask @anna" in urllib.parse.unquote_plus(r.text)]
        assert sent, "the card's description went out with Trello's own @anna mention"

        w.carla.create_comment(w.client_project, card.id, f"@[Anna Agency](person:trello:{anna_on_trello.id}) thanks!")
        synced(w)
        copies = [c.text for c in internal_view(w).comments.values() if c.task_id == home.id]
        assert copies == [f"Client Carla Client: {ANNA} thanks!"]
        assert_quiet(w)
    finally:
        w.store.close()
