"""Sharing the links out fairly between the daemons alive on one store.

Each heartbeat, after the renewals, a daemon counts the live daemons running
the same links (their presence leases, see :mod:`bridge.daemon.leases`) and works out its fair
share, ``ceil(links / daemons)``. Above it, it releases the excess, only
between cycles and starting with the links whose next run is furthest away,
so a release never interrupts work and rarely delays it. Below it, it takes
free links (released, or expired because their daemon died) up to its share.
The keeper refuses any other new link once the share is reached, so a link
just released goes to a daemon below its share at that daemon's next
heartbeat instead of bouncing back.

Every move is a lease taken or released through the store's single atomic
statements, so no link is ever held by two daemons: balancing only decides
who asks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from bridge.daemon.leases import LeaseKeeper, crew, holders
from bridge.daemon.logs import log
from bridge.store import Store
from bridge.store.tables import leases


def live_daemons(store: Store, now: float, links: Sequence[str]) -> int:
    """How many daemons running ``links`` have renewed their presence within their ttl."""
    query = (
        sa.select(sa.func.count())
        .select_from(leases)
        .where(leases.c.link.startswith(crew(links), autoescape=True), leases.c.expires_at > now)
    )
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def fair_share(links: int, daemons: int) -> int:
    return math.ceil(links / max(daemons, 1))


@contextmanager
def always_idle(_link: str) -> Iterator[bool]:
    yield True


@dataclass
class Moves:
    """What one rebalancing did, and what it saw."""

    daemons: int
    share: int
    released: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)


class Balancer:
    def __init__(
        self,
        keeper: LeaseKeeper,
        links: Sequence[str],
        *,
        idle: Callable[[str], AbstractContextManager[bool]] = always_idle,
        next_run: Callable[[str], float | None] = lambda _link: None,
    ) -> None:
        """``idle(link)`` holds the link between cycles (yields False while a cycle runs); ``next_run`` is in seconds."""
        self.keeper = keeper
        self.links = list(links)
        self.idle = idle
        self.next_run = next_run

    def rebalance(self) -> Moves:
        keeper = self.keeper
        daemons = live_daemons(keeper.store, keeper.clock.now(), self.links)
        share = fair_share(len(self.links), daemons)
        keeper.limit = share
        moves = Moves(daemons, share)
        owned = keeper.owned
        if len(owned) > share:
            moves.released = self._release(sorted(owned), len(owned) - share)
        elif len(owned) < share:
            moves.taken = self._take(share - len(owned))
        if moves.released or moves.taken:
            log().info(
                "links rebalanced",
                extra={
                    "owner": keeper.owner,
                    "daemons": daemons,
                    "share": share,
                    "released": moves.released,
                    "taken": moves.taken,
                },
            )
        return moves

    def _release(self, owned: list[str], excess: int) -> list[str]:
        def furthest_first(link: str) -> float:
            when = self.next_run(link)
            return -math.inf if when is None else -when

        released: list[str] = []
        for link in sorted(owned, key=furthest_first):  # stable: ties go by name
            if len(released) == excess:
                break
            with self.idle(link) as between_cycles:
                # Held while releasing: this daemon cannot start the link's cycle until the lease is gone.
                if between_cycles and link in self.keeper.owned:
                    self.keeper.release(link)
                    released.append(link)
        return released

    def _take(self, room: int) -> list[str]:
        owned, now = self.keeper.owned, self.keeper.clock.now()
        held = holders(self.keeper.store, [link for link in self.links if link not in owned])
        expired = [link for link, holder in held.items() if holder.expires_at <= now]
        free = [link for link in self.links if link not in owned and link not in held]
        taken: list[str] = []
        for link in sorted(expired) + free:  # a dead daemon's links first: they may be overdue
            if len(taken) == room:
                break
            if self.keeper.acquire(link):
                taken.append(link)
        return taken
