"""Copying one file between two tools as a stream: download, hash, upload (docs/files.md).

The bytes pass through in the chunks the download hands over (tens of KB), so memory stays
bounded whatever the file's size. A sha256 and a byte count are kept on the way; the upload is
told the size up front (every file tool wants it), and a download that yields more or fewer bytes
than announced fails the upload instead of storing a truncated file. When neither the download
nor the listing gives the size, the bytes are spooled to a temporary file (at most a few MB in
memory, the rest on disk) to learn it first.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bridge.core.model import Attachment
from bridge.core.ports import FileTransfer
from bridge.errors import Malformed

SPOOL_IN_MEMORY = 4 * 1024 * 1024
CHUNK = 64 * 1024


class FileTooLarge(Exception):
    """The file turned out larger than the target takes (its size was not known when planning)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


@dataclass(frozen=True)
class Copied:
    attachment: Attachment  # as the target tool now holds it
    sha256: str
    size: int


class _Counted:
    """The chunks passed on, hashed and counted; too many or too few bytes fail the stream."""

    def __init__(self, chunks: Iterable[bytes], size: int, what: str) -> None:
        self.chunks, self.size, self.what = chunks, size, what
        self.hash = hashlib.sha256()
        self.seen = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            if not chunk:
                continue
            self.seen += len(chunk)
            if self.seen > self.size:
                raise Malformed(f"{self.what}: the download sent more than the {self.size} bytes it announced")
            self.hash.update(chunk)
            yield chunk
        if self.seen != self.size:
            raise Malformed(f"{self.what}: the download ended after {self.seen} of {self.size} bytes")


def copy_file(
    source: FileTransfer, source_project: str, attachment: Attachment,
    target: FileTransfer, target_project: str, task_id: str, name: str, limit: int | None = None,
) -> Copied:
    """Stream ``attachment``'s bytes from ``source`` into a new attachment ``name`` on ``target``'s task.

    Raises :class:`FileTooLarge`, before anything is uploaded, when the file is over ``limit`` bytes.
    """
    with source.open_download(source_project, attachment) as download:
        size = download.size if download.size is not None else attachment.size
        content_type = download.content_type or "application/octet-stream"
        if size is not None and limit is not None and size > limit:
            raise FileTooLarge(size)
        if size is not None:
            counted = _Counted(download.chunks, size, attachment.name)
            uploaded = target.upload_attachment(target_project, task_id, name, counted, size, content_type)
            return Copied(uploaded, counted.hash.hexdigest(), size)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            digest = hashlib.sha256()
            for chunk in download.chunks:
                digest.update(chunk)
                spool.write(chunk)
                if limit is not None and spool.tell() > limit:
                    raise FileTooLarge(spool.tell())
            size = spool.tell()
            if limit is not None and size > limit:
                raise FileTooLarge(size)
            spool.seek(0)
            chunks = iter(lambda: spool.read(CHUNK), b"")
            uploaded = target.upload_attachment(target_project, task_id, name, chunks, size, content_type)
            return Copied(uploaded, digest.hexdigest(), size)


def digest(transfer: FileTransfer, project: str, attachment: Attachment) -> tuple[str, int]:
    """The sha256 and size of a file's bytes, read as a stream (one chunk in memory at a time)."""
    hashed, size = hashlib.sha256(), 0
    with transfer.open_download(project, attachment) as download:
        for chunk in download.chunks:
            hashed.update(chunk)
            size += len(chunk)
    return hashed.hexdigest(), size
