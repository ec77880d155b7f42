"""The alerting shell: evaluate against the state in the store, claim the alerts, deliver them.

The state lives in the store and is replaced by compare-and-set, and alerts are
sent only after the write that claims them succeeded: two daemons on one
PostgreSQL that see the same condition never both send it, and a restart
forgets nothing (docs/alerts.md "Several daemons"). Delivery comes after the
claim, so a channel that fails loses that message (it is logged) rather than
sending it twice. Nothing here raises into a cycle.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterable

from bridge import secrets
from bridge.alerts.channels import Channel, channels_for
from bridge.alerts.conditions import conflict_conditions, cycle_conditions
from bridge.alerts.evaluate import evaluate, trial
from bridge.alerts.model import Alert, AlertState, Condition
from bridge.config.schema import AlertsConfig
from bridge.store import Store
from bridge.store.records import ALERT

ATTEMPTS = 20  # compare-and-set rounds before giving up on one evaluation (each loses only to another daemon's write)


def log() -> logging.Logger:
    return logging.getLogger("pm_bridge.alerts")


# Without a handler configured (`pm-bridge sync` configures none), say nothing on stderr: `sync` prints the outcomes itself.
log().addHandler(logging.NullHandler())


class Alerter:
    def __init__(
        self,
        rules: AlertsConfig,
        store: Store,
        channels: list[Channel] | None = None,
        *,
        now: Callable[[], float] = time.time,
        background: bool = False,
    ) -> None:
        """``background``: deliver from a thread of its own (the daemon), so a slow mail server never holds a cycle."""
        self.rules = rules
        self.store = store
        self.channels = channels_for(rules) if channels is None else channels
        self.now = now
        self._queue: queue.Queue[Alert | None] | None = queue.Queue() if background else None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.outcomes: list[tuple[Alert, dict[str, str | None]]] = []  # delivered here (not in the background), for `sync`
        # Told of each delivery: the alert and each channel's error (None when delivered); the daemon counts them.
        self.on_delivery: list[Callable[[Alert, dict[str, str | None]], object]] = []

    @property
    def enabled(self) -> bool:
        return bool(self.channels)

    def reconfigure(self, rules: AlertsConfig, store: Store) -> None:
        """After a config reload: the new rules and channels; alerts already claimed still go out."""
        self.rules, self.store, self.channels = rules, store, channels_for(rules)

    # what the daemon and `sync` call

    def after_cycle(
        self,
        link: str,
        status: str,
        *,
        error: str | None = None,
        cause: BaseException | None = None,
        failures: int | None = None,
        connections: Iterable[str] = (),
    ) -> list[Alert]:
        if not self.enabled:
            return []
        found = cycle_conditions(
            self.rules, link, status, error=error, cause=cause, failures=failures, connections=connections
        )
        return self.observe(found)

    def check_conflicts(self, links: Iterable[str], configured: Iterable[str] | None = None) -> list[Alert]:
        """The periodic check: conflicts waiting too long on ``links``; also sends a pending summary.

        ``configured`` (every link of the config) lets the state forget links removed from it.
        """
        if not self.enabled:
            return []
        wanted = set(links)
        opened: dict[str, list[dt.datetime]] = {link: [] for link in wanted}
        for entry in self.store.open_conflicts():
            if entry.link in wanted:
                opened[entry.link].append(entry.at)
        now = self.now()
        found = [c for link in sorted(wanted) for c in conflict_conditions(self.rules, link, opened[link], now)]
        return self.observe(found, None if configured is None else set(configured))

    def observe(self, conditions: Iterable[Condition], links: Collection[str] | None = None) -> list[Alert]:
        """Evaluate ``conditions``, claim what is due and deliver it; never raises."""
        if not self.enabled:
            return []
        try:
            alerts = self._claim(list(conditions), links)
        except Exception as exc:  # the store is unreachable, say: the cycle must go on, the next one tries again
            log().warning("alerts not evaluated", extra={"error": secrets.redact(f"{type(exc).__name__}: {exc}")})
            return []
        for alert in alerts:
            if self._queue is not None:
                self._start()
                self._queue.put(alert)
            else:
                self.outcomes.append((alert, self.deliver(alert)))
        return alerts

    def _claim(self, conditions: list[Condition], links: Collection[str] | None) -> list[Alert]:
        for _ in range(ATTEMPTS):
            version, raw = self.store.alert_state()
            state = AlertState.load(raw)
            result = evaluate(conditions, state, self.now(), self.rules, links)
            if result.state == state:
                return result.alerts  # nothing changed, so nothing was sent either
            if self.store.save_alert_state(version, result.state.model_dump(mode="json")):
                return result.alerts
        log().warning("alerts not evaluated: the shared alert state kept changing", extra={"attempts": ATTEMPTS})
        return []

    # delivery

    def deliver(self, alert: Alert) -> dict[str, str | None]:
        outcome = deliver(self.channels, alert)
        for listener in self.on_delivery:
            listener(alert, outcome)
        self._audit(alert, outcome)
        return outcome

    def _audit(self, alert: Alert, outcome: dict[str, str | None]) -> None:
        """One audit entry per link the alert names, so `pm-bridge log` shows who was told what, and whether it got there."""
        channels = {name: "sent" if error is None else f"not sent: {error}" for name, error in outcome.items()}
        detail = {"state": alert.state, "subject": alert.subject, "channels": channels}
        for link in alert.links:
            try:
                self.store.audit(link, ALERT, kind=alert.kind, detail=detail)
            except Exception as exc:  # the history is worth less than the alert: never raise from here
                log().warning("alert not written to the audit log",
                              extra={"links": link, "error": secrets.redact(f"{type(exc).__name__}: {exc}")})

    def send_trial(self, where: str) -> dict[str, str | None]:
        """`pm-bridge alerts test`: one test message to each channel, bypassing the rate limits."""
        return deliver(self.channels, trial(where))

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, name="pm-bridge-alerts", daemon=True)
                self._thread.start()

    def _drain(self) -> None:
        assert self._queue is not None
        while True:
            alert = self._queue.get()
            try:
                if alert is not None:
                    self.deliver(alert)
            finally:
                self._queue.task_done()
            if alert is None:
                return

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every claimed alert was delivered (or failed); False if that took longer than ``timeout``."""
        if self._queue is None:
            return True
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Deliver what is queued (up to ``timeout``), then stop the delivery thread."""
        self.flush(timeout)
        if self._queue is not None and self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=1)


def deliver(channels: list[Channel], alert: Alert) -> dict[str, str | None]:
    """Send ``alert`` to every channel; each channel's error (None when delivered), logged, never raised."""
    outcome: dict[str, str | None] = {}
    for channel in channels:
        try:
            channel.send(alert)
        except Exception as exc:
            error = secrets.redact(f"{type(exc).__name__}: {exc}")
            outcome[channel.name] = error
            log().warning(
                "alert not delivered",
                extra={"channel": channel.name, "links": ",".join(alert.links), "alert": alert.kind, "error": error},
            )
        else:
            outcome[channel.name] = None
            log().info(
                "alert sent",
                extra={"channel": channel.name, "links": ",".join(alert.links), "alert": alert.kind, "state": alert.state},
            )
    return outcome
