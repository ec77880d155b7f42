"""Several daemons on one store claim each alert once: the state is replaced by compare-and-set, and survives restarts.

Runs on SQLite and, with PM_BRIDGE_TEST_POSTGRES_URL set, on PostgreSQL (the ``store_url`` fixture).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bridge.alerts.alerter import Alerter
from bridge.alerts.model import Alert, AlertState, Condition
from bridge.config.schema import AlertsConfig
from bridge.store import Store


@dataclass
class Recorder:
    """A channel that keeps what it is given (the real channels have their own tests)."""

    name: str = "recorder"
    alerts: list[Alert] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, alert: Alert) -> None:
        with self.lock:
            self.alerts.append(alert)


def daemons_at_once(store_url: str, count: int, conditions: list[list[Condition]], rules: AlertsConfig) -> Recorder:
    """``count`` alerters, each on its own store connection, evaluating at the same moment."""
    recorder = Recorder()
    stores = [Store.open(store_url) for _ in range(count)]
    alerters = [Alerter(rules, store, [recorder], now=lambda: 1_000_000.0) for store in stores]
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        alerters[n].observe(conditions[n])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return recorder


def failing(link: str) -> Condition:
    return Condition(link=link, kind="failing", active=True, detail="boom", action="look")


def test_daemons_seeing_the_same_condition_send_it_once(store_url: str) -> None:
    recorder = daemons_at_once(store_url, 6, [[failing("acme")]] * 6, AlertsConfig())
    assert [alert.links for alert in recorder.alerts] == [("acme",)]


def test_daemons_in_a_storm_keep_to_one_hourly_cap_together(store_url: str) -> None:
    rules = AlertsConfig(max_per_hour=3)
    recorder = daemons_at_once(store_url, 8, [[failing(f"link{n}")] for n in range(8)], rules)
    assert len(recorder.alerts) == 3
    store = Store.open(store_url)
    try:
        version, raw = store.alert_state()
        state = AlertState.load(raw)
        assert state.suppressed == 5 and len(state.suppressed_links) == 5 and version >= 8
    finally:
        store.close()


def test_a_restarted_daemon_remembers_what_it_sent(store_url: str) -> None:
    recorder = Recorder()
    first = Store.open(store_url)
    Alerter(AlertsConfig(), first, [recorder], now=lambda: 1000.0).observe([failing("acme")])
    first.close()
    second = Store.open(store_url)
    try:
        Alerter(AlertsConfig(), second, [recorder], now=lambda: 1600.0).observe([failing("acme")])
        assert len(recorder.alerts) == 1
        assert second.save_alert_state(0, {}) is False  # a stale writer never overwrites the state
    finally:
        second.close()
