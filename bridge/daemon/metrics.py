"""Counters and gauges for ``/metrics``, in the Prometheus text exposition format (0.0.4).

Written by hand rather than with prometheus_client: a dozen series with a
``link`` label need no dependency. Counters are per daemon process since it
started, as Prometheus expects; sum them across daemons in queries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bridge.sync.events import CycleFinished, Event, OpFailed, Planned

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # counter | gauge
    help: str


FAMILIES = {
    family.name: family
    for family in (
        Family("pm_bridge_cycles_total", "counter", "Cycles run by this daemon, by link and outcome."),
        Family("pm_bridge_cycle_seconds_total", "counter", "Seconds spent in cycles, by link."),
        Family("pm_bridge_requests_total", "counter", "HTTP requests sent to a tool during the link's cycles, by side."),
        Family("pm_bridge_rate_limit_wait_seconds_total", "counter", "Seconds the link's cycles waited on rate limits."),
        Family("pm_bridge_conflicts_total", "counter", "Conflicts found (settled by policy or flagged), by link."),
        Family("pm_bridge_errors_total", "counter", "Failed cycles and failed writes, by link."),
        Family("pm_bridge_webhooks_total", "counter", "Webhook deliveries received, by link, side and outcome."),
        Family("pm_bridge_webhook_lost_total", "counter",
               "Webhook-led sides found with no active webhook of ours, so sent back to polling, by link and side."),
        Family("pm_bridge_link_up", "gauge", "1 when the link's last cycle succeeded, 0 when it failed."),
        Family("pm_bridge_link_failures", "gauge", "Consecutive failed cycles of the link."),
        Family("pm_bridge_link_backoff_seconds", "gauge", "Seconds until a failing link is tried again."),
        Family("pm_bridge_link_leased", "gauge", "1 when this daemon holds the link's lease."),
        Family("pm_bridge_daemons", "gauge", "Daemons alive on this state store, sharing its links."),
        Family("pm_bridge_polls_total", "counter", "Scheduled polls started, each link's first after start-up excluded."),
        Family("pm_bridge_polls_late_total", "counter", "Polls that came over 10% of the interval (plus jitter) late."),
        Family("pm_bridge_poll_lateness_ratio_max", "gauge",
               "Largest slip of a poll: gap since the previous beyond interval plus jitter, as a share of the interval."),
        Family("pm_bridge_lease_losses_total", "counter", "Lease renewals that found another daemon holding the link."),
        Family("pm_bridge_alerts_total", "counter", "Alert messages sent by this daemon, by kind, channel and outcome."),
    )
}


def labels(**values: str) -> Labels:
    return tuple(sorted(values.items()))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Metrics:
    def __init__(self) -> None:
        self._values: dict[str, dict[Labels, float]] = {name: {} for name in FAMILIES}
        self._lock = threading.Lock()

    def add(self, name: str, amount: float = 1.0, **label_values: str) -> None:
        key = labels(**label_values)
        with self._lock:
            series = self._values[name]
            series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, **label_values: str) -> None:
        with self._lock:
            self._values[name][labels(**label_values)] = value

    def value(self, name: str, **label_values: str) -> float:
        with self._lock:
            return self._values[name].get(labels(**label_values), 0.0)

    def listener(self, event: Event) -> None:
        """Engine events that carry numbers worth counting."""
        if isinstance(event, Planned) and event.conflicts:
            self.add("pm_bridge_conflicts_total", event.conflicts, link=event.link)
        elif isinstance(event, OpFailed) or (isinstance(event, CycleFinished) and event.status == "failed"):
            self.add("pm_bridge_errors_total", link=event.link)

    def render(self, refresh: Callable[[Metrics], None] | None = None) -> str:
        """The exposition text; ``refresh`` sets the gauges first (they describe now, not history)."""
        if refresh is not None:
            refresh(self)
        with self._lock:
            snapshot = {name: dict(series) for name, series in self._values.items()}
        lines = ["# HELP pm_bridge_up 1 while the daemon runs.", "# TYPE pm_bridge_up gauge", "pm_bridge_up 1"]
        for name, family in FAMILIES.items():
            lines += [f"# HELP {name} {family.help}", f"# TYPE {name} {family.kind}"]
            lines += [f"{name}{_format_labels(key)} {_number(value)}" for key, value in sorted(snapshot[name].items())]
        return "\n".join(lines) + "\n"


def _format_labels(key: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{name}="{_escape(value)}"' for name, value in key)
    return f"{{{inner}}}" if inner else ""
