"""Webhook test helpers: a stand-in for the daemon's receiver, and emulators served over loopback HTTP."""

from __future__ import annotations

import importlib
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn

from bridge.core.ports import WebhookRequest, WebhookVerdict
from bridge.store import Store
from bridge.webhook_tokens import receive_secret, webhook_token
from connectors.emulation.sandbox import Sandbox
from connectors.emulation.serve import asgi_app

MASTER = "test-master-secret-for-webhooks"
PUBLIC = "https://bridge.test"


@dataclass
class Receiver:
    """What the daemon does with a delivery, in miniature: URL token, the tool's ``receive``, stored secrets.

    ``kinds`` maps "link/side" to the tool kind; ``app_secrets`` the same key to a Trello app secret.
    """

    kinds: dict[str, str]
    app_secrets: dict[str, str] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)
    verdicts: list[tuple[str, WebhookVerdict]] = field(default_factory=list)
    store: Store | None = None  # when given, handshake secrets live in its link_meta, as the daemon keeps them

    def secret_for(self, link: str, side: str) -> str | None:
        if self.store is None:
            return self.stored.get(f"{link}/{side}")
        value = self.store.link_meta(link).get(f"webhook_secret.{side}")
        return value if isinstance(value, str) else None

    def __call__(self, request: WebhookRequest) -> WebhookVerdict:
        parts = urllib.parse.urlsplit(request.url).path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "hooks" or f"{parts[1]}/{parts[2]}" not in self.kinds:
            return WebhookVerdict(status=404, reason="unknown hook")
        _, link, side, token = parts
        key = f"{link}/{side}"
        if token != webhook_token(MASTER, link, side):
            return WebhookVerdict(status=403, reason="bad token")
        module: Any = importlib.import_module(f"connectors.{self.kinds[key]}.webhooks")
        secret = receive_secret(module.SECRET_SOURCE, token=token, stored=self.secret_for(link, side),
                                app_secret=self.app_secrets.get(key))
        verdict: WebhookVerdict = module.receive(request, secret)
        if verdict.secret:
            self.stored[key] = verdict.secret
            if self.store is not None:
                self.store.set_link_meta(link, **{f"webhook_secret.{side}": verdict.secret})
        self.verdicts.append((key, verdict))
        return verdict

    def triggered(self) -> list[str]:
        return [key for key, verdict in self.verdicts if verdict.trigger]


@dataclass
class Served:
    sandbox: Sandbox
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve_app(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    """Serve an ASGI app on a free loopback port in a daemon thread; stop it with ``server.should_exit``."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the HTTP server did not start")
        time.sleep(0.01)
    return server, thread, port


def serve(sandbox: Sandbox) -> Served:
    prefix = urllib.parse.urlsplit(sandbox.emulator.base_url).path
    server, thread, port = serve_app(asgi_app(sandbox.emulator))
    sandbox.emulator.base_url = f"http://127.0.0.1:{port}{prefix}"
    return Served(sandbox, server, thread)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def served() -> Iterator[list[Served]]:
    """Collects servers a test starts, and stops them afterwards."""
    started: list[Served] = []
    yield started
    for one in started:
        one.stop()
