"""A Basecamp client side served by its webhook: the daemon's receiver keeps what deliveries named, the
engine hands it to the next pull and forgets it once the snapshot is saved (docs/daemon.md#webhook-led-polling).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, WebhookRequest, WebhookVerdict
from bridge.daemon.hooks import Deliveries
from bridge.daemon.metrics import Metrics
from bridge.webhook_tokens import callback_url, webhook_token
from connectors.emulation.webhooks import to_receiver
from tests.engine.world import World, daemon_config, recorded

MASTER = "master-secret-for-the-webhook-led-tests"
PUBLIC = "https://bridge.test"


class Daemonish:
    """The daemon's receiver (bridge/daemon/hooks.py) in front of the world's store, fed by the client emulator."""

    def __init__(self, world: World) -> None:
        config = daemon_config(world, MASTER)
        world.engine.webhook_led = True  # as the daemon's engine: this process takes the deliveries in
        self.woken: list[str] = []
        self.deliveries = Deliveries(config, world.store, self.woken.append, Metrics())
        self.token = webhook_token(MASTER, "acme", "client")
        world.csb.emulator.outbox.use(to_receiver(self.answer))
        world.bridge_client.register_webhook(  # type: ignore[attr-defined]
            world.client_project, callback_url(PUBLIC, "acme", "client", self.token), self.token)

    def answer(self, request: WebhookRequest) -> WebhookVerdict:
        return self.deliveries.handle("acme", "client", self.token, request)


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World("asana", "basecamp", f"sqlite:///{tmp_path}/state.db")
    anna = world.anna
    for n in range(3):
        anna.create_task(world.internal_project, NewTask(**world.access("client", title=f"Shared {n}"),
                                                         section_id=world.section("Design")))
    return world


def _client_reads(world: World) -> list[str]:
    """The client-side GETs a cycle made."""
    before = len(recorded(world.csb.emulator))
    report = world.sync()
    assert report.status == "ok", report.errors
    return [r.path for r in recorded(world.csb.emulator)[before:] if r.method == "GET"]


def _commented(snapshot: Snapshot, text: str) -> bool:
    """Whether a comment holding ``text`` reached the internal project (the bridge prefixes its author)."""
    return any(text in c.text for c in snapshot.comments.values())


def test_deliveries_lead_the_client_pulls(world: World) -> None:
    hooks = Daemonish(world)
    assert world.sync().status == "ok"  # the first, full cycle
    world.csb.emulator.deliver_pending()  # the bridge's own writes' deliveries
    assert world.store.pending_hints("acme", "client") is not None, "a delivery came: the webhook serves the side"
    world.clock.advance(60)
    world.sync()  # reads what those deliveries named, then forgets it
    assert world.store.pending_hints("acme", "client") == {}

    world.clock.advance(60)
    quiet = _client_reads(world)
    assert len(quiet) == 1, f"a quiet cycle asks one listing: {quiet}"

    # Carla comments on a mirrored to-do; her delivery names the comments, and the next cycle reads them.
    client = world.bridge_client.pull(world.client_project).snapshot
    task = next(iter(client.tasks.values()))
    world.carla.create_comment(world.client_project, task.id, "Looks great, ship it")
    world.csb.emulator.deliver_pending()
    assert hooks.woken == ["acme"] * len(hooks.woken) and hooks.woken
    assert set(world.store.pending_hints("acme", "client") or {}) == {"comments"}
    world.clock.advance(60)
    reads = _client_reads(world)
    assert len(reads) == 1 and reads[0].endswith("/projects/recordings.json"), reads
    assert _commented(world.anna.pull(world.internal_project).snapshot, "Looks great, ship it")
    assert world.store.pending_hints("acme", "client") == {}, "read, so forgotten"


def test_a_delivery_during_the_pull_is_kept_for_the_next(world: World) -> None:
    Daemonish(world)
    assert world.sync().status == "ok"
    world.csb.emulator.deliver_pending()
    world.clock.advance(60)
    world.sync()
    client = world.bridge_client.pull(world.client_project).snapshot
    task = next(iter(client.tasks.values()))
    pull = world.bridge_client.pull

    def pull_then_a_comment_lands(project: str, state: object = None) -> object:
        result = pull(project, state)  # type: ignore[arg-type]
        world.carla.create_comment(world.client_project, task.id, "Landed mid-cycle")
        world.clock.advance(1)  # the delivery is stamped after the pull began
        world.csb.emulator.deliver_pending()
        return result

    world.carla.create_comment(world.client_project, task.id, "Before the cycle")
    world.csb.emulator.deliver_pending()
    assert set(world.store.pending_hints("acme", "client") or {}) == {"comments"}
    world.bridge_client.pull = pull_then_a_comment_lands  # type: ignore[method-assign,assignment]
    world.clock.advance(60)
    world.sync()
    world.bridge_client.pull = pull  # type: ignore[method-assign]
    assert "comments" in (world.store.pending_hints("acme", "client") or {}), "the mid-cycle delivery is still pending"
    world.clock.advance(60)
    world.sync()
    internal = world.anna.pull(world.internal_project).snapshot
    assert _commented(internal, "Before the cycle") and _commented(internal, "Landed mid-cycle")


def test_a_one_shot_sync_polls_every_listing_whatever_the_hints(world: World) -> None:
    Daemonish(world)
    assert world.sync().status == "ok"
    world.csb.emulator.deliver_pending()
    world.engine.webhook_led = False  # `pm-bridge sync`: no process here takes deliveries in
    world.clock.advance(60)
    world.sync()
    world.clock.advance(60)
    assert len(_client_reads(world)) == 3, "to-dos, comments and lists, each a 304"
    assert world.store.pending_hints("acme", "client") is not None, "the hints wait for the daemon"
