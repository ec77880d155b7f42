"""Real receivers for the alerts: an SMTP server (aiosmtpd) and a Slack-style incoming webhook, both on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.daemon.conftest import running  # noqa: F401  (the daemon tests' fixture: started daemons, always stopped)

SMTP_USER, SMTP_PASSWORD = "alerts@agency.example", "smtp-pass-Zq81-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server received: each message, parsed, with its envelope."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  (aiosmtpd's hook name)
        content = envelope.original_content or envelope.content
        self.raw.append(content)
        self.messages.append(message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            self.logins.append((user, password))
            return AuthResult(success=(user, password) == (SMTP_USER, SMTP_PASSWORD))
        return AuthResult(success=False)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that asks for a login; no TLS, so configs set starttls: false."""
    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(box, hostname=box.host, port=box.port, authenticator=box.authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Hook:
    """What the incoming webhook received: each JSON body, and the status it answers with."""

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def hook() -> Iterator[Hook]:
    received = Hook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's hook name)
            length = int(self.headers.get("content-length", 0))
            assert self.headers.get("content-type") == "application/json"
            received.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(received.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/sentinel-secret-7f3e"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def alerts_config(mailbox: Mailbox | None = None, hook: Hook | None = None, **rules: Any) -> dict[str, Any]:
    """An ``alerts:`` section sending to the test receivers."""
    section: dict[str, Any] = dict(rules)
    if mailbox is not None:
        section["email"] = {
            "host": mailbox.host, "port": mailbox.port, "starttls": False, "user": SMTP_USER, "password": SMTP_PASSWORD,
            "from": "pm-bridge@agency.example", "to": ["ops@agency.example", "lead@agency.example"],
        }
    if hook is not None:
        section["webhook"] = {"url": hook.url}
    return section
