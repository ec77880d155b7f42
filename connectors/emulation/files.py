"""Uploaded files in an emulator: kept on disk, not in memory, and read back in chunks (docs/files.md).

Every emulator that takes uploads (Asana, Trello, Basecamp) keeps their bytes in one ``FileVault``:
a temporary directory removed when the process ends. Multipart bodies are split by searching for
the boundary in the body's bytes (no line-by-line parse, no copy of the file part before it is
written out), so a 50 MB upload costs one pass.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from connectors.emulation.toolkit import HttpError

CHUNK = 64 * 1024


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
        with self._lock:
            self._next += 1
            key = f"f{self._next}"
        (self.root / key).write_bytes(data)
        stored = Stored(key, len(data), hashlib.sha256(data).hexdigest(), content_type or "application/octet-stream")
        with self._lock:
            self.files[key] = stored
        return stored

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def chunks(self, key: str) -> Iterator[bytes]:
        with (self.root / key).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def response(self, key: str, filename: str) -> httpx.Response:
        """The file as a download answer (the toolkit's answers carry their body whole)."""
        stored = self.files[key]
        return httpx.Response(200, content=self.read(key), headers={
            "content-type": stored.content_type,
            "content-disposition": f'attachment; filename="{filename.replace(chr(34), "")}"',
        })


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: memoryview

    def text(self) -> str:
        return bytes(self.data).decode()


def multipart_parts(content_type: str, body: bytes) -> list[Part]:
    """The parts of a multipart/form-data body; 400 when it is not one."""
    kind, _, params = content_type.partition(";")
    boundary = next((p.split("=", 1)[1].strip().strip('"') for p in params.split(";") if p.strip().startswith("boundary=")), "")
    if kind.strip().lower() != "multipart/form-data" or not boundary:
        raise HttpError(400, "the body must be multipart/form-data")
    delimiter = b"--" + boundary.encode()
    view = memoryview(body)
    parts: list[Part] = []
    at = body.find(delimiter)
    while at >= 0:
        start = at + len(delimiter)
        if body[start : start + 2] == b"--":
            break
        header_end = body.find(b"\r\n\r\n", start)
        following = body.find(b"\r\n" + delimiter, header_end + 4) if header_end >= 0 else -1
        if header_end < 0 or following < 0:
            raise HttpError(400, "the multipart body is cut short")
        headers = _headers(body[start:header_end].decode("utf-8", "replace"))
        disposition = headers.get("content-disposition", "")
        name = _param(disposition, "name")
        if name is None:
            raise HttpError(400, "a multipart part has no name")
        parts.append(Part(name, _param(disposition, "filename"), headers.get("content-type", "text/plain"),
                          view[header_end + 4 : following]))
        at = following + 2
    return parts


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
