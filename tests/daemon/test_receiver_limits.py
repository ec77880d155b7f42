"""What the webhook receiver does with traffic that is not a delivery: refused before its body is read,
bodies capped, refusals logged a bounded number of times, request text escaped in the log."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bridge.daemon import Daemon
from bridge.daemon.hooks import Deliveries
from bridge.daemon.logs import HumanFormatter, JsonFormatter, RedactingFilter, printable
from bridge.daemon.metrics import Metrics
from bridge.store import Store
from bridge.webhook_tokens import webhook_token
from tests.daemon.conftest import MASTER, Tool, WallClock, captured_log, config_for

TWENTY_MB = 20_000_000


def _daemon(tmp_path: Path, running: Callable[[Daemon], Daemon], **settings: object) -> Daemon:
    tool = Tool()
    internal, client = tool.agency_project(shared=0), tool.sandbox.create_project("Acme x Agency", [])
    return running(Daemon(config_for(tmp_path, tool, {"acme": (internal, client)}, **settings), port=0))


def _exchange(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` (headers and at most a sliver of the body) and read the answer's status line and headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def _post_head(path: str, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{framing}\r\n\r\n".encode()


def _status(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert match, answer[:200]
    return int(match.group(1))


@pytest.fixture
def human_log() -> Iterator[io.StringIO]:
    with captured_log("human") as stream:
        yield stream


def test_a_20_mb_post_to_an_unknown_link_or_with_a_wrong_token_is_refused_unread(
    tmp_path: Path, running: Callable[[Daemon], Daemon]
) -> None:
    daemon = _daemon(tmp_path, running)
    sliver = b"x" * 65536  # the client has sent 64 KB of the 20 MB it announced, and waits for an answer
    unknown = _exchange(daemon.port, _post_head("/hooks/nope/client/whatever", TWENTY_MB) + sliver)
    assert _status(unknown) == 404
    wrong_token = _exchange(daemon.port, _post_head("/hooks/acme/internal/not-the-token", TWENTY_MB) + sliver)
    assert _status(wrong_token) == 403


def test_a_body_over_max_body_is_answered_413_without_reading_the_rest(
    tmp_path: Path, running: Callable[[Daemon], Daemon]
) -> None:
    daemon = _daemon(tmp_path, running, max_body=2048)
    path = f"/hooks/acme/internal/{webhook_token(MASTER, 'acme', 'internal')}"
    # Announced too large: refused on the header alone.
    assert _status(_exchange(daemon.port, _post_head(path, TWENTY_MB))) == 413
    # No length announced: refused once the streamed chunks pass the cap, with the body never finished.
    chunk = b"y" * 1024
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3))
    assert _status(_exchange(daemon.port, _post_head(path, None) + chunks)) == 413
    # Under the cap, the delivery reaches the tool's own checks (no handshake yet: 401).
    small = httpx.post(f"http://127.0.0.1:{daemon.port}{path}", content=b"z" * 2000)
    assert small.status_code == 401


def test_2000_bad_requests_write_a_bounded_number_of_log_lines(
    tmp_path: Path, running: Callable[[Daemon], Daemon], human_log: io.StringIO
) -> None:
    daemon = _daemon(tmp_path, running)
    base = f"http://127.0.0.1:{daemon.port}/hooks"
    with httpx.Client() as http:
        for n in range(2000):
            url = [f"{base}/scan-{n}/client/x", f"{base}/acme/internal/wrong-{n}", f"{base}/acme/sideways/x"][n % 3]
            assert http.post(url, content=b"{}").status_code in (403, 404)
    refused = [line for line in human_log.getvalue().splitlines() if "webhook delivery" in line]
    assert 1 <= len(refused) <= 5, refused  # one per (reason, link) per minute
    # The metrics still count every refusal for a configured link.
    assert daemon.metrics.value("pm_bridge_webhooks_total", link="acme", side="internal", outcome="refused") == 667


def test_held_back_refusals_are_counted_in_the_next_line(tmp_path: Path, human_log: io.StringIO) -> None:
    clock = WallClock()
    config = config_for(tmp_path, Tool(), {"acme": ("p1", "p2")})
    store = Store.open("sqlite://")
    try:
        deliveries = Deliveries(config, store, lambda link: None, Metrics(), clock=clock)
        for _ in range(5):
            deliveries.admit("acme", "internal", "wrong", "POST")
        clock.advance(61)
        deliveries.admit("acme", "internal", "wrong", "POST")
    finally:
        store.close()
    refused = [line for line in human_log.getvalue().splitlines() if "webhook delivery" in line]
    assert len(refused) == 2
    assert "suppressed" not in refused[0] and "suppressed=4" in refused[1]


def test_a_newline_in_the_path_cannot_forge_a_log_line(
    tmp_path: Path, running: Callable[[Daemon], Daemon], human_log: io.StringIO
) -> None:
    daemon = _daemon(tmp_path, running)
    answer = httpx.post(f"http://127.0.0.1:{daemon.port}/hooks/acme%0Aforged-no-space/client/x%0D%0Aalso")
    assert answer.status_code == 404
    text = human_log.getvalue()
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (INFO|WARNING|ERROR|DEBUG|CRITICAL) ")
    assert all(stamp.match(line) for line in text.splitlines()), text
    (line,) = [line for line in text.splitlines() if "forged" in line]
    assert r"link=acme\nforged-no-space" in line


def test_json_and_human_logs_escape_alike() -> None:
    assert printable("acme\nforged\r\x1b[31m\u2028x\u202e") == r"acme\nforged\r\x1b[31m\u2028x\u202e"
    assert printable("Müller – ok") == "Müller – ok"
    lines = []
    for formatter in (JsonFormatter(), HumanFormatter()):
        record = logging.LogRecord("t", logging.WARNING, "", 0, "webhook delivery", (), None)
        record.link = "a\nb"
        assert RedactingFilter().filter(record)
        lines.append(formatter.format(record))
    assert json.loads(lines[0])["link"] == r"a\nb" and r"link=a\nb" in lines[1]
