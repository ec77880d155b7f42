"""The email client under `pm-bridge daemon`: the approval request goes out over SMTP after the first cycle,
the client's replies come back both through IMAP polling and through a Mailgun delivery posted over real
HTTP to the daemon, and wake the link."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bridge.config.email import InboundSettings, WebhookInbound
from bridge.config.schema import Config
from bridge.core.ports import NewTask
from bridge.daemon import Daemon
from bridge.webhook_tokens import webhook_token
from connectors.emulation.sandbox import USERS
from connectors.memory import world_named
from connectors.memory.sandbox import MemorySandbox
from tests.email.support import deliver, imap_server, parse, reply, settings, smtp
from tests.email.test_webhooks import MAILGUN_KEY, mailgun

MASTER = "master-webhook-secret-for-email-42"


def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Daemon, Any, MemorySandbox, str, int]]:
    sandbox = MemorySandbox(world_named(f"email-daemon-{tmp_path.name}"))
    project = sandbox.create_project("Acme website", ["Design", "For approval", "Internal QA", "Client requests"])
    anna = sandbox.connector("human")
    sections = {s.name: s.id for s in anna.pull(project).snapshot.sections.values()}
    anna.create_task(project, NewTask(title="Final logo", section_id=sections["For approval"]))
    anna.create_task(project, NewTask(title="Sitemap", section_id=sections["Design"]))
    with smtp() as sink, imap_server() as imap_port:
        email = settings(sink.port, imap_port)
        hook = WebhookInbound(provider="mailgun", signing_key=SecretStr(MAILGUN_KEY))
        email = email.model_copy(update={"inbound": InboundSettings(imap=email.inbound.imap, webhook=hook)})
        config = Config.model_validate({
            "state": f"sqlite:///{tmp_path}/state.db",
            "connections": {
                "agency": {"kind": "memory", "base_url": sandbox.world.base_url, "token": USERS["bridge"].token},
                "client-mail": {"kind": "email", "email": email.model_dump(mode="python")},
            },
            "links": {"acme": {
                "internal": {"connection": "agency", "project": project},
                "client": {"connection": "client-mail", "project": "Acme website"},
                "interval": 3600,
                "mirror": {"access": {"type": "label"}, "sections": {name: {"access": "unlocked"} for name in
                                                                     ("Design", "For approval", "Client requests")}},
            }},
            "daemon": {"webhook_secret": MASTER, "debounce": 0.1, "jitter": 0.0},
        })
        daemon = Daemon(config, port=0)
        daemon.start()
        try:
            yield daemon, sink, sandbox, project, imap_port
        finally:
            daemon.stop()


def test_replies_by_imap_and_by_provider_webhook_reach_the_internal_tasks(
    setup: tuple[Daemon, Any, MemorySandbox, str, int],
) -> None:
    daemon, sink, sandbox, project, imap_port = setup
    approval = wait_for(lambda: next((r for r in sink.received if b"Approval needed" in r.data), None),
                        what="the approval request after the first cycle")
    reply_to = str(parse(approval.data)["Reply-To"])
    anna = sandbox.connector("human")

    def comments() -> list[str]:
        return sorted(c.text for c in anna.pull(project).snapshot.comments.values())

    # By the provider's webhook, over real HTTP: it wakes the link at once.
    url = f"http://127.0.0.1:{daemon.port}/hooks/acme/client/{webhook_token(MASTER, 'acme', 'client')}"
    request = mailgun(reply(reply_to, "Approved, by webhook"))
    forged = mailgun(reply(reply_to, "Approved, forged"), key="not-the-key")
    assert httpx.post(url, content=forged.body, headers=forged.headers).status_code == 401
    assert httpx.post(url, content=request.body, headers=request.headers).status_code == 200
    wait_for(lambda: comments() == ["Client Carla Client: Approved, by webhook"], what="the webhook reply")
    final = next(t for t in anna.pull(project).snapshot.tasks.values() if t.title == "Final logo")
    assert "client-approved" in final.labels

    # By IMAP: read at the link's next cycle (here, woken by a delivery of nothing new).
    deliver(imap_port, reply("request@replies.agency.example", "A page for jobs", subject="Careers page"))
    daemon.deliveries.wake("acme")
    wait_for(lambda: any(t.title == "Careers page" for t in anna.pull(project).snapshot.tasks.values()),
             what="the request read over IMAP")
