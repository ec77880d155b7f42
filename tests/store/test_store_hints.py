"""Webhook hints in the store: noted per kind, handed to a pull, forgotten only as read."""

from __future__ import annotations

from bridge.store import Store


def test_no_webhook_means_no_hints(store: Store) -> None:
    assert store.pending_hints("acme", "client") is None


def test_a_delivery_serves_the_side_and_names_its_kinds(store: Store) -> None:
    store.note_hints("acme", "client", frozenset({"comments"}), 10.0)
    store.note_hints("acme", "client", frozenset({"todos", "comments"}), 11.0)
    assert store.pending_hints("acme", "client") == {"comments": 11.0, "todos": 11.0}
    assert store.pending_hints("acme", "internal") is None, "the other side is not served"
    assert store.pending_hints("globex", "client") is None, "nor another link"


def test_a_kind_restamped_during_the_pull_survives_its_forgetting(store: Store) -> None:
    store.note_hints("acme", "client", frozenset({"todos", "comments"}), 10.0)
    read = store.pending_hints("acme", "client")
    assert read is not None
    store.note_hints("acme", "client", frozenset({"comments"}), 12.0)  # a delivery while the pull ran
    store.forget_hints("acme", "client", read)
    assert store.pending_hints("acme", "client") == {"comments": 12.0}
    store.forget_hints("acme", "client", {"comments": 12.0})
    assert store.pending_hints("acme", "client") == {}, "still served by the webhook, nothing pending"


def test_a_delivery_naming_nothing_still_proves_the_webhook(store: Store) -> None:
    store.note_hints("acme", "internal", frozenset(), 5.0)
    assert store.pending_hints("acme", "internal") == {}


def test_unserve_returns_the_side_to_polling(store: Store) -> None:
    store.note_hints("acme", "client", frozenset({"todos"}), 10.0)
    store.unserve_hints("acme", "client")
    assert store.pending_hints("acme", "client") is None
