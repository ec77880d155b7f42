"""Watching the webhooks of webhook-led sides: a side whose webhook is gone goes back to polling, and says so.

A webhook-led side (docs/daemon.md#webhook-led-polling) trusts its deliveries to
say what changed, and its quiet cycles ask one listing in turn. When the tool
stops delivering (Basecamp deactivates a webhook after 10 failed attempts;
someone deletes it), changes would still be seen, but up to three cycles late,
and nobody would know. So, at most once per :data:`WATCH_EVERY` per side, the
link's cycle thread lists the project's webhooks and looks for the bridge's
own, active one. None: the side's hints are dropped (its pulls ask every
listing again until a delivery proves a webhook works), a warning names what to
run, and ``pm_bridge_webhook_lost_total`` counts it. With alerts on, the link's
``webhook`` alert fires then, and resolves at the first look after a delivery
served the side again (a ``webhook_lost.<side>`` mark in the link's metadata
remembers the loss across daemons; docs/alerts.md).

Only sides the store says are served, whose connector reads hints and can list
webhooks are looked at; the others cost no request. The daemon alone runs this
(``pm-bridge sync`` has no :class:`bridge.daemon.cycles.LinkRunner`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Literal

from bridge import secrets
from bridge.alerts.alerter import Alerter
from bridge.alerts.conditions import webhook_conditions
from bridge.core.ports import Webhook, WebhookRegistry
from bridge.daemon.logs import Throttle, log
from bridge.daemon.metrics import Metrics
from bridge.runtime import SIDES
from bridge.store import Store
from bridge.sync.engine import LinkRuntime, LinkSide
from bridge.webhook_tokens import callback_url, webhook_token

WATCH_EVERY = 3600.0  # seconds of the daemon's clock between two looks at one side's webhooks
FAILURE_LOG_EVERY = 3600.0  # a listing that keeps failing is logged at most this often per side
LOST_METRIC = "pm_bridge_webhook_lost_total"

# skipped: not due, or not a side that reads hints and lists webhooks; polling: no webhook leads it;
# active: ours is; lost: none of ours is, so the side polls again; unknown: the listing failed, or cannot be judged.
Look = Literal["skipped", "polling", "active", "lost", "unknown"]


def lost_key(side: str) -> str:
    return f"webhook_lost.{side}"


def ours_active(hooks: Iterable[Webhook], expected_url: str) -> bool:
    """Whether the tool lists the bridge's own webhook for the side, switched on.

    Exactly the URL with today's token: a webhook under an older token or public URL
    is answered 403/404 by the receiver, so it leads the side no better than none.
    """
    return any(hook.active and hook.callback_url == expected_url for hook in hooks)


def shown_url(public_url: str, link: str, side: str) -> str:
    """The side's callback URL with its token masked, as ``pm-bridge webhooks list`` shows it."""
    return callback_url(public_url, link, side, "…")


class WebhookWatch:
    def __init__(
        self,
        store: Callable[[], Store],
        metrics: Metrics,
        *,
        master: str | None,
        public_url: str | None,
        now: Callable[[], float],
        every: float = WATCH_EVERY,
        alerter: Alerter | None = None,
    ) -> None:
        """``store``: the state store of the moment (a config reload may open another)."""
        self.store = store
        self.metrics = metrics
        self.master = master
        self.public_url = public_url.rstrip("/") if public_url else None
        self.now = now
        self.every = every
        self.alerter = alerter
        self._looked: dict[tuple[str, str], float] = {}  # (link, side) -> when the watch last looked
        self._failures = Throttle(FAILURE_LOG_EVERY, now)
        self._unwatchable_told = False

    def after_cycle(self, link: LinkRuntime) -> None:
        """Look at each of the link's sides that is due (called from the link's own cycle thread)."""
        looks = [self.check(link.name, side, getattr(link, side)) for side in SIDES]
        if self.alerter is not None and self.alerter.enabled and any(look != "skipped" for look in looks):
            meta = self.store().link_meta(link.name)
            lost = [side for side in SIDES if meta.get(lost_key(side))]
            self.alerter.observe(webhook_conditions(self.alerter.rules, link.name, lost))

    def check(self, link: str, side: str, where: LinkSide) -> Look:
        """Look at one side's webhooks if it is due and webhook-led; a lost one sends the side back to polling."""
        connector = where.connector
        if not connector.capabilities.change_hints or not isinstance(connector, WebhookRegistry):
            return "skipped"
        key = (link, side)
        now = self.now()
        if now - self._looked.get(key, -math.inf) < self.every:
            return "skipped"
        self._looked[key] = now
        store = self.store()
        if store.pending_hints(link, side) is None:  # polling already: nothing to watch
            return "polling"
        _mark(store, link, side, lost=False)  # served: a delivery came since any loss
        if self.master is None or self.public_url is None:
            self._tell_unwatchable(link, side)
            return "unknown"
        expected = callback_url(self.public_url, link, side, webhook_token(self.master, link, side))
        try:
            hooks = connector.list_webhooks(where.project_id)
        except Exception as exc:  # network, 5xx, 403 for a client user: try again next period
            held_back = self._failures.admit(key)
            if held_back is not None:
                log().warning("webhooks not checked", extra={
                    "link": link, "side": side, "error": secrets.redact(f"{type(exc).__name__}: {exc}"),
                    "retry_in": round(self.every), **({"suppressed": held_back} if held_back else {})})
            return "unknown"
        if ours_active(hooks, expected):
            return "active"
        store.unserve_hints(link, side)
        _mark(store, link, side, lost=True)
        self.metrics.add(LOST_METRIC, link=link, side=side)
        log().warning("webhook lost: the side polls every listing again", extra={
            "link": link, "side": side, "url": shown_url(self.public_url, link, side),
            "fix": f"pm-bridge webhooks register --link {link}"})
        return "lost"

    def _tell_unwatchable(self, link: str, side: str) -> None:
        if self._unwatchable_told:
            return
        self._unwatchable_told = True
        missing = "daemon.public_url" if self.public_url is None else "daemon.webhook_secret"
        log().warning("webhooks not watched: which one is ours cannot be told", extra={
            "link": link, "side": side, "missing": missing})


def _mark(store: Store, link: str, side: str, *, lost: bool) -> None:
    """Remember (or forget) that the side's webhook was found lost; written only when it changes."""
    if bool(store.link_meta(link).get(lost_key(side))) != lost:
        store.set_link_meta(link, **{lost_key(side): True if lost else None})
