"""Which links this daemon works on: leases in the shared store, kept alive by a heartbeat.

A daemon takes a link's lease (:meth:`bridge.store.Store.try_lease`, one
atomic upsert) the first time it finds the link free or expired, and keeps
it by renewing every third of ``lease_ttl``, during cycles too. Other
daemons' attempts fail while the lease is alive, so each link has exactly
one daemon at a time. A daemon that dies stops renewing; once its leases
expire, the heartbeat of a survivor notices and takes them over.

``pm-bridge sync`` takes the same leases (as :func:`sync_id`), one link at a
time, so a hand-run cycle never overlaps a daemon's.

A daemon also announces itself with a lease on :func:`presence_name`, in the
same table and renewed first in every heartbeat, so every daemon can count
the live ones running the same links as itself (:mod:`bridge.daemon.balance`
shares the links out by that count).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from bridge.daemon.logs import log
from bridge.store import Store
from bridge.store.leases import LeaseClock, WallClock
from bridge.store.tables import leases

LINK_COLUMN = 200  # leases.link is a String(200)


def daemon_id() -> str:
    """Unique per process, and telling a person which machine and process holds a link."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


SYNC_PREFIX = "sync:"
PRESENCE_PREFIX = "@daemon:"


def crew(links: Iterable[str]) -> str:
    """The presence prefix shared by the daemons that run exactly ``links``, and so share them out.

    Daemons started on different links (``pm-bridge daemon LINK...``) count only their own kind: counting
    a daemon that cannot run a link would shrink everyone's share and leave that link to nobody.
    """
    digest = hashlib.sha256("\n".join(sorted(set(links))).encode()).hexdigest()[:12]
    return f"{PRESENCE_PREFIX}{digest}:"


def presence_name(owner: str, links: Iterable[str]) -> str:
    """The lease row saying ``owner`` is alive; it keeps the owner's tail (pid, random part) to fit the column."""
    prefix = crew(links)
    return prefix + owner[-(LINK_COLUMN - len(prefix)) :]


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
        # How many links this keeper may hold (its fair share); None: no limit (``pm-bridge sync``).
        self.limit: int | None = None
        self._presence: str | None = None  # set once announced as a daemon; ``pm-bridge sync`` never does

    @property
    def owned(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._owned)

    def acquire(self, link: str) -> bool:
        """Take or renew the link's lease; False when another live daemon holds it, or this one holds its share."""
        with self._lock:
            full = self.limit is not None and link not in self._owned and len(self._owned) >= self.limit
        if full:
            return False
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

    def announce(self, links: Iterable[str]) -> None:
        """Tell the daemons running ``links`` that this one is alive too (renewed by :meth:`renew_all`,
        withdrawn by :meth:`release_all`)."""
        previous, self._presence = self._presence, presence_name(self.owner, links)
        self.store.try_lease(self._presence, self.owner, self.ttl)
        if previous is not None and previous != self._presence:  # a config reload changed the links
            self.store.release_lease(previous, self.owner)

    def renew_all(self) -> None:
        # Presence first: a daemon that dies then counts as gone no later than its links come free.
        if self._presence is not None:
            try:
                self.store.try_lease(self._presence, self.owner, self.ttl)
            except Exception as exc:  # as for a link below: the next heartbeat tries again
                log().error("presence renewal failed", extra={"owner": self.owner, "error": f"{type(exc).__name__}: {exc}"})
        # One statement for every lease still ours; only the others (taken over, or the row gone) go one by one.
        missed: list[str] = []
        with self._renewing:
            owned = sorted(self.owned)
            try:
                renewed = self.store.renew_leases(owned, self.owner, self.ttl)
            except Exception as exc:  # the store is unreachable: keep trying; the leases may survive the outage
                log().error("lease renewal failed", extra={"links": len(owned), "error": f"{type(exc).__name__}: {exc}"})
                return
            missed = [link for link in owned if link not in renewed]
        for link in missed:
            try:
                with self._renewing:
                    if link in self.owned:
                        self.acquire(link)
            except Exception as exc:  # as above
                log().error("lease renewal failed", extra={"link": link, "error": f"{type(exc).__name__}: {exc}"})

    def release(self, link: str) -> None:
        with self._renewing:
            with self._lock:
                self._owned.discard(link)
            self.store.release_lease(link, self.owner)

    def release_all(self) -> None:
        # Presence first, so the survivors count one daemon fewer by the time these links come free.
        presence, self._presence = self._presence, None
        if presence is not None:
            try:
                self.store.release_lease(presence, self.owner)
            except Exception as exc:  # it expires by itself after ttl
                log().error("presence release failed", extra={"owner": self.owner, "error": f"{type(exc).__name__}: {exc}"})
        for link in sorted(self.owned):
            try:
                self.release(link)
            except Exception as exc:  # shutting down: the lease expires by itself after ttl
                log().error("lease release failed", extra={"link": link, "error": f"{type(exc).__name__}: {exc}"})
        log().info("leases released", extra={"owner": self.owner})

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
