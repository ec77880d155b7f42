"""Basecamp webhook deliveries: a constant-time secret check, and reading what a delivery is about."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.errors import Malformed
from connectors.basecamp import BasecampEmulator
from connectors.basecamp.webhooks import parse_delivery, verify_token
from tests.spec.reference import reference

from .conftest import Raw


def example(name: str) -> Any:
    return reference("basecamp").example(name)


@pytest.mark.parametrize(("expected", "presented", "ok"), [
    ("s3cret-path-token", "s3cret-path-token", True),
    ("s3cret-path-token", "s3cret-path-tokeN", False),
    ("s3cret-path-token", "s3cret-path-token-longer", False),
    ("s3cret-path-token", "", False),
    ("", "", False),
    ("ünïcode-sécret", "ünïcode-sécret", True),
])
def test_verify_token(expected: str, presented: str, ok: bool) -> None:
    assert verify_token(expected, presented) is ok


def test_verify_token_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.basecamp.webhooks as webhooks

    calls: list[tuple[bytes, bytes]] = []
    real = webhooks.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
    assert verify_token("abc", "abc")
    assert calls == [(b"abc", b"abc")]


def test_parse_delivery_of_the_documented_payload_and_the_emulators(emulator: BasecampEmulator, raw: Raw, project: str) -> None:
    documented = parse_delivery(example("webhook_payload.event.json"))
    assert (documented.kind, documented.project_id, documented.recording_type) == ("message_created", "2085958498", "Message")
    hook = raw.json("POST", f"buckets/{project}/webhooks.json", json={"payload_url": "https://bridge.example/hooks/tok"})
    todo = raw.json("POST", f"todolists/{raw.lists(project)[0]['id']}/todos.json", json={"content": "Hooked"})
    raw.json("POST", f"recordings/{todo['id']}/comments.json", json={"content": "<div>Hi</div>"})
    parsed = [parse_delivery(body) for body in emulator.pending_deliveries(int(hook["id"]))]
    assert [(d.kind, d.project_id, d.recording_type) for d in parsed] == [
        ("todo_created", project, "Todo"), ("comment_created", project, "Comment")]


@pytest.mark.parametrize("body", [{}, {"kind": "todo_created"}, {"kind": "x", "recording": {"id": "abc"}}, [], "text"])
def test_a_delivery_without_the_documented_fields_is_malformed(body: object) -> None:
    with pytest.raises(Malformed):
        parse_delivery(body)
