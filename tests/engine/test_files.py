"""Files cross as files (docs/files.md): streamed, within the target's limit, never uploaded twice.

The memory tool on both sides shows the engine's path; tests/engine/test_files_emulated.py runs the
same story through the real tools' emulators.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.clock import VirtualClock
from bridge.core.model import Attachment, Snapshot
from bridge.core.ports import FileTransfer, NewTask
from bridge.sync.engine import LinkRuntime, LinkSide
from connectors.emulation.toolkit import Fault
from tests.engine.world import World, sync_dying_after_upload

CONTENT = bytes(range(256)) * 40  # 10 KB, every byte value



@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    # The tools' clock reads like ours: a copy is adopted only if created after its journaled upload.
    w = World("memory", "memory", f"sqlite:///{tmp_path}/state.db", clock=VirtualClock(time.time()))
    yield w
    w.store.close()


def shared_task(w: World) -> str:
    return w.anna.create_task(w.internal_project, NewTask(title="Homepage", section_id=w.section("Design"))).id


def upload(conn: Any, project: str, task: str, name: str, content: bytes = CONTENT) -> Attachment:
    assert isinstance(conn, FileTransfer)
    return conn.upload_attachment(project, task, name, iter([content[:1000], content[1000:]]), len(content), "image/png")


def read(conn: Any, project: str, attachment: Attachment) -> bytes:
    assert isinstance(conn, FileTransfer)
    with conn.open_download(project, attachment) as download:
        return b"".join(download.chunks)


def files(conn: Any, project: str) -> Snapshot:
    return conn.pull(project).snapshot


def uploads(w: World, side: str) -> int:
    world = (w.csb if side == "client" else w.isb).world
    return sum(1 for call in world.calls if call.op == "upload_attachment")


def test_a_shared_file_arrives_as_a_file_with_identical_bytes(world: World) -> None:
    task = shared_task(world)
    upload(world.anna, world.internal_project, task, "[client] Logo.png")
    upload(world.anna, world.internal_project, task, "Budget.xlsx", b"SECRET numbers")
    world.sync()
    client = files(world.carla, world.client_project)
    [copy] = client.attachments.values()
    assert (copy.name, copy.hosted, copy.size) == ("Logo.png", True, len(CONTENT))
    assert read(world.carla, world.client_project, copy) == CONTENT
    [pair] = [p for p in world.store.pairs("acme") if p.kind == "attachment"]
    assert pair.base["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    before = uploads(world, "client") + uploads(world, "internal")
    world.sync()
    assert uploads(world, "client") + uploads(world, "internal") == before  # a rerun uploads nothing


def test_a_file_over_the_limit_crosses_as_a_link_with_a_note(world: World) -> None:
    caps = world.bridge_client.capabilities
    world.bridge_client.capabilities = caps.model_copy(update={"file_limit": 1024})  # type: ignore[misc]
    task = shared_task(world)
    original = upload(world.anna, world.internal_project, task, "[client] Logo.png")
    world.sync()
    [copy] = files(world.carla, world.client_project).attachments.values()
    assert not copy.hosted and copy.url == original.url
    assert copy.name == "Logo.png (link: 10 KB is over the 1 KB file limit of memory)"
    assert uploads(world, "client") == 0


@pytest.mark.parametrize("how", ["lost response", "crash before the record"])
def test_an_upload_nobody_recorded_is_adopted_not_repeated(world: World, how: str) -> None:
    task = shared_task(world)
    upload(world.anna, world.internal_project, task, "[client] Logo.png")
    if how == "lost response":
        world.csb.world.inject(Fault.LOSE_RESPONSE, op="upload_attachment")
        world.sync()
    else:
        sync_dying_after_upload(world)  # the upload went through; its record never lands
    assert uploads(world, "client") == 1
    world.sync()
    world.sync()
    assert uploads(world, "client") == 1
    [copy] = files(world.carla, world.client_project).attachments.values()
    assert read(world.carla, world.client_project, copy) == CONTENT
    assert [p.client_id for p in world.store.pairs("acme") if p.kind == "attachment"] == [copy.id]


def bridge_uploads(w: World) -> list[Any]:
    bridge = getattr(w.bridge_client, "user_id", None)
    return [c for c in w.csb.world.calls if c.op == "upload_attachment" and c.user_id == bridge]


def copy_of(w: World) -> Attachment:
    [pair] = [p for p in w.store.pairs("acme") if p.kind == "attachment" and p.origin == "internal"]
    return files(w.carla, w.client_project).attachments[pair.client_id or ""]


def test_the_clients_own_file_of_that_name_is_never_taken_for_the_copy(world: World) -> None:
    """An upload failed (or lost its answer), and the client then adds her own Logo.png of the same
    size: its bytes differ, so the copy is uploaded and her file stays hers (docs/files.md)."""
    task = shared_task(world)
    world.sync()
    card = next(iter(files(world.carla, world.client_project).tasks))
    upload(world.anna, world.internal_project, task, "[client] Logo.png")
    world.csb.world.inject(Fault.FAIL_BEFORE, op="upload_attachment")
    world.sync()  # the upload is journaled, then fails
    hers = upload(world.carla, world.client_project, card, "Logo.png", CONTENT[::-1])  # same name, same size
    world.sync()
    world.sync()
    assert read(world.carla, world.client_project, copy_of(world)) == CONTENT
    assert copy_of(world).id != hers.id
    assert read(world.carla, world.client_project, hers) == CONTENT[::-1]  # left alone
    # ... and, as any file she adds, taken in as hers on the internal task.
    [back] = [a for a in files(world.anna, world.internal_project).attachments.values() if a.name == "Logo.png"]
    assert read(world.anna, world.internal_project, back) == CONTENT[::-1]
    world.sync()
    assert len(files(world.carla, world.client_project).attachments) == 2


def test_a_same_file_a_person_added_before_the_upload_is_not_the_copy(tmp_path: Path) -> None:
    """Someone put the very same Logo.png on the card before the bridge's upload was journaled, and
    the upload's record was then lost: her file is not adopted (it was there first), the bridge's own
    copy is, and nothing is uploaded twice."""
    clock = VirtualClock(time.time() - 3600)
    w = World("memory", "memory", f"sqlite:///{tmp_path}/state.db", clock=clock)
    try:
        task = shared_task(w)
        w.sync()
        card = next(iter(files(w.carla, w.client_project).tasks))
        hers = upload(w.carla, w.client_project, card, "Logo.png")  # an hour before: identical bytes
        clock.advance(3600)
        upload(w.anna, w.internal_project, task, "[client] Logo.png")
        sync_dying_after_upload(w)
        assert len(bridge_uploads(w)) == 1
        w.sync()
        w.sync()
        assert len(bridge_uploads(w)) == 1
        assert copy_of(w).id != hers.id
        assert {a.id for a in files(w.carla, w.client_project).attachments.values()} == {hers.id, copy_of(w).id}
    finally:
        w.store.close()


def test_a_file_the_client_adds_comes_back_as_a_file(world: World) -> None:
    task = shared_task(world)
    world.sync()
    card = next(iter(files(world.carla, world.client_project).tasks))
    upload(world.carla, world.client_project, card, "Feedback [client].pdf", b"her notes")
    world.sync()
    internal = files(world.anna, world.internal_project)
    [copy] = internal.attachments.values()
    assert copy.task_id == task and copy.hosted
    assert "[client]" not in copy.name  # the marker is defused: the copy never goes out again
    assert read(world.anna, world.internal_project, copy) == b"her notes"
    writes = uploads(world, "internal") + uploads(world, "client")
    world.sync()
    assert uploads(world, "internal") + uploads(world, "client") == writes
    assert len(files(world.carla, world.client_project).attachments) == 1


def test_one_clients_file_never_reaches_another_client(world: World) -> None:
    """Two clients on one internal project (docs/mirror-rules.md, "Several clients"): a file acme
    uploads comes back to the internal task and stays there; globex never receives it."""
    from connectors.memory.sandbox import MemorySandbox

    other = MemorySandbox(clock=world.clock)
    other_project = other.create_project("Globex x Agency", [])
    globex = LinkRuntime("globex", world.link.rules, LinkSide(world.bridge_internal, world.internal_project),
                         LinkSide(other.connector("bridge", "globex"), other_project))
    task = shared_task(world)
    world.sync()
    world.engine.run(globex)
    card = next(iter(files(world.carla, world.client_project).tasks))
    upload(world.carla, world.client_project, card, "Acme contract [client].pdf", b"ACME-ONLY terms")
    for _ in range(2):
        world.sync()
        world.engine.run(globex)
    assert any(a.task_id == task for a in files(world.anna, world.internal_project).attachments.values())
    assert files(other.connector("client"), other_project).attachments == {}
    assert not [c for c in other.world.calls if "upload" in c.op or "attachment" in c.op]


def test_two_shared_files_of_one_name_each_find_their_own_copy(world: World) -> None:
    """Both uploads landed, neither was recorded: each file adopts the copy with its own bytes."""
    task = shared_task(world)
    upload(world.anna, world.internal_project, task, "[client] Logo.png", CONTENT)
    upload(world.anna, world.internal_project, task, "[client] Logo.png", CONTENT[::-1])
    real = world.store.complete_intent

    def lost(intent: Any, pair: Any, *rest: Any) -> None:
        if pair is None or pair.kind != "attachment":
            real(intent, pair, *rest)  # the attachments' records never land

    world.store.complete_intent = lost  # type: ignore[method-assign]
    world.sync()
    world.store.complete_intent = real  # type: ignore[method-assign]
    world.reopen_store()
    assert len(bridge_uploads(world)) == 2
    world.sync()
    world.sync()
    assert len(bridge_uploads(world)) == 2
    internal = files(world.anna, world.internal_project).attachments
    for pair in [p for p in world.store.pairs("acme") if p.kind == "attachment"]:
        copy = files(world.carla, world.client_project).attachments[pair.client_id or ""]
        assert read(world.carla, world.client_project, copy) == read(world.anna, world.internal_project, internal[pair.key])
    assert len({p.client_id for p in world.store.pairs("acme") if p.kind == "attachment"}) == 2
