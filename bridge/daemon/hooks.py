"""Handling one webhook delivery: who it is for, whether to believe it, and what to run.

A delivery reaches ``/hooks/{link}/{side}/{token}``. The token must be the
link side's :func:`bridge.webhook_tokens.webhook_token` of the daemon's
master secret (compared in constant time); then the tool's own rules
(``connectors/<tool>/webhooks.py: receive``) check signatures and
handshakes. A secret the tool hands over (Asana's ``X-Hook-Secret``) is kept
in the link's metadata as ``webhook_secret.<side>``. A genuine delivery
wakes the link: here at once, and in whichever daemon holds its lease
through the ``daemon.wake`` stamp that daemon's heartbeat reads.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from bridge import secrets
from bridge.config.schema import Config
from bridge.core.ports import WebhookRequest, WebhookVerdict
from bridge.daemon.logs import Throttle, clipped, log
from bridge.daemon.metrics import Metrics
from bridge.runtime import SIDES, webhook_module
from bridge.store import Store, mailbox
from bridge.store.leases import LeaseClock, WallClock
from bridge.store.tables import link_meta
from bridge.webhook_tokens import receive_secret, webhook_token

WAKE_KEY = "daemon.wake"
MASTER_ENV = "PM_BRIDGE_WEBHOOK_SECRET"  # used when daemon.webhook_secret is unset, as `pm-bridge webhooks` does
REFUSAL_LOG_EVERY = 60.0  # seconds between log lines about refused deliveries of one kind (the rest are counted)


def secret_key(side: str) -> str:
    return f"webhook_secret.{side}"


def wakes(store: Store, links: list[str]) -> dict[str, float]:
    """The latest delivery stamp of each of ``links`` (wall-clock seconds)."""
    if not links:
        return {}
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(link_meta.c.link, link_meta.c.value).where(link_meta.c.name == WAKE_KEY, link_meta.c.link.in_(links))
        )
        return {row.link: float(row.value) for row in rows if isinstance(row.value, int | float)}


class Deliveries:
    def __init__(
        self,
        config: Config,
        store: Store,
        trigger: Callable[[str], Any],
        metrics: Metrics,
        *,
        clock: LeaseClock | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.trigger = trigger
        self.metrics = metrics
        self.clock: LeaseClock = clock or WallClock()
        self.throttle = Throttle(REFUSAL_LOG_EVERY, self.clock.now)
        configured = config.daemon.webhook_secret
        self.master = (configured.get_secret_value() if configured is not None else os.environ.get(MASTER_ENV)) or None

    def tokens(self) -> list[str]:
        """Every URL token this daemon accepts (registered with the redactor at start-up)."""
        if self.master is None:
            return []
        return [webhook_token(self.master, link, side) for link in self.config.links for side in SIDES]

    @property
    def max_body(self) -> int:
        return self.config.daemon.max_body

    def admit(self, link: str, side: str, token: str, method: str) -> WebhookVerdict | None:
        """The refusal of a delivery whose URL alone condemns it, logged; None when its body is worth reading.

        Runs before the body is read and touches neither the store nor the disk, so
        traffic that does not know a URL token costs a hash and, at most, a log line a minute.
        """
        verdict = self._check_url(link, side, token)
        if verdict is not None:
            self.note(link, side, method, verdict)
        return verdict

    def handle(self, link: str, side: str, token: str, request: WebhookRequest) -> WebhookVerdict:
        verdict = self._check_url(link, side, token) or self._judge(link, side, request)
        self.note(link, side, request.method, verdict)
        return verdict

    def note(self, link: str, side: str, method: str, verdict: WebhookVerdict) -> None:
        """Count and log one answered delivery; refusals at most once a minute per (reason, link)."""
        known = link in self.config.links and side in SIDES
        outcome = "triggered" if verdict.trigger else ("refused" if verdict.status >= 400 else "accepted")
        if known:
            self.metrics.add("pm_bridge_webhooks_total", link=link, side=side, outcome=outcome)
        # Never the body, the headers or the token: the method, where, what we answered and why.
        fields: dict[str, object] = {"link": clipped(link), "side": clipped(side), "method": clipped(method),
                                     "status": verdict.status, "outcome": outcome}
        if verdict.reason:
            fields["reason"] = verdict.reason
        if verdict.status < 400:
            log().info("webhook delivery", extra=fields)
            return
        # Unknown links share one key: a scan over made-up names must not grow the table or the log.
        held_back = self.throttle.admit((verdict.status, verdict.reason, link if known else None))
        if held_back is None:
            return
        if held_back:
            fields["suppressed"] = held_back
        log().warning("webhook delivery", extra=fields)

    def _check_url(self, link: str, side: str, token: str) -> WebhookVerdict | None:
        link_cfg = self.config.links.get(link)
        if link_cfg is None or side not in SIDES:
            return WebhookVerdict(status=404, reason="no such link or side")
        if self.master is None:
            return WebhookVerdict(status=404, reason="webhooks are off: daemon.webhook_secret is not set")
        expected = webhook_token(self.master, link, side)
        if not hmac.compare_digest(token.encode(), expected.encode()):
            return WebhookVerdict(status=403, reason="the URL token is wrong")
        kind = self.config.connections[getattr(link_cfg, side).connection].kind
        if webhook_module(kind) is None:
            return WebhookVerdict(status=404, reason=f"{kind} deliveries are not supported")
        return None

    def _judge(self, link: str, side: str, request: WebhookRequest) -> WebhookVerdict:
        """The tool's own verdict on a delivery whose URL :meth:`_check_url` accepted."""
        assert self.master is not None
        connection = self.config.connections[getattr(self.config.links[link], side).connection]
        module = webhook_module(connection.kind)
        assert module is not None
        expected = webhook_token(self.master, link, side)
        stored = self.store.link_meta(link).get(secret_key(side))
        app_secret = connection.delivery_secret()
        secret = receive_secret(module.SECRET_SOURCE, token=expected, stored=stored if isinstance(stored, str) else None,
                                app_secret=app_secret)
        try:
            verdict: WebhookVerdict = module.receive(request, secret)
        except Exception as exc:  # a body the tool's rules cannot read: refuse it, keep running
            return WebhookVerdict(status=400, reason=f"unreadable delivery ({type(exc).__name__})")
        if verdict.secret:
            secrets.register(verdict.secret)
            self.store.set_link_meta(link, **{secret_key(side): verdict.secret})
        if verdict.message is not None:  # an inbound email, read by the connection's next pull (docs/email.md)
            mailbox.keep(self.store.engine, getattr(self.config.links[link], side).connection, "webhook", verdict.message,
                         dt.datetime.now(dt.UTC))
        if verdict.trigger:
            # What changed, for the side's next pull; the row also says a webhook serves this side.
            self.store.note_hints(link, side, verdict.hints, self.clock.now())
            self.wake(link)
        return verdict

    def wake(self, link: str) -> None:
        """Run the link soon, here and (if another daemon holds it) there."""
        self.store.set_link_meta(link, **{WAKE_KEY: self.clock.now()})
        self.trigger(link)
