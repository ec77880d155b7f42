"""Uploads in the emulators (docs/files.md): multipart split without loss, each tool's size refusal,
and downloads that ask for the credentials the real tool asks for."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.core.ports import FileTransfer, NewTask
from bridge.errors import AuthError, Invalid
from bridge.http.multipart import multipart_body
from connectors import asana, basecamp, trello
from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.files import FileVault, multipart_parts
from connectors.emulation.sandbox import USERS
from connectors.emulation.toolkit import HttpError

TRICKY = b"--not-the-boundary\r\n\r\n" + bytes(range(256)) * 8 + b"\r\n--"


def test_a_streamed_multipart_body_splits_back_into_its_fields_and_file() -> None:
    headers, body = multipart_body([("name", 'Q3 "final".pdf'), ("parent", "123")], "file", 'Q3 "final".pdf',
                                   "application/pdf", iter([TRICKY[:7], TRICKY[7:]]), len(TRICKY))
    raw = b"".join(body)
    assert len(raw) == int(headers["Content-Length"])
    parts = {p.name: p for p in multipart_parts(headers["Content-Type"], raw)}
    assert parts["name"].text() == 'Q3 "final".pdf' and parts["parent"].text() == "123"
    assert bytes(parts["file"].data) == TRICKY
    assert (parts["file"].filename, parts["file"].content_type) == ('Q3 "final".pdf', "application/pdf")


def _asana() -> tuple[asana.Emulator, FileTransfer, str]:
    clock = VirtualClock()
    sandbox = asana.Sandbox(asana.Emulator(clock=clock), clock=clock)
    project = sandbox.create_project("Files", ["Design"])
    conn = sandbox.connector("bridge")
    assert isinstance(conn, FileTransfer)
    return sandbox.emulator, conn, project


def test_asana_refuses_a_file_over_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    emulator, conn, project = _asana()
    monkeypatch.setattr("connectors.asana.emulator.activity.FILE_LIMIT", 1000)
    task = conn.create_task(project, NewTask(title="Film"))  # type: ignore[attr-defined]
    with pytest.raises(Invalid, match="too large"):
        conn.upload_attachment(project, task.id, "film.mp4", iter([b"x" * 1001]), 1001, "video/mp4")


def test_asana_serves_a_file_only_at_its_signed_link() -> None:
    emulator, conn, project = _asana()
    task = conn.create_task(project, NewTask(title="Logo"))  # type: ignore[attr-defined]
    uploaded = conn.upload_attachment(project, task.id, "logo.png", iter([b"png"]), 3, "image/png")
    raw = emulator.handle(httpx.Request("GET", f"{emulator.base_url}/attachments/{uploaded.id}?opt_fields=download_url",
                                        headers={"Authorization": f"Bearer {USERS['bridge'].token}"}))
    link = raw.json()["data"]["download_url"]
    assert emulator.handle(httpx.Request("GET", link)).content == b"png"  # no token: the signature is the credential
    assert emulator.handle(httpx.Request("GET", link.replace("X-Amz-Signature=", "X-Amz-Signature=0"))).status_code == 401


def _trello() -> tuple[trello.Emulator, FileTransfer, str]:
    clock = VirtualClock()
    sandbox = trello.Sandbox(trello.Emulator(clock=clock), clock=clock)
    project = sandbox.create_project("Files", ["Design"])
    conn = sandbox.connector("bridge")
    assert isinstance(conn, FileTransfer)
    return sandbox.emulator, conn, project


def test_trello_refuses_a_file_over_the_plans_limit_and_the_connection_can_raise_it() -> None:
    emulator, conn, project = _trello()
    assert conn.capabilities.file_limit == 10 * 1024 * 1024  # type: ignore[attr-defined]
    emulator.world.file_limit = 1000
    card = conn.create_task(project, NewTask(title="Film"))  # type: ignore[attr-defined]
    with pytest.raises(Invalid, match="413"):
        conn.upload_attachment(project, card.id, "film.mp4", iter([b"x" * 1001]), 1001, "video/mp4")
    paid = trello.build("paid", trello.Sandbox(emulator).connection("bridge").model_copy(update={"max_file_mb": 250}))
    assert paid.capabilities.file_limit == 250 * 1024 * 1024


def test_trello_downloads_need_the_oauth_header() -> None:
    emulator, conn, project = _trello()
    card = conn.create_task(project, NewTask(title="Logo"))  # type: ignore[attr-defined]
    uploaded = conn.upload_attachment(project, card.id, "logo.png", iter([b"png"]), 3, "image/png")
    plain = httpx.Request("GET", uploaded.url, params={"key": trello.SANDBOX_KEY, "token": USERS["bridge"].token})
    assert emulator.handle(plain).status_code == 401
    with conn.open_download(project, uploaded) as download:
        assert b"".join(download.chunks) == b"png"


def test_basecamp_wants_the_length_of_the_raw_body() -> None:
    clock = VirtualClock()
    sandbox = basecamp.Sandbox(basecamp.Emulator(clock=clock), clock=clock)
    url = f"{sandbox.emulator.base_url.rstrip('/')}/{ACCOUNT_ID}/attachments.json?name=a.txt"
    auth = {"Authorization": f"Bearer {USERS['bridge'].token}", "Content-Type": "text/plain",
            "User-Agent": "Tests (qa@agency.example)"}
    request = httpx.Request("POST", url, headers=auth, content=iter([b"abc"]))  # chunked: no Content-Length
    assert sandbox.emulator.handle(request).status_code == 411
    assert sandbox.emulator.handle(httpx.Request("POST", url, headers=auth, content=b"abc")).status_code == 201


def test_a_refused_token_never_reads_a_file() -> None:
    emulator, conn, project = _trello()
    card = conn.create_task(project, NewTask(title="Logo"))  # type: ignore[attr-defined]
    uploaded = conn.upload_attachment(project, card.id, "logo.png", iter([b"png"]), 3, "image/png")
    config = trello.Sandbox(emulator).connection("bridge").model_copy(update={"token": SecretStr("tok-nobody")})
    stranger = trello.build("stranger", config, transport=emulator.transport())
    with pytest.raises(AuthError), stranger.open_download(project, uploaded) as download:
        b"".join(download.chunks)


@given(st.lists(st.integers(min_value=1, max_value=len(TRICKY) + 400), max_size=12))
def test_a_multipart_body_splits_the_same_however_it_is_chunked(cuts: list[int]) -> None:
    """The streamed split searches the boundary across chunk edges: any chunking gives the same parts."""
    headers, body = multipart_body([("name", "a.bin")], "file", "a.bin", "application/pdf", iter([TRICKY]), len(TRICKY))
    raw = b"".join(body)
    edges = sorted({0, len(raw), *(c % (len(raw) + 1) for c in cuts)})
    chunks = [raw[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    vault = FileVault()
    parts = {p.name: p for p in multipart_parts(headers["Content-Type"], iter(chunks), vault)}
    assert parts["name"].text() == "a.bin"
    stored = parts["file"].stored
    assert stored is not None and stored.size == len(TRICKY) and vault.read(stored.key) == TRICKY
    with pytest.raises(HttpError, match="cut short"):
        multipart_parts(headers["Content-Type"], iter(chunks[:-1] or [raw[:-3]]), vault)


MB = 1024 * 1024


def _pattern(size: int) -> Iterator[bytes]:
    block = hashlib.sha256(b"big").digest() * (64 * 1024 // 32)
    for at in range(0, size, len(block)):
        yield block[: min(len(block), size - at)]


@pytest.mark.parametrize("tool", ["asana", "trello", "basecamp"])
def test_a_large_upload_never_sits_whole_in_the_emulators_memory(tool: str) -> None:
    """In-process emulators (tests, bench/file_bench.py --in-process) stream uploads to disk and answer
    downloads from it: Python's allocations stay a few MB while 24 MB pass both ways."""
    size = 24 * MB
    module = {"asana": asana, "trello": trello, "basecamp": basecamp}[tool]
    clock = VirtualClock()
    emulator = module.Emulator(clock=clock)
    if tool == "trello":
        emulator.world.file_limit = 250 * MB
    sandbox = module.Sandbox(emulator, clock=clock)
    project = sandbox.create_project("Files", ["Design"])
    conn = sandbox.connector("bridge")
    assert isinstance(conn, FileTransfer)
    task = conn.create_task(project, NewTask(title="Film"))  # type: ignore[attr-defined]
    sent, got = hashlib.sha256(), hashlib.sha256()
    for chunk in _pattern(size):
        sent.update(chunk)
    tracemalloc.start()
    try:
        uploaded = conn.upload_attachment(project, task.id, "film.mp4", _pattern(size), size, "video/mp4")
        with conn.open_download(project, uploaded) as download:
            for chunk in download.chunks:
                got.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got.hexdigest() == sent.hexdigest()
    assert peak < 6 * MB, f"{peak / MB:.1f} MB allocated at the peak"
    [logged] = [r for r in emulator.requests if r.method == "POST" and len(r.body) > 1000]
    assert len(logged.body) <= 64 * 1024  # the request log keeps the head of a large body only


def test_the_served_emulator_streams_a_large_upload_in_and_the_file_out() -> None:
    """``pm-bridge emulate`` (connectors/emulation/serve.py): an upload arriving in 64 KB messages is
    spooled, not joined, and the download leaves as a stream of chunks with its length up front."""
    import anyio

    from connectors.emulation.serve import asgi_app

    size = 8 * MB
    clock = VirtualClock()
    emulator = basecamp.Emulator(clock=clock)
    basecamp.Sandbox(emulator, clock=clock).create_project("Files", ["Design"])
    app = asgi_app(emulator)
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {USERS['bridge'].token}".encode()),
               (b"user-agent", b"pm-bridge test (ops@example.com)"), (b"content-type", b"video/mp4"),
               (b"content-length", str(size).encode())]

    async def call(method: str, path: str, query: bytes, incoming: Iterator[bytes]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        pieces = list(incoming) or [b""]

        async def receive() -> dict[str, Any]:
            piece = pieces.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

        async def send(message: dict[str, Any]) -> None:
            sent.append({k: v for k, v in message.items() if k != "body"} | {"size": len(message.get("body", b""))})
            if message.get("body"):
                digest.update(message["body"])

        digest = hashlib.sha256()
        scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": headers}
        await app(scope, receive, send)
        sent.append({"sha256": digest.hexdigest(), "body": b""})
        return sent

    sent_hash = hashlib.sha256()
    for chunk in _pattern(size):
        sent_hash.update(chunk)
    tracemalloc.start()
    try:
        answer = anyio.run(call, "POST", f"/{ACCOUNT_ID}/attachments.json", b"name=film.mp4", _pattern(size))
        assert answer[0]["status"] == 201
        [blob] = emulator.store.blobs.values()
        url = httpx.URL(f"https://x/{ACCOUNT_ID}/blobs/{blob.key}/download/film.mp4")
        out = anyio.run(call, "GET", url.path, b"", iter([]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    start, *bodies, summary = out
    assert start["status"] == 200 and (b"content-length", str(size).encode()) in start["headers"]
    assert len(bodies) > 10 and sum(b["size"] for b in bodies) == size  # sent chunk by chunk
    assert summary["sha256"] == sent_hash.hexdigest()
    assert peak < 6 * MB, f"{peak / MB:.1f} MB allocated at the peak"
