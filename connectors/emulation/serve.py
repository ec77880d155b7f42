"""Serve an emulator over real HTTP, for ``pm-bridge emulate`` and the daemon's tests."""

from __future__ import annotations

import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from typing import IO, Any

import anyio
import httpx

from connectors.emulation.bodies import CHUNK, SPOOL_ABOVE
from connectors.emulation.toolkit import Emulator

Handler = Callable[[httpx.Request], httpx.Response]


def asgi_app(target: Emulator | Handler) -> Any:
    """A minimal ASGI app that hands every request to an emulator, or to any function from request to response
    (a webhook receiver in the tests)."""
    handle = target.handle if isinstance(target, Emulator) else target

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        # The body goes to a spooled file as it arrives (past 1 MB, on disk) and reaches the emulator as
        # a stream of chunks, which spools a large upload again (connectors/emulation/bodies.py).
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_ABOVE) as spool:
            while True:
                message = await receive()
                spool.write(message.get("body", b""))
                if not message.get("more_body"):
                    break
            spool.seek(0)
            host = dict(scope["headers"]).get(b"host", b"localhost").decode()
            url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
            if scope.get("query_string"):
                url += "?" + scope["query_string"].decode()
            request = httpx.Request(scope["method"], url, headers=[(k.decode(), v.decode()) for k, v in scope["headers"]],
                                    stream=_Spooled(spool))
            try:
                response = await anyio.to_thread.run_sync(handle, request)
            except httpx.TransportError:
                response = httpx.Response(502, content=b"")
        headers = [(k.encode(), v.encode()) for k, v in response.headers.items() if k.lower() != "content-length"]
        try:
            content = response.content
        except httpx.ResponseNotRead:
            pass  # a file streamed from disk (connectors/emulation/files.py): sent chunk by chunk below
        else:
            headers.append((b"content-length", str(len(content)).encode()))
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        headers.append((b"content-length", response.headers["content-length"].encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        for chunk in response.iter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


class _Spooled(httpx.SyncByteStream):
    def __init__(self, spool: IO[bytes]) -> None:
        self.spool = spool

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.spool.read(CHUNK):
            yield chunk


def served_url(emulator: Emulator, host: str, port: int) -> str:
    """The emulator's URL on ``host:port``, keeping its path prefix (Asana's /api/1.0, Trello's /1)."""
    prefix = urllib.parse.urlsplit(emulator.base_url).path.rstrip("/")
    return f"http://{host}:{port}{prefix}"


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 8080, handler: Handler | None = None) -> None:
    """Serve ``emulator`` (or ``handler``, which routes to it and to others beside it, e.g. Launchpad)."""
    import uvicorn

    emulator.base_url = served_url(emulator, host, port)
    emulator.outbox.start()  # webhook deliveries go out over real HTTP as changes happen
    try:
        uvicorn.run(asgi_app(handler or emulator), host=host, port=port, log_level="warning")
    finally:
        emulator.outbox.stop()
