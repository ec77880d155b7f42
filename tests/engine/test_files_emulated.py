"""Files end to end through the tools' emulators (docs/files.md): a shared file reaches the client's
tool as a file with identical bytes where it takes uploads, as a link where it does not (GitHub)."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.clock import VirtualClock
from bridge.core.model import Attachment
from bridge.core.ports import FileTransfer, NewTask
from tests.engine.world import World, sync_dying_after_upload

CONTENT = b"%PDF-1.7 " + bytes(range(256)) * 16  # 4 KB


def _upload(conn: Any, project: str, task: str, name: str, content: bytes = CONTENT) -> Attachment:
    assert isinstance(conn, FileTransfer)
    return conn.upload_attachment(project, task, name, iter([content]), len(content), "application/pdf")


def _read(conn: Any, project: str, attachment: Attachment) -> bytes:
    assert isinstance(conn, FileTransfer)
    with conn.open_download(project, attachment) as download:
        return b"".join(download.chunks)


@contextlib.contextmanager
def _world(tmp_path: Path, internal: str, client: str) -> Iterator[World]:
    # The tools' clock reads like ours: a copy is adopted only if created after its journaled upload.
    w = World(internal, client, f"sqlite:///{tmp_path}/state.db", clock=VirtualClock(time.time()))
    try:
        yield w
    finally:
        w.store.close()


def _shared_task(w: World) -> str:
    return w.anna.create_task(w.internal_project, NewTask(title="Deliver the brochure", section_id=w.section("Design"))).id


FILE_PAIRS = [("asana", "trello"), ("trello", "asana"), ("asana", "basecamp"), ("basecamp", "trello")]


@pytest.mark.parametrize("internal,client", FILE_PAIRS)
def test_a_shared_file_arrives_as_a_file_and_a_client_file_comes_back(tmp_path: Path, internal: str, client: str) -> None:
    with _world(tmp_path, internal, client) as w:
        task = _shared_task(w)
        _upload(w.anna, w.internal_project, task, "Brochure [client].pdf")
        _upload(w.anna, w.internal_project, task, "Costing.pdf", b"SECRET margins")
        w.sync()
        client_files = list(w.carla.pull(w.client_project).snapshot.attachments.values())
        assert [(a.name, a.hosted) for a in client_files] == [("Brochure.pdf", True)]
        assert client_files[0].size in (None, len(CONTENT))  # Basecamp does not list sizes
        assert hashlib.sha256(_read(w.carla, w.client_project, client_files[0])).digest() == hashlib.sha256(CONTENT).digest()

        card = client_files[0].task_id
        _upload(w.carla, w.client_project, card, "Feedback.pdf", b"her markup")
        w.sync()
        internal_files = {a.name: a for a in w.anna.pull(w.internal_project).snapshot.attachments.values()}
        assert internal_files["Feedback.pdf"].hosted and internal_files["Feedback.pdf"].task_id == task
        assert _read(w.anna, w.internal_project, internal_files["Feedback.pdf"]) == b"her markup"

        writes = (w.internal_writes(), w.client_writes())
        w.sync()
        assert (w.internal_writes(), w.client_writes()) == writes  # nothing new: nothing written, nothing echoed
        assert len(w.carla.pull(w.client_project).snapshot.attachments) == 2


def test_a_file_over_the_client_tools_limit_goes_as_a_link_with_a_note(tmp_path: Path) -> None:
    with _world(tmp_path, "asana", "trello") as w:
        caps = w.bridge_client.capabilities
        w.bridge_client.capabilities = caps.model_copy(update={"file_limit": 1024})  # type: ignore[misc]
        task = _shared_task(w)
        original = _upload(w.anna, w.internal_project, task, "[client] Brochure.pdf")
        w.sync()
        [copy] = w.carla.pull(w.client_project).snapshot.attachments.values()
        assert not copy.hosted
        assert copy.name == "Brochure.pdf (link: 4 KB is over the 1 KB file limit of trello)"
        assert copy.url == original.url


def test_github_keeps_links(tmp_path: Path) -> None:
    """GitHub's REST API takes no attachments on issues: a shared file goes as a link, in a comment of its own."""
    with _world(tmp_path, "asana", "github") as w:
        task = _shared_task(w)
        original = _upload(w.anna, w.internal_project, task, "[client] Brochure.pdf")
        w.sync()
        client = w.carla.pull(w.client_project).snapshot
        [copy] = client.attachments.values()
        assert (copy.name, copy.url, copy.hosted) == ("Brochure.pdf", original.url, False)
        assert client.comments == {}  # the link comment is the attachment, not a comment
        assert not [r for r in w.csb.emulator.requests if r.is_write and b"%PDF" in r.body]
        writes = w.client_writes()
        w.sync()
        assert w.client_writes() == writes



def test_a_crash_between_upload_and_record_uploads_exactly_once(tmp_path: Path) -> None:
    with _world(tmp_path, "asana", "trello") as w:
        task = _shared_task(w)
        _upload(w.anna, w.internal_project, task, "Brochure [client].pdf")
        sync_dying_after_upload(w)  # the file is on Trello; the process dies before recording it
        w.sync()
        w.sync()
        uploads = [r for r in w.csb.emulator.requests
                   if r.method == "POST" and r.path.endswith("/attachments") and b"%PDF" in r.body]
        assert len(uploads) == 1
        [copy] = w.carla.pull(w.client_project).snapshot.attachments.values()
        assert _read(w.carla, w.client_project, copy) == CONTENT
        assert [p.client_id for p in w.store.pairs("acme") if p.kind == "attachment"] == [copy.id]


@pytest.mark.slow
@pytest.mark.parametrize("paid", [False, True])
def test_a_12_mb_file_is_over_trellos_free_limit_and_within_a_paid_one(tmp_path: Path, paid: bool) -> None:
    big = hashlib.sha256(b"film").digest() * (12 * 1024 * 1024 // 32)
    with _world(tmp_path, "asana", "trello") as w:
        if paid:
            w.bridge_client.capabilities = w.bridge_client.capabilities.model_copy(  # type: ignore[misc]
                update={"file_limit": 250 * 1024 * 1024})
            w.csb.emulator.world.file_limit = 250 * 1024 * 1024
        task = _shared_task(w)
        _upload(w.anna, w.internal_project, task, "Film [client].mp4", big)
        w.sync()
        [copy] = w.carla.pull(w.client_project).snapshot.attachments.values()
        if paid:
            assert copy.hosted and copy.size == len(big)
            assert hashlib.sha256(_read(w.carla, w.client_project, copy)).digest() == hashlib.sha256(big).digest()
        else:
            assert not copy.hosted
            assert copy.name == "Film.mp4 (link: 12 MB is over the 10 MB file limit of trello)"


def _basecamp_comment_with_files(conn: Any, card: str, text: str, files: dict[str, bytes]) -> None:
    """What a person does in Basecamp's editor: upload files, then one comment with text and each file inline."""
    tags = []
    for name, content in files.items():
        answer = conn.http.send_stream("POST", "attachments.json", content=iter([content]), params={"name": name},
                                       headers={"Content-Type": "application/pdf", "Content-Length": str(len(content))})
        tags.append(f'<bc-attachment sgid="{answer.json()["attachable_sgid"]}"></bc-attachment>')
    conn.api.write("POST", f"recordings/{card}/comments.json", {"content": f"<div>{text}</div>{''.join(tags)}"})


def test_a_basecamp_comment_with_text_and_files_comes_back_as_its_text_and_the_files(tmp_path: Path) -> None:
    from bridge.sync.engine import LinkRuntime, LinkSide

    with _world(tmp_path, "asana", "basecamp") as w:
        other = w._sandbox("basecamp")  # a second client of the same internal project
        other_project = other.create_project("Globex x Agency", [])
        globex = LinkRuntime("globex", w.link.rules, LinkSide(w.bridge_internal, w.internal_project),
                             LinkSide(other.connector("bridge", "globex"), other_project))
        task = _shared_task(w)
        w.sync()
        w.engine.run(globex)
        card = next(iter(w.carla.pull(w.client_project).snapshot.tasks))
        _basecamp_comment_with_files(w.carla, card, "Please use these two", {"Brief.pdf": CONTENT, "Notes.pdf": b"her notes"})
        for _ in range(2):
            w.sync()
            w.engine.run(globex)
        internal = w.anna.pull(w.internal_project).snapshot
        [comment] = [c for c in internal.comments.values() if c.task_id == task]
        assert "Please use these two" in comment.text and "bc-attachment" not in comment.text
        assert "Brief.pdf" not in comment.text
        files = {a.name: a for a in internal.attachments.values() if a.task_id == task}
        assert set(files) == {"Brief.pdf", "Notes.pdf"} and all(a.hosted for a in files.values())
        assert _read(w.anna, w.internal_project, files["Brief.pdf"]) == CONTENT
        assert _read(w.anna, w.internal_project, files["Notes.pdf"]) == b"her notes"
        writes = w.internal_writes()
        w.sync()
        assert w.internal_writes() == writes  # no duplicates across cycles
        globex_side = other.connector("client").pull(other_project).snapshot
        assert globex_side.attachments == {} and globex_side.comments == {}  # nothing of acme's reaches globex
