"""``/healthz``: is the daemon alive, and how is each link doing.

The per-link view merges three sources: the store's run log (what every
daemon sharing it did: last success, last error), the lease table (who works
on the link now, and how many daemons are alive to share the links) and this daemon's scheduler and backoff state (when it
tries next).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bridge.auth.vault import revoked
from bridge.daemon import backoff
from bridge.daemon.balance import live_daemons
from bridge.daemon.cycles import LinkRunner
from bridge.daemon.leases import holders
from bridge.daemon.metrics import Metrics
from bridge.store import Store
from bridge.store.records import utc
from bridge.store.tables import runs


@dataclass
class RunsSummary:
    last_success: dt.datetime | None = None
    last_failure: dt.datetime | None = None
    last_error: str | None = None
    last_status: str | None = None


def runs_summary(store: Store, links: list[str]) -> dict[str, RunsSummary]:
    """Per link: when it last succeeded, when and why it last failed, and its latest finished status."""
    found = {link: RunsSummary() for link in links}
    if not links:
        return found
    finished = sa.and_(runs.c.link.in_(links), runs.c.finished_at.is_not(None))
    latest = sa.select(sa.func.max(runs.c.id)).where(finished).group_by(runs.c.link)
    latest_failed = sa.select(sa.func.max(runs.c.id)).where(finished, runs.c.status == "failed").group_by(runs.c.link)
    last_ok = sa.select(runs.c.link, sa.func.max(runs.c.finished_at)).where(finished, runs.c.status.in_(("ok", "partial")))
    with store.engine.connect() as connection:
        for link, stamp in connection.execute(last_ok.group_by(runs.c.link)):
            found[link].last_success = utc(stamp)
        for row in connection.execute(sa.select(runs).where(runs.c.id.in_(latest))):
            found[row.link].last_status = row.status
        for row in connection.execute(sa.select(runs).where(runs.c.id.in_(latest_failed))):
            found[row.link].last_failure, found[row.link].last_error = utc(row.finished_at), row.error
    return found


def _iso(stamp: dt.datetime | float | None) -> str | None:
    if stamp is None:
        return None
    if isinstance(stamp, float):
        stamp = dt.datetime.fromtimestamp(stamp, dt.UTC)
    return stamp.isoformat(timespec="seconds")


class Health:
    def __init__(self, runner: LinkRunner, next_run: Callable[[str], dt.datetime | None], started: float) -> None:
        self.runner = runner
        self.next_run = next_run
        self.started = started

    def report(self, stopping: bool = False) -> dict[str, Any]:
        runner = self.runner
        store, now = runner.runtime.store, runner.clock.now()
        summaries = runs_summary(store, runner.links)
        leases = holders(store, runner.links)
        links: dict[str, Any] = {}
        sides = {name: _connections(runner, name) for name in runner.links}
        lost = revoked(store, [c for used in sides.values() for c in used])
        delivered = store.last_deliveries(runner.links)
        for name in runner.links:
            summary, held, seen = summaries[name], leases.get(name), runner.state[name]
            waiting = backoff.read(store.link_meta(name))
            live = held is not None and held.expires_at > runner.keeper.clock.now()
            links[name] = {
                "state": _state(summary, waiting, seen.running, now),
                "last_status": summary.last_status,
                "last_success": _iso(summary.last_success),
                "last_error": {"at": _iso(summary.last_failure), "message": summary.last_error} if summary.last_failure else None,
                "next_run": _iso(max(filter(None, [self.next_run(name), _when(waiting.until, now)]), default=None)),
                "failures": waiting.failures,
                "lease_owner": held.owner if live and held is not None else None,
                "leased_here": bool(live and held is not None and held.owner == runner.keeper.owner),
                "interval": runner.interval(name),
                # When each side's webhook last delivered (None: no delivery yet, the side is polled); a
                # stale stamp on a Basecamp side means its quiet cycles make up for lost deliveries.
                "last_delivery": {side: _iso(delivered.get((name, side))) for side in ("internal", "client")},
            }
            # A revoked token waits for a person (pm-bridge connect), not for the next retry: say so.
            cannot = [lost[c] for c in sides[name] if c in lost]
            if cannot:
                links[name]["state"] = "credentials_revoked"
                links[name]["credentials"] = "; ".join(cannot)
        failing = any(link["state"] in ("failing", "backing_off", "credentials_revoked") for link in links.values())
        return {
            "status": "stopping" if stopping else ("degraded" if failing else "ok"),
            "daemon": runner.keeper.owner,
            "uptime_seconds": round(now - self.started, 1),
            "daemons": live_daemons(store, runner.keeper.clock.now(), runner.links),
            "links": links,
        }

    def refresh_gauges(self, metrics: Metrics) -> None:
        """Set the per-link gauges of ``/metrics`` from the same sources as the report."""
        runner, store = self.runner, self.runner.runtime.store
        now, owned = runner.clock.now(), runner.keeper.owned
        summaries = runs_summary(store, runner.links)
        metrics.set("pm_bridge_lease_losses_total", runner.keeper.lost)
        metrics.set("pm_bridge_daemons", live_daemons(store, runner.keeper.clock.now(), runner.links))
        for name in runner.links:
            waiting = backoff.read(store.link_meta(name))
            status = summaries[name].last_status
            if status is not None:
                metrics.set("pm_bridge_link_up", 0 if status == "failed" else 1, link=name)
            metrics.set("pm_bridge_link_failures", waiting.failures, link=name)
            metrics.set("pm_bridge_link_backoff_seconds", round(waiting.remaining(now), 1), link=name)
            metrics.set("pm_bridge_link_leased", 1 if name in owned else 0, link=name)


def _connections(runner: LinkRunner, link: str) -> list[str]:
    configured = runner.runtime.config.links.get(link)
    return [configured.internal.connection, configured.client.connection] if configured else []


def _when(until: float, now: float) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(until, dt.UTC) if until > now else None


def _state(summary: RunsSummary, waiting: backoff.Backoff, running: bool, now: float) -> str:
    if running:
        return "running"
    if waiting.active(now):
        return "backing_off"
    if summary.last_status is None:
        return "never_run"
    return "failing" if summary.last_status == "failed" else "ok"
