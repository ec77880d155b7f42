"""Webhook signatures (GitHub's documented test vector) and the emulator's signed deliveries."""

from __future__ import annotations

import json

from bridge.core.ports import NewTask
from connectors.github import parse_delivery, verify_signature
from connectors.github.emulator.server import Delivery
from tests.spec.reference import ROOT

from .conftest import World

VECTOR = ROOT / "github" / "examples" / "webhook_signature_test_vector.json"


def test_documented_test_vector() -> None:
    vector = json.loads(VECTOR.read_text())
    secret, payload, header = vector["secret"].encode(), vector["payload"].encode(), vector["X-Hub-Signature-256"]
    assert verify_signature(secret, payload, header)
    assert not verify_signature(secret, payload + b" ", header)
    assert not verify_signature(b"another secret", payload, header)
    assert not verify_signature(secret, payload, header.replace("sha256=", "sha1="))
    assert not verify_signature(secret, payload, header[:-2] + "00")
    assert not verify_signature(secret, payload, None)
    assert not verify_signature(b"", payload, header)


def test_emulator_deliveries_are_signed_and_parse(world: World) -> None:
    received: list[Delivery] = []
    world.emulator.delivery_sinks.append(received.append)
    http_body = {
        "name": "web",
        "events": ["issues", "issue_comment"],
        "config": {"url": "https://bridge.example/gh", "secret": "s3cr3t"},
    }
    repo = world.emulator.repo(world.project)
    world.emulator.clear_requests()
    import httpx

    client = httpx.Client(
        base_url=world.emulator.base_url, transport=world.emulator.transport(), headers={"Authorization": "Bearer tok-anna-0002"}
    )
    assert client.post(f"/repos/{world.project}/hooks", json=http_body).status_code == 201
    task = world.human.create_task(world.project, NewTask(title="Hook me"))
    world.human.create_comment(world.project, task.id, "Ping")
    assert [d.headers["x-github-event"] for d in received] == ["ping", "issues", "issue_comment"]
    for delivery in received:
        assert verify_signature(b"s3cr3t", delivery.body, delivery.headers["x-hub-signature-256"])
        assert not verify_signature(b"wrong", delivery.body, delivery.headers["x-hub-signature-256"])
    parsed = parse_delivery(received[1].headers, received[1].body)
    assert (parsed.event, parsed.action, parsed.repository, parsed.relevant) == ("issues", "opened", repo.full_name, True)
    assert not parse_delivery(received[0].headers, received[0].body).relevant
