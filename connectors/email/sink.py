"""An SMTP server in this process that keeps every message it receives: the demo's mail sink.

A real SMTP server (aiosmtpd) on 127.0.0.1, so the demo sends its digest over the same SMTP
code a real relay gets; nothing leaves the machine.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # A relay that refuses some messages for good (a test's 5xx): a message it matches is answered 550, not kept.
    refuse: Callable[[bytes], bool] | None = None
    attempts: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        data = bytes(envelope.original_content)
        with self.lock:
            self.attempts += 1
            if self.refuse is not None and self.refuse(data):
                return "550 5.1.1 mailbox unavailable"
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), data))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpSink:
    """``with SmtpSink() as sink:`` a server on ``sink.port``; ``sink.received`` lists what came in."""

    def __init__(self) -> None:
        self.port = free_port()
        self._handler = _Handler()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)

    @property
    def attempts(self) -> int:
        """Messages offered to the server, taken or refused."""
        with self._handler.lock:
            return self._handler.attempts

    def refuse(self, matches: Callable[[bytes], bool] | None) -> None:
        """Answer ``550`` to every message ``matches`` (None: take everything again)."""
        with self._handler.lock:
            self._handler.refuse = matches

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._controller.stop()
