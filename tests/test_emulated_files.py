"""Uploads in the emulators (docs/files.md): multipart split without loss, each tool's size refusal,
and downloads that ask for the credentials the real tool asks for."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.core.ports import FileTransfer, NewTask
from bridge.errors import AuthError, Invalid
from bridge.http.multipart import multipart_body
from connectors import asana, basecamp, trello
from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.files import multipart_parts
from connectors.emulation.sandbox import USERS

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
