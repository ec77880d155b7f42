"""Request bodies in the emulators: small ones whole, large uploads on disk as they arrive (docs/files.md).

An emulator running in the bridge's own process (tests, ``bench/file_bench.py --in-process``) must not
hold a 50 MB upload in memory, or the bridge's memory figure would be the emulator's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
SPOOL_ABOVE = 1024 * 1024  # bodies and answers above this stay on disk
HEAD = 64 * 1024  # what the request log keeps of a spooled body


@dataclass
class SpooledBody:
    """A request body kept on disk: read back in chunks, never whole."""

    path: Path
    size: int

    def chunks(self) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def receive(chunks: Iterable[bytes], spool: bool) -> tuple[bytes, SpooledBody | None]:
    """A request body as it arrives: whole when small (or ``spool`` is False: JSON, forms), else on
    disk, with its first ``HEAD`` bytes for the request log."""
    buffer = bytearray()
    handle: BinaryIO | None = None
    size, head, name = 0, b"", ""
    try:
        for chunk in chunks:
            if handle is not None:
                handle.write(chunk)
                size += len(chunk)
                continue
            buffer += chunk
            if spool and len(buffer) > SPOOL_ABOVE:
                descriptor, name = tempfile.mkstemp(prefix="pm-bridge-emulated-body-")
                handle = os.fdopen(descriptor, "wb")
                handle.write(buffer)
                size, head, buffer = len(buffer), bytes(buffer[:HEAD]), bytearray()
    except BaseException:
        if handle is not None:
            handle.close()
            Path(name).unlink(missing_ok=True)
        raise
    if handle is None:
        return bytes(buffer), None
    handle.close()
    return head, SpooledBody(Path(name), size)
