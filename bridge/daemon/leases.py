"""Which links this daemon works on: leases in the shared store, kept alive by a heartbeat.

A daemon takes a link's lease (:meth:`bridge.store.Store.try_lease`, one
atomic upsert) the first time it finds the link free or expired, and keeps
it by renewing every third of ``lease_ttl``, during cycles too. Other
daemons' attempts fail while the lease is alive, so each link has exactly
one daemon at a time. A daemon that dies stops renewing; once its leases
expire, the heartbeat of a survivor notices and takes them over.

``pm-bridge sync`` takes the same leases (as :func:`sync_id`), one link at a
time, so a hand-run cycle never overlaps a daemon's.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from bridge.daemon.logs import log
from bridge.store import Store
from bridge.store.leases import LeaseClock, WallClock
from bridge.store.tables import leases


def daemon_id() -> str:
    """Unique per process, and telling a person which machine and process holds a link."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


SYNC_PREFIX = "sync:"


def sync_id() -> str:
    """The lease owner of a ``pm-bridge sync`` process: told apart from a daemon by its prefix."""
    return f"{SYNC_PREFIX}{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Holder:
    owner: str
    expires_at: float

    @property
    def is_sync(self) -> bool:
        return self.owner.startswith(SYNC_PREFIX)


def holders(store: Store, links: list[str]) -> dict[str, Holder]:
    """The current lease rows of ``links`` (expired ones included)."""
    if not links:
        return {}
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(leases).where(leases.c.link.in_(links)))
        return {row.link: Holder(row.owner, float(row.expires_at)) for row in rows}


class LeaseKeeper:
    def __init__(self, store: Store, owner: str, ttl: float, *, clock: LeaseClock | None = None) -> None:
        self.store = store
        self.owner = owner
        self.ttl = ttl
        self.clock: LeaseClock = clock or WallClock()
        self._owned: set[str] = set()
        self._lock = threading.Lock()
        # Held across a renewal and across a release, so a heartbeat cannot take back a lease just released.
        self._renewing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = 0  # renewals that found the lease taken: a sign of a stalled daemon or a store outage

    @property
    def owned(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._owned)

    def acquire(self, link: str) -> bool:
        """Take or renew the link's lease; False when another live daemon holds it."""
        taken = self.store.try_lease(link, self.owner, self.ttl)
        with self._lock:
            had = link in self._owned
            if taken:
                self._owned.add(link)
            else:
                self._owned.discard(link)
        if taken and not had:
            log().info("lease taken", extra={"link": link, "owner": self.owner})
        elif had and not taken:
            self.lost += 1
            log().warning("lease lost to another daemon", extra={"link": link, "owner": self.owner})
        return taken

    def renew_all(self) -> None:
        for link in sorted(self.owned):
            try:
                with self._renewing:
                    if link in self.owned:
                        self.acquire(link)
            except Exception as exc:  # the store is unreachable: keep trying; the lease may survive the outage
                log().error("lease renewal failed", extra={"link": link, "error": f"{type(exc).__name__}: {exc}"})

    def release(self, link: str) -> None:
        with self._renewing:
            with self._lock:
                self._owned.discard(link)
            self.store.release_lease(link, self.owner)

    def release_all(self) -> None:
        for link in sorted(self.owned):
            try:
                self.release(link)
            except Exception as exc:  # shutting down: the lease expires by itself after ttl
                log().error("lease release failed", extra={"link": link, "error": f"{type(exc).__name__}: {exc}"})
        log().info("leases released", extra={"owner": self.owner})

    def orphaned(self, links: list[str]) -> list[str]:
        """Links whose lease has expired in another daemon's name: that daemon died or stalled."""
        now = self.clock.now()
        return [link for link, held in holders(self.store, links).items() if held.owner != self.owner and held.expires_at <= now]

    def start(self, on_beat: Callable[[], None] | None = None) -> None:
        """Renew every third of the ttl on a thread of its own, then run ``on_beat``."""

        def beat() -> None:
            while not self._stop.wait(self.ttl / 3):
                self.renew_all()
                if on_beat is not None:
                    try:
                        on_beat()
                    except Exception as exc:  # the heartbeat must outlive a failing store query
                        log().error("heartbeat failed", extra={"error": f"{type(exc).__name__}: {exc}"})

        self._thread = threading.Thread(target=beat, name="pm-bridge-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
