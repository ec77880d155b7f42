"""The daemon's HTTP side (starlette): webhook deliveries, ``/healthz`` and ``/metrics``.

Handlers only translate HTTP; deciding about a delivery is
:class:`bridge.daemon.hooks.Deliveries`' job. Its URL (link, side, token) is
judged first, on the event loop and before a byte of the body is read, so
traffic without a valid URL costs no memory and no store access. Only then is
the body read, streamed and capped at ``daemon.max_body`` (413 beyond it);
the tool's own checks run in a worker thread because they read and write the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bridge.core.ports import WebhookRequest, WebhookVerdict

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DeliveryHandler(Protocol):
    @property
    def max_body(self) -> int: ...

    def admit(self, link: str, side: str, token: str, method: str) -> WebhookVerdict | None: ...

    def handle(self, link: str, side: str, token: str, request: WebhookRequest) -> WebhookVerdict: ...

    def note(self, link: str, side: str, method: str, verdict: WebhookVerdict) -> None: ...


async def capped_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` bytes (the rest is never read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(verdict: WebhookVerdict) -> Response:
    return Response(status_code=verdict.status, headers=verdict.headers)


def build_app(
    deliveries: DeliveryHandler,
    health: Callable[[], dict[str, Any]],
    metrics: Callable[[], str],
    *,
    public_url: str | None = None,
    stopping: Callable[[], bool] = lambda: False,
    page: Callable[[], str] | None = None,
    page_admitted: Callable[[str | None, str | None], bool] = lambda _query, _header: False,
) -> Starlette:
    async def hook(request: Request) -> Response:
        if stopping():
            # The tools retry a 503; the daemon that takes over the link will see the change.
            return Response(status_code=503, headers={"retry-after": "5"})
        link, side, token = (request.path_params[name] for name in ("link", "side", "token"))
        refused = deliveries.admit(link, side, token, request.method)
        if refused is not None:
            return _answer(refused)
        body = await capped_body(request, deliveries.max_body)
        if body is None:
            too_large = WebhookVerdict(status=413, reason=f"body larger than daemon.max_body ({deliveries.max_body} bytes)")
            deliveries.note(link, side, request.method, too_large)
            return _answer(too_large)
        # Trello signs the callback URL as registered: the public one, not what a proxy forwarded to us.
        url = public_url + request.url.path if public_url else str(request.url)
        if public_url and request.url.query:
            url += "?" + request.url.query
        delivery = WebhookRequest(
            method=request.method, url=url, headers={k.lower(): v for k, v in request.headers.items()}, body=body
        )
        return _answer(await run_in_threadpool(deliveries.handle, link, side, token, delivery))

    async def healthz(request: Request) -> Response:
        report = await run_in_threadpool(health)
        if stopping():
            report["status"] = "stopping"
        return JSONResponse(report, status_code=503 if stopping() else 200)

    async def metrics_text(request: Request) -> Response:
        return PlainTextResponse(await run_in_threadpool(metrics), media_type=PROMETHEUS_TYPE)

    async def status_page(request: Request) -> Response:
        if page is None or not page_admitted(request.query_params.get("token"), request.headers.get("authorization")):
            # The same answer whether the page is off or the token wrong: nothing to probe.
            return PlainTextResponse("not found", status_code=404)
        body = await run_in_threadpool(page)
        return HTMLResponse(body, headers={"cache-control": "no-store", "x-frame-options": "DENY",
                                           "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"})

    return Starlette(
        routes=[
            Route("/", status_page, methods=["GET"]),
            Route("/hooks/{link}/{side}/{token}", hook, methods=["GET", "HEAD", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_text, methods=["GET"]),
        ]
    )
