"""Where emulator deliveries go: real loopback HTTP from the background sender, an ASGI app in-process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask, WebhookRequest, WebhookVerdict
from bridge.webhook_tokens import callback_url, webhook_token
from connectors import asana, github
from connectors.emulation.serve import asgi_app
from connectors.emulation.webhooks import AsgiTransport, to_receiver
from tests.webhooks.conftest import MASTER, Receiver, serve_app


def receiver_app(answer: Callable[[WebhookRequest], WebhookVerdict]) -> Any:
    """A bare ASGI receiver, as the daemon's would be: the full URL, lower-cased headers, the raw body."""
    return asgi_app(to_receiver(answer).handle_request)


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_background_sender_posts_over_loopback_http() -> None:
    receiver = Receiver({"acme/client": "github"})
    server, thread, port = serve_app(receiver_app(receiver))
    sandbox = github.Sandbox(clock=VirtualClock())
    repo = sandbox.create_project("R", [])
    token = webhook_token(MASTER, "acme", "client")
    try:
        sandbox.emulator.outbox.start()
        sandbox.connector("bridge").register_webhook(  # type: ignore[attr-defined]
            repo, callback_url(f"http://127.0.0.1:{port}", "acme", "client", token), token
        )
        sandbox.connector("human").create_task(repo, NewTask(title="T"))
        wait_for(lambda: len(receiver.verdicts) == 2)
    finally:
        sandbox.emulator.outbox.stop()
        server.should_exit = True
        thread.join(timeout=10)
    assert [v.reason for _, v in receiver.verdicts] == ["github: ping", "github: issues.opened"]
    assert receiver.triggered() == ["acme/client"]


def test_a_stuck_receiver_does_not_hold_up_the_emulated_api() -> None:
    sandbox = github.Sandbox(clock=VirtualClock())
    repo = sandbox.create_project("R", [])
    release, arrived = threading.Event(), threading.Event()

    def stuck(request: httpx.Request) -> httpx.Response:
        arrived.set()
        release.wait(10)
        return httpx.Response(200)

    sandbox.emulator.outbox.use(httpx.MockTransport(stuck))
    sandbox.emulator.outbox.start()
    try:
        anna = sandbox.connector("human")
        anna.create_task(repo, NewTask(title="first"))
        sandbox.connector("bridge").register_webhook(repo, "https://bridge.test/hooks/a/b/c", "tok")  # type: ignore[attr-defined]
        assert arrived.wait(10)  # the sender is now blocked inside the ping delivery
        anna.create_task(repo, NewTask(title="second"))  # answered at once all the same
        titles = {t.title for t in anna.pull(repo).snapshot.tasks.values()}
        assert titles == {"first", "second"} and len(sandbox.emulator.outbox.pending) == 1
    finally:
        release.set()
        sandbox.emulator.outbox.stop()
    # The ping went through once released (the second delivery may or may not have followed before the stop).
    assert sandbox.emulator.outbox.attempts[0].delivery.headers["x-github-event"] == "ping"


def test_asgi_transport_carries_the_asana_handshake_and_deliveries() -> None:
    receiver = Receiver({"acme/internal": "asana"})
    sandbox = asana.Sandbox(clock=VirtualClock())
    project = sandbox.create_project("P", ["A"])
    sandbox.emulator.outbox.use(AsgiTransport(receiver_app(receiver)))
    token = webhook_token(MASTER, "acme", "internal")
    sandbox.connector("bridge").register_webhook(  # type: ignore[attr-defined]
        project, callback_url("https://bridge.test", "acme", "internal", token), "unused"
    )
    assert receiver.stored["acme/internal"]  # the handshake went through the app, and its secret was kept
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    attempts = sandbox.emulator.deliver_pending()
    assert [a.status for a in attempts] == [200] * len(attempts) and len(attempts) >= 2
    assert [v.reason for _, v in receiver.verdicts][:2] == ["asana: handshake", "asana: heartbeat"]
    assert receiver.triggered()
