"""Leases for several daemons, and many threads writing at once."""

from __future__ import annotations

import threading

from bridge.clock import VirtualClock
from bridge.core.model import Snapshot, Task
from bridge.store import Pair, Store


def test_one_owner_at_a_time_until_expiry(store: Store, clock: VirtualClock) -> None:
    assert store.try_lease("L", "daemon-a", 30)
    assert not store.try_lease("L", "daemon-b", 30)
    assert store.try_lease("M", "daemon-b", 30)  # leases are per link
    clock.advance(20)
    assert store.try_lease("L", "daemon-a", 30)  # renewing moves the expiry on
    clock.advance(20)
    assert not store.try_lease("L", "daemon-b", 30)
    clock.advance(11)
    assert store.try_lease("L", "daemon-b", 30)  # daemon-a went quiet: taken over
    assert not store.try_lease("L", "daemon-a", 30)


def test_release_frees_only_your_own_lease(store: Store) -> None:
    assert store.try_lease("L", "daemon-a", 30)
    store.release_lease("L", "daemon-b")
    assert not store.try_lease("L", "daemon-b", 30)
    store.release_lease("L", "daemon-a")
    assert store.try_lease("L", "daemon-b", 30)


def test_racing_daemons_get_one_lease(store: Store) -> None:
    start = threading.Barrier(8)
    winners: list[str] = []

    def contend(owner: str) -> None:
        start.wait()
        if store.try_lease("L", owner, 60):
            winners.append(owner)

    threads = [threading.Thread(target=contend, args=(f"daemon-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_eight_threads_writing_at_once_lose_nothing(store: Store, sample: Snapshot) -> None:
    store.save_snapshot("L", "client", sample, "cur")
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        start.wait()
        try:
            for m in range(10):
                key = f"t{n}-{m}"
                intent = store.begin_intent("L", "client", "task", key, {"n": n})
                created = Task(id=f"c{n}-{m}", title=key)
                store.complete_intent(intent, Pair(kind="task", key=key, internal_id=key, client_id=created.id), [created])
                store.audit("L", "created", kind="task", key=key)
                store.put_items("L", "client", [created.model_copy(update={"done": True})], [])
                store.set_link_meta("L", **{f"thread{n}": m})
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.pairs("L")) == 80
    assert store.pending_intents("L") == []
    assert len(store.audit_entries("L", "created", limit=1000)) == 80
    _, cached = store.load_snapshot("L", "client")
    assert cached is not None
    assert sum(1 for task in cached.tasks.values() if task.id.startswith("c") and task.done) == 80
    assert store.link_meta("L") == {f"thread{n}": 9 for n in range(8)}
