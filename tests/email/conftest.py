"""Fixtures shared by the email tests that need both mail servers: a real SMTP sink and a real IMAP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.email.sink import SmtpSink
from tests.email.support import EmailWorld, imap_server, settings, smtp


@pytest.fixture
def servers() -> Iterator[tuple[SmtpSink, int]]:
    with smtp() as sink, imap_server() as port:
        yield sink, port


@pytest.fixture
def world(tmp_path: Path, servers: tuple[SmtpSink, int]) -> Iterator[EmailWorld]:
    sink, port = servers
    w = EmailWorld(tmp_path, settings(sink.port, port))
    yield w
    w.close()
