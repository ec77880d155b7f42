"""The id map: upsert by key, and one remote id per item and side."""

from __future__ import annotations

import threading

import pytest

from bridge.errors import BridgeError
from bridge.store import DuplicateClaim, Pair, Store


def task_pair(key: str, internal_id: str | None, client_id: str | None, **base: object) -> Pair:
    return Pair(kind="task", key=key, internal_id=internal_id, client_id=client_id, base=dict(base))


def test_save_then_read_back_with_base_and_stamp(store: Store) -> None:
    store.save_pair("L", Pair(kind="section", key="@shared", internal_id=None, client_id="list-9", origin="client"))
    store.save_pair("L", task_pair("t1", "t1", "c1", title="Hero", due="2024-06-30", labels=["a", "b"]))
    found = {pair.key: pair for pair in store.pairs("L")}
    assert set(found) == {"@shared", "t1"}
    assert found["@shared"].origin == "client"
    assert found["@shared"].internal_id is None
    assert found["t1"].base == {"title": "Hero", "due": "2024-06-30", "labels": ["a", "b"]}
    assert found["t1"].updated_at is not None and found["t1"].updated_at.tzinfo is not None
    assert store.pairs("other-link") == []


def test_save_upserts_by_key(store: Store) -> None:
    store.save_pair("L", task_pair("t1", "t1", None))
    store.save_pair("L", task_pair("t1", "t1", "c1", title="New"))
    [pair] = store.pairs("L")
    assert (pair.client_id, pair.base) == ("c1", {"title": "New"})


def test_delete_pair_removes_only_that_key(store: Store) -> None:
    store.save_pair("L", task_pair("t1", "t1", "c1"))
    store.save_pair("L", task_pair("t2", "t2", "c2"))
    store.save_pair("L", Pair(kind="comment", key="t1", internal_id="x", client_id="y"))
    store.delete_pair("L", "task", "t1")
    assert {(p.kind, p.key) for p in store.pairs("L")} == {("task", "t2"), ("comment", "t1")}


def test_second_claim_on_a_client_id_is_refused(store: Store) -> None:
    store.save_pair("L", task_pair("t1", "t1", "c1", title="first"))
    with pytest.raises(DuplicateClaim, match="'c1'.*'t1'") as raised:
        store.save_pair("L", task_pair("t2", "t2", "c1"))
    assert isinstance(raised.value, BridgeError)
    assert [(p.key, p.client_id, p.base) for p in store.pairs("L")] == [("t1", "c1", {"title": "first"})]


def test_second_claim_on_an_internal_id_is_refused(store: Store) -> None:
    store.save_pair("L", task_pair("t1", "i1", "c1"))
    with pytest.raises(DuplicateClaim, match="internal"):
        store.save_pair("L", task_pair("other", "i1", "c2"))
    assert [p.key for p in store.pairs("L")] == ["t1"]


def test_moving_a_key_onto_a_claimed_id_is_refused(store: Store) -> None:
    store.save_pair("L", task_pair("t1", "t1", "c1"))
    store.save_pair("L", task_pair("t2", "t2", "c2"))
    with pytest.raises(DuplicateClaim):
        store.save_pair("L", task_pair("t2", "t2", "c1"))
    assert {p.key: p.client_id for p in store.pairs("L")} == {"t1": "c1", "t2": "c2"}


def test_unique_claims_are_per_link_and_kind_and_nulls_repeat(store: Store) -> None:
    store.save_pair("L", task_pair("t1", "x", "y"))
    store.save_pair("M", task_pair("t1", "x", "y"))
    store.save_pair("L", Pair(kind="comment", key="t1", internal_id="x", client_id="y"))
    for n in range(3):
        store.save_pair("L", task_pair(f"pending-{n}", f"i{n}", None))
        store.save_pair("L", task_pair(f"inbound-{n}", None, f"c{n}"))
    assert len(store.pairs("L")) == 8
    assert len(store.pairs("M")) == 1


def test_racing_claims_on_one_client_id_let_exactly_one_win(store: Store) -> None:
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim(n: int) -> None:
        start.wait()
        try:
            store.save_pair("L", task_pair(f"t{n}", f"t{n}", "contested"))
            result = "won"
        except DuplicateClaim:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["won"]
    assert [p.client_id for p in store.pairs("L")] == ["contested"]
