"""``pm-bridge migrate`` copies a file as a file, with identical bytes, and a resumed migration never
uploads it twice (docs/files.md, docs/migrate.md). The migration runs the sync's own ops: the
journal, the streamed copy and the hash check that adopts an unrecorded upload."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.clock import VirtualClock
from bridge.core.model import Attachment
from bridge.core.ports import FileTransfer, NewTask
from bridge.store import Store
from connectors.emulation.toolkit import Emulator, Recorded
from tests.migrate.support import Pairing

CONTENT = b"%PDF-1.7 " + bytes(range(256)) * 24  # 6 KB, every byte value
UPLOAD = r"/cards/[^/]+/attachments$"  # Trello's upload: POST multipart to the card


class Killed(Exception):
    """The process died: not an API error, so nothing catches it on the way up."""


def pairing_with_a_file(tmp_path: Path) -> Pairing:
    # The tools' clock reads like ours: an unrecorded upload's copy is adopted only if created after its intent.
    pairing = Pairing("asana", "trello", f"sqlite:///{tmp_path}/state.db", clock=VirtualClock(time.time()))
    snap = pairing.anna.pull(pairing.source_project).snapshot
    design = next(s.id for s in snap.sections.values() if s.name == "Design")
    task = pairing.anna.create_task(pairing.source_project, NewTask(title="Brochure", section_id=design))
    assert isinstance(pairing.anna, FileTransfer)
    pairing.anna.upload_attachment(pairing.source_project, task.id, "Brochure.pdf", iter([CONTENT[:999], CONTENT[999:]]),
                                   len(CONTENT), "application/pdf")
    return pairing


def read(conn: Any, project: str, attachment: Attachment) -> bytes:
    assert isinstance(conn, FileTransfer)
    with conn.open_download(project, attachment) as download:
        return b"".join(download.chunks)


def uploads(pairing: Pairing) -> list[Recorded]:
    """Uploads the target tool took (answered 200)."""
    import re

    return [r for r in pairing.dst.emulator.requests
            if r.method == "POST" and re.search(UPLOAD, r.path) and r.status == 200 and b"%PDF" in r.body]


def the_copy(pairing: Pairing) -> Attachment:
    [copy] = pairing.target().attachments.values()
    return copy


def test_a_migration_copies_a_file_as_a_file_with_identical_bytes(tmp_path: Path) -> None:
    pairing = pairing_with_a_file(tmp_path)
    report = pairing.migration().run()
    assert report.status == "ok", report.errors
    copy = the_copy(pairing)
    assert (copy.name, copy.hosted) == ("Brochure.pdf", True)
    assert hashlib.sha256(read(pairing.dst.connector("client", "carla"), pairing.target_project, copy)).digest() \
        == hashlib.sha256(CONTENT).digest()
    [pair] = [p for p in pairing.store.pairs(pairing.options().pair_scope) if p.kind == "attachment"]
    assert pair.base["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert pairing.migration().run().status == "ok"
    assert len(uploads(pairing)) == 1  # a rerun uploads nothing


def reopened(pairing: Pairing) -> None:
    """A new process: new connectors, the same state store."""
    pairing.store.close()
    pairing.store = Store.open(pairing.store_url)


def test_killed_after_the_upload_landed_a_resumed_migration_adopts_it(tmp_path: Path) -> None:
    pairing = pairing_with_a_file(tmp_path)

    def after(tool: Emulator, record: Recorded, _response: httpx.Response) -> None:
        if tool is pairing.dst.emulator and record.method == "POST" and "/attachments" in record.path:
            raise Killed("killed right after the upload, before its record")

    Emulator.watchers.append(after)
    try:
        with pytest.raises(Killed):
            pairing.migration().run()
    finally:
        Emulator.watchers.remove(after)
    assert len(uploads(pairing)) == 1
    reopened(pairing)
    assert pairing.migration().run().status == "ok"
    assert pairing.migration().run().status == "ok"
    assert len(uploads(pairing)) == 1 and len(pairing.target().attachments) == 1
    assert read(pairing.dst.connector("client", "carla"), pairing.target_project, the_copy(pairing)) == CONTENT


def test_killed_mid_upload_a_resumed_migration_uploads_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies while the bytes stream: the tool stores nothing; the rerun uploads the file once."""
    import bridge.sync.files as copying

    pairing = pairing_with_a_file(tmp_path)
    real = copying._Counted.__iter__

    def dies_half_way(self: Any) -> Iterator[bytes]:
        for chunk in real(self):
            yield chunk[: len(chunk) // 2]  # the request is under way: its head and half the file are sent
            raise Killed("killed mid-upload")

    monkeypatch.setattr(copying._Counted, "__iter__", dies_half_way)
    with pytest.raises(Killed):
        pairing.migration().run()
    monkeypatch.undo()
    # The tool read the request as it came and stored nothing of a body cut short.
    assert uploads(pairing) == [] and pairing.target().attachments == {} and not pairing.dst.emulator.world.vault.files
    reopened(pairing)
    assert pairing.migration().run().status == "ok"
    assert pairing.migration().run().status == "ok"
    assert len(uploads(pairing)) == 1
    assert read(pairing.dst.connector("client", "carla"), pairing.target_project, the_copy(pairing)) == CONTENT
