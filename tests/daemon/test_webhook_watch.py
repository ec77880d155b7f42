"""The daemon watches the webhooks of its webhook-led sides (bridge/daemon/webhook_watch.py): a Basecamp side
whose webhook was deactivated goes back to polling, is counted and logged (docs/daemon.md#webhook-led-polling).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bridge.alerts.alerter import Alerter
from bridge.alerts.conditions import webhook_conditions
from bridge.alerts.model import Alert
from bridge.config.schema import AlertsConfig, DaemonConfig
from bridge.core.ports import NewTask, Webhook, WebhookRequest, WebhookVerdict
from bridge.daemon.cycles import LinkRunner
from bridge.daemon.hooks import Deliveries
from bridge.daemon.leases import LeaseKeeper
from bridge.daemon.logs import LOGGER
from bridge.daemon.metrics import Metrics
from bridge.daemon.webhook_watch import LOST_METRIC, WATCH_EVERY, WebhookWatch, ours_active
from bridge.runtime import Runtime
from bridge.sync.engine import LinkSide
from bridge.webhook_tokens import callback_url, webhook_token
from connectors.emulation.toolkit import Fault
from connectors.emulation.webhooks import to_receiver
from tests.engine.world import World, daemon_config, recorded

MASTER = "master-secret-for-the-webhook-watch-tests"
PUBLIC = "https://bridge.test"
TOKEN = webhook_token(MASTER, "acme", "client")
OURS = callback_url(PUBLIC, "acme", "client", TOKEN)


def _hook(url: str, active: bool = True) -> Webhook:
    return Webhook(id="1", project_id="p", callback_url=url, active=active)


def test_ours_active_wants_our_exact_url_switched_on() -> None:
    assert ours_active([_hook("https://elsewhere.test/x"), _hook(OURS)], OURS)
    assert not ours_active([_hook(OURS, active=False)], OURS), "deactivated after 10 failed deliveries"
    assert not ours_active([], OURS), "deleted"
    stale = callback_url(PUBLIC, "acme", "client", webhook_token("an older master", "acme", "client"))
    assert not ours_active([_hook(stale)], OURS), "an older token is refused by the receiver: it leads nothing"
    assert not ours_active([_hook(callback_url(PUBLIC, "acme", "internal", TOKEN))], OURS)


class Bench:
    """A daemon's link runner and receiver over an Asana internal and a Basecamp client side, on one virtual clock."""

    def __init__(self, world: World) -> None:
        self.world = world
        config = daemon_config(world, MASTER, PUBLIC)
        world.engine.webhook_led = True
        self.metrics = Metrics()
        self.deliveries = Deliveries(config, world.store, lambda _link: None, self.metrics, clock=world.clock)
        world.csb.emulator.outbox.use(to_receiver(self.answer))
        self.hook = world.bridge_client.register_webhook(  # type: ignore[attr-defined]
            world.client_project, OURS, TOKEN)
        runtime = Runtime(config, world.store, world.engine, links={"acme": world.link})
        keeper = LeaseKeeper(world.store, "watch-test", 600, clock=world.clock)
        self.runner = LinkRunner(runtime, keeper, self.metrics, DaemonConfig(), clock=world.clock)
        self.watch = WebhookWatch(lambda: world.store, self.metrics, master=MASTER, public_url=PUBLIC,
                                  now=world.clock.now)
        self.runner.watch = self.watch
        self.receiver_down = False

    def answer(self, request: WebhookRequest) -> WebhookVerdict:
        if self.receiver_down:
            return WebhookVerdict(status=503)
        return self.deliveries.handle("acme", "client", TOKEN, request)

    def cycle(self) -> None:
        self.world.clock.advance(60)
        assert self.runner.tick("acme") == "ok"

    def listings(self) -> int:
        """How often the webhooks were listed."""
        return sum(1 for r in recorded(self.world.csb.emulator) if r.method == "GET" and r.path.endswith("/webhooks.json"))

    def lose_the_webhook(self) -> None:
        """The receiver stays down while Carla comments: Basecamp tries 10 times, then deactivates the webhook."""
        world = self.world
        self.receiver_down = True
        _comment(self, "Nobody hears this")
        for _ in range(10):
            world.csb.emulator.deliver_pending()
            world.clock.advance(60 * 2**9)
        self.receiver_down = False
        listed = world.bridge_client.list_webhooks(world.client_project)  # type: ignore[attr-defined]
        assert not next(h for h in listed if h.id == self.hook.id).active

    def served(self) -> bool:
        return self.world.store.pending_hints("acme", "client") is not None


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    world = World("asana", "basecamp", f"sqlite:///{tmp_path}/state.db")
    for n in range(2):
        world.anna.create_task(world.internal_project, NewTask(**world.access("client", title=f"Shared {n}"),
                                                               section_id=world.section("Design")))
    bench = Bench(world)
    assert world.sync().status == "ok"
    world.csb.emulator.deliver_pending()  # the bridge's own writes' deliveries: the side is webhook-led now
    assert bench.served()
    return bench


def _comment(bench: Bench, text: str) -> None:
    world = bench.world
    task = next(iter(world.bridge_client.pull(world.client_project).snapshot.tasks.values()))
    world.carla.create_comment(world.client_project, task.id, text)


def test_a_deactivated_webhook_sends_the_side_back_to_polling(bench: Bench, caplog: pytest.LogCaptureFixture) -> None:
    world = bench.world
    bench.cycle()  # the first look: ours is active
    assert bench.listings() == 1 and bench.served()
    bench.lose_the_webhook()
    before = bench.listings()
    assert bench.served(), "nothing told the store: the side still trusts deliveries that will never come"

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        bench.cycle()
    assert bench.listings() == before + 1
    assert not bench.served(), "back to polling: its pulls ask every listing"
    assert bench.metrics.value(LOST_METRIC, link="acme", side="client") == 1
    lost = [r for r in caplog.records if r.getMessage().startswith("webhook lost")]
    assert len(lost) == 1
    line = lost[0].getMessage() + " " + " ".join(f"{k}={v}" for k, v in vars(lost[0]).items())
    assert "acme" in line and "pm-bridge webhooks register --link acme" in line
    assert TOKEN not in line and MASTER not in line
    assert "/hooks/acme/client/…" in line

    # The next cycle polls every listing: the comment the webhook never delivered arrives.
    reads_before = len(recorded(world.csb.emulator))
    bench.cycle()
    reads = [r.path for r in recorded(world.csb.emulator)[reads_before:] if r.method == "GET"]
    assert len(reads) >= 3, reads
    assert any("Nobody hears this" in c.text for c in world.anna.pull(world.internal_project).snapshot.comments.values())


def test_an_active_webhook_changes_nothing_and_is_looked_at_once_per_period(bench: Bench) -> None:
    bench.cycle()
    assert bench.listings() == 1 and bench.served()
    for _ in range(5):
        bench.cycle()
    assert bench.listings() == 1, "not again before WATCH_EVERY"
    bench.world.clock.advance(WATCH_EVERY)
    bench.cycle()
    assert bench.listings() == 2 and bench.served()
    assert bench.metrics.value(LOST_METRIC, link="acme", side="client") == 0


def test_a_side_that_polls_costs_no_listing(bench: Bench) -> None:
    bench.world.store.unserve_hints("acme", "client")  # as `pm-bridge webhooks remove` leaves it
    for _ in range(3):
        bench.cycle()
        bench.world.clock.advance(WATCH_EVERY)
    assert bench.listings() == 0
    assert bench.metrics.value(LOST_METRIC, link="acme", side="client") == 0


def test_a_listing_that_fails_leaves_the_side_as_it_was(bench: Bench, caplog: pytest.LogCaptureFixture) -> None:
    world = bench.world
    world.csb.emulator.inject(Fault.FAIL_BEFORE, "GET", r"/webhooks\.json$", times=-1)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        bench.cycle()  # a 500: the cycle still finishes "ok"
        world.clock.advance(WATCH_EVERY)
        bench.cycle()
    assert bench.served()
    assert bench.listings() >= 2, "tried again the next period"
    assert bench.metrics.value(LOST_METRIC, link="acme", side="client") == 0
    failed = [r for r in caplog.records if r.getMessage() == "webhooks not checked"]
    assert len(failed) == 2 and all(TOKEN not in str(vars(r)) for r in failed)

    # A client user's connector: Basecamp answers 403 for webhook endpoints.
    world.csb.emulator.faults.clear()
    as_carla = LinkSide(world.carla, world.client_project)
    world.clock.advance(WATCH_EVERY)
    listed = bench.listings()
    assert bench.watch.check("acme", "client", as_carla) == "unknown"
    assert bench.listings() == listed + 1 and bench.served()
    listed = bench.listings()
    world.clock.advance(60)
    assert bench.watch.check("acme", "client", as_carla) == "skipped"
    assert bench.listings() == listed, "not due again: no request"


def test_failures_are_logged_once_an_hour(bench: Bench, caplog: pytest.LogCaptureFixture) -> None:
    watch = WebhookWatch(lambda: bench.world.store, bench.metrics, master=MASTER, public_url=PUBLIC,
                         now=bench.world.clock.now, every=60)
    as_carla = LinkSide(bench.world.carla, bench.world.client_project)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(5):  # every minute for five minutes: five 403s, one line
            bench.world.clock.advance(60)
            assert watch.check("acme", "client", as_carla) == "unknown"
    assert len([r for r in caplog.records if r.getMessage() == "webhooks not checked"]) == 1
    assert bench.served()


def test_without_a_public_url_the_watch_stands_aside(bench: Bench, caplog: pytest.LogCaptureFixture) -> None:
    watch = WebhookWatch(lambda: bench.world.store, bench.metrics, master=MASTER, public_url=None,
                         now=bench.world.clock.now)
    client = LinkSide(bench.world.bridge_client, bench.world.client_project)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert watch.check("acme", "client", client) == "unknown"
        bench.world.clock.advance(WATCH_EVERY)
        assert watch.check("acme", "client", client) == "unknown"
    told = [r for r in caplog.records if r.getMessage().startswith("webhooks not watched")]
    assert len(told) == 1 and bench.listings() == 0 and bench.served()


class Outbox:
    name = "test"

    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert)


def test_a_lost_webhook_alerts_and_resolves_once_a_delivery_serves_the_side_again(bench: Bench) -> None:
    world = bench.world
    channel = Outbox()
    bench.watch.alerter = Alerter(AlertsConfig(), world.store, [channel], now=world.clock.now)
    bench.cycle()
    assert channel.sent == [], "ours is active"
    bench.lose_the_webhook()
    bench.cycle()
    assert [(a.kind, a.state) for a in channel.sent] == [("webhook", "firing")]
    body = channel.sent[0].body
    assert "acme/client" in body and "pm-bridge webhooks register --link acme" in body and TOKEN not in body

    world.clock.advance(WATCH_EVERY)
    bench.cycle()
    assert len(channel.sent) == 1, "still polling, still lost: no new message before min_interval"

    # Registered again (by hand here, as `pm-bridge webhooks register` would): the next delivery serves the side.
    world.bridge_client.remove_webhook(world.client_project, bench.hook.id)  # type: ignore[attr-defined]
    world.bridge_client.register_webhook(world.client_project, OURS, TOKEN)  # type: ignore[attr-defined]
    _comment(bench, "Heard again")
    world.csb.emulator.deliver_pending()
    assert bench.served()
    world.clock.advance(WATCH_EVERY)
    bench.cycle()
    assert [(a.kind, a.state) for a in channel.sent] == [("webhook", "firing"), ("webhook", "resolved")]
    assert bench.metrics.value(LOST_METRIC, link="acme", side="client") == 1


def test_webhook_alerts_can_be_turned_off(bench: Bench) -> None:
    channel = Outbox()
    bench.watch.alerter = Alerter(AlertsConfig(webhook_lost=False), bench.world.store, [channel],
                                  now=bench.world.clock.now)
    bench.lose_the_webhook()
    bench.cycle()
    assert not bench.served() and channel.sent == []


def test_the_webhook_condition_names_every_lost_side_and_clears_with_none() -> None:
    (both,) = webhook_conditions(AlertsConfig(), "acme", ["internal", "client"])
    assert both.active and "acme/client and acme/internal" in both.detail
    (cleared,) = webhook_conditions(AlertsConfig(), "acme", [])
    assert cleared.kind == "webhook" and not cleared.active
    assert webhook_conditions(AlertsConfig(webhook_lost=False), "acme", ["client"]) == []
