"""Mentions across every ordered pairing, through the emulators.

A mention reaches the other tool as that tool's own mention when it knows the
person by email, and as the plain name otherwise (Trello shows no member's
email but your own, so on Trello it is always the name); replies come back the
same way; and the quiet cycle after that writes nothing.
"""

from __future__ import annotations

from bridge.model import Snapshot
from connectors.base import NewTask
from tests.engine.test_pairings import assert_no_leaks, assert_quiet, by_title, client_view, internal_view, synced, world
from tests.engine.world import World

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
