"""Uploaded files in an emulator: kept on disk, not in memory, and read back in chunks (docs/files.md).

Every emulator that takes uploads (Asana, Trello, Basecamp) keeps their bytes in one ``FileVault``:
a temporary directory removed when the process ends. An upload never sits whole in memory, so a
benchmark can run the emulators in the bridge's own process and still measure the bridge:

- a request body that is not JSON or a form and grows past ``SPOOL_ABOVE`` is written to a file on
  disk as its chunks arrive (connectors/emulation/bodies.py); the request log keeps only its head;
- multipart bodies are split as a stream (``multipart_parts``): the boundary is searched in a
  window of a chunk plus the boundary's length, and a file part goes straight into the vault;
- a stored file above ``SPOOL_ABOVE`` is answered as a stream read from disk (``FileVault.response``).
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import httpx

from connectors.emulation.bodies import CHUNK, SPOOL_ABOVE
from connectors.emulation.toolkit import HttpError

_HEADERS_MAX = 16 * 1024  # a part's header block


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str
    content_type: str


class FileVault:
    """Files by key, on disk in a temporary directory of this process."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pm-bridge-emulated-files-"))
        atexit.register(shutil.rmtree, self.root, ignore_errors=True)
        self._lock = threading.Lock()
        self._next = 0
        self.files: dict[str, Stored] = {}

    def put(self, data: bytes | memoryview, content_type: str) -> Stored:
        return self.put_chunks([bytes(data)], content_type)

    def put_chunks(self, chunks: Iterable[bytes], content_type: str) -> Stored:
        """Store a file written chunk by chunk (never whole in memory)."""
        writer = self.writer(content_type)
        with writer:
            for chunk in chunks:
                writer.write(chunk)
        return writer.stored()

    def writer(self, content_type: str) -> VaultWriter:
        with self._lock:
            self._next += 1
            key = f"f{self._next}"
        return VaultWriter(self, key, content_type or "application/octet-stream")

    def retype(self, key: str, content_type: str) -> Stored:
        with self._lock:
            self.files[key] = replace(self.files[key], content_type=content_type or "application/octet-stream")
            return self.files[key]

    def drop(self, key: str) -> None:
        with self._lock:
            self.files.pop(key, None)
        (self.root / key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def chunks(self, key: str) -> Iterator[bytes]:
        with (self.root / key).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def response(self, key: str, filename: str) -> httpx.Response:
        """The file as a download answer: whole when small, streamed from disk when large."""
        stored = self.files[key]
        headers = {
            "content-type": stored.content_type,
            "content-disposition": f'attachment; filename="{filename.replace(chr(34), "")}"',
        }
        if stored.size <= SPOOL_ABOVE:
            return httpx.Response(200, content=self.read(key), headers=headers)
        return httpx.Response(200, stream=_FileStream(self.root / key), headers={**headers, "content-length": str(stored.size)})


class VaultWriter:
    """One file going into the vault: written, counted and hashed as it arrives."""

    def __init__(self, vault: FileVault, key: str, content_type: str) -> None:
        self.vault, self.key, self.content_type = vault, key, content_type
        self.size, self.hash = 0, hashlib.sha256()
        self.handle: BinaryIO = (vault.root / key).open("wb")

    def write(self, chunk: bytes | memoryview) -> None:
        self.handle.write(chunk)
        self.hash.update(chunk)
        self.size += len(chunk)

    def __enter__(self) -> VaultWriter:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        self.handle.close()
        if kind is not None:
            (self.vault.root / self.key).unlink(missing_ok=True)

    def stored(self) -> Stored:
        self.handle.close()
        made = Stored(self.key, self.size, self.hash.hexdigest(), self.content_type)
        with self.vault._lock:
            self.vault.files[self.key] = made
        return made


class _FileStream(httpx.SyncByteStream):
    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes = b""  # a field's value, or a file's bytes when no vault was given
    stored: Stored | None = None  # a file part streamed into the vault

    @property
    def size(self) -> int:
        return self.stored.size if self.stored is not None else len(self.data)

    def text(self) -> str:
        return self.data.decode()


@dataclass
class _Open:
    name: str
    filename: str | None
    content_type: str
    data: bytearray = field(default_factory=bytearray)
    writer: VaultWriter | None = None

    def write(self, piece: bytes | bytearray | memoryview) -> None:
        if self.writer is not None:
            self.writer.write(bytes(piece))
        else:
            self.data += piece

    def close(self) -> Part:
        stored = self.writer.stored() if self.writer is not None else None
        return Part(self.name, self.filename, self.content_type, bytes(self.data), stored)


def multipart_parts(content_type: str, body: bytes | Iterable[bytes], vault: FileVault | None = None) -> list[Part]:
    """The parts of a multipart/form-data body, read as a stream; 400 when it is not one.

    With a ``vault``, a file part (one with a filename) is written into it as it streams by; memory
    holds one chunk and a boundary's length at a time."""
    kind, _, params = content_type.partition(";")
    boundary = next((p.split("=", 1)[1].strip().strip('"') for p in params.split(";") if p.strip().startswith("boundary=")), "")
    if kind.strip().lower() != "multipart/form-data" or not boundary:
        raise HttpError(400, "the body must be multipart/form-data")
    first, delimiter = b"--" + boundary.encode(), b"\r\n--" + boundary.encode()
    source = iter([body] if isinstance(body, bytes | bytearray | memoryview) else body)
    buffer = bytearray()
    parts: list[Part] = []
    current: _Open | None = None

    def more() -> None:
        for chunk in source:
            if chunk:
                buffer.extend(chunk)
                return
        raise HttpError(400, "the multipart body is cut short")

    try:
        while (at := buffer.find(first)) < 0:  # the preamble, up to the first boundary
            del buffer[: max(0, len(buffer) - len(first))]
            more()
        del buffer[: at + len(first)]
        while True:
            while len(buffer) < 2:
                more()
            if buffer[:2] == b"--":
                return parts
            while (end := buffer.find(b"\r\n\r\n")) < 0:
                if len(buffer) > _HEADERS_MAX:
                    raise HttpError(400, "a multipart part's headers are too long")
                more()
            headers = _headers(bytes(buffer[:end]).decode("utf-8", "replace"))
            del buffer[: end + 4]
            disposition = headers.get("content-disposition", "")
            name = _param(disposition, "name")
            if name is None:
                raise HttpError(400, "a multipart part has no name")
            filename, ctype = _param(disposition, "filename"), headers.get("content-type", "text/plain")
            streamed = vault is not None and filename is not None
            current = _Open(name, filename, ctype, writer=vault.writer(ctype) if vault is not None and streamed else None)
            while (at := buffer.find(delimiter)) < 0:
                keep = len(delimiter) - 1
                if len(buffer) > keep:
                    current.write(buffer[: len(buffer) - keep])
                    del buffer[: len(buffer) - keep]
                more()
            current.write(buffer[:at])
            del buffer[: at + len(delimiter)]
            parts.append(current.close())
            current = None
    except BaseException:
        if current is not None and current.writer is not None:
            current.writer.__exit__(HttpError, None, None)
        for part in parts:
            if part.stored is not None and vault is not None:
                vault.drop(part.stored.key)
        raise


def _headers(block: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in block.strip("\r\n").split("\r\n"):
        name, _, value = line.partition(":")
        out[name.strip().lower()] = value.strip()
    return out


def _param(header: str, name: str) -> str | None:
    for piece in header.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"').replace("%22", '"').replace("%0A", "\n").replace("%0D", "\r")
    return None
