"""A multipart/form-data body streamed from chunks, with its length known up front (docs/files.md).

httpx builds multipart bodies from file objects; a file being copied from another tool is an
iterator of chunks instead, and the upload must not hold it whole. The parts around the file are
small and computed first, so the Content-Length is exact without reading the file.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator


def _quoted(value: str) -> str:
    # As browsers do (WHATWG HTML "multipart/form-data encoding"): newlines and quotes escaped, UTF-8 kept.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def multipart_body(
    fields: Iterable[tuple[str, str]], file_field: str, filename: str, content_type: str, chunks: Iterable[bytes], size: int
) -> tuple[dict[str, str], Iterator[bytes]]:
    """The headers (Content-Type with its boundary, Content-Length) and the body's chunks."""
    boundary = secrets.token_hex(16)
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        for name, value in fields
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(file_field)}"; filename="{_quoted(filename)}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from chunks
        yield tail

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(head) + size + len(tail))}
    return headers, body()
