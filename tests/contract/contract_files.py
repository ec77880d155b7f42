"""The files half of the contract: a tool that says it holds files (``attachments: "file"``) takes an
upload streamed in chunks and hands back the same bytes (bridge/core/ports.py FileTransfer, docs/files.md)."""

from __future__ import annotations

import hashlib

import pytest

from bridge.core.ports import FileTransfer, NewTask

from .support import ContractEnv, full_pull

# 150 KB of every byte value, in uneven chunks: multipart boundaries and chunk edges must not matter.
CONTENT = bytes(range(256)) * 600
CHUNKS = [CONTENT[:1], CONTENT[1:70_000], CONTENT[70_000:]]


class FileContract:
    def test_files_match_the_capabilities(self, env: ContractEnv) -> None:
        caps = env.connector.capabilities
        assert isinstance(env.connector, FileTransfer) == (caps.attachments == "file")
        if caps.attachments == "file":
            assert caps.file_limit is None or caps.file_limit >= 10 * 1024 * 1024

    def test_an_upload_round_trips_byte_for_byte(self, env: ContractEnv) -> None:
        conn = env.connector
        if not isinstance(conn, FileTransfer):
            pytest.skip("the tool keeps files as links")
        task = conn.create_task(env.project_id, NewTask(title="Deliver the logo"))
        uploaded = conn.upload_attachment(env.project_id, task.id, "Logo final (v2).png", iter(CHUNKS), len(CONTENT),
                                          "image/png")
        assert (uploaded.task_id, uploaded.name, uploaded.hosted) == (task.id, "Logo final (v2).png", True)
        assert uploaded.size in (None, len(CONTENT))  # None: the tool does not list sizes (Basecamp)
        pulled = full_pull(env).snapshot.attachments[uploaded.id]
        assert pulled == uploaded  # the write answers with what the next pull shows
        with conn.open_download(env.project_id, pulled) as download:
            digest, seen = hashlib.sha256(), 0
            for chunk in download.chunks:
                digest.update(chunk)
                seen += len(chunk)
        assert seen == len(CONTENT) and digest.hexdigest() == hashlib.sha256(CONTENT).hexdigest()
        assert download.size in (None, len(CONTENT))

    def test_a_link_is_not_a_file(self, env: ContractEnv) -> None:
        conn = env.connector
        if conn.capabilities.attachments == "none":
            pytest.skip("the tool has no attachments")
        task = conn.create_task(env.project_id, NewTask(title="Share the spec"))
        link = conn.create_attachment(env.project_id, task.id, "Spec", "https://files.example.com/spec.pdf")
        assert not link.hosted and not full_pull(env).snapshot.attachments[link.id].hosted
