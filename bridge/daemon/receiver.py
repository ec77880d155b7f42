"""The daemon's HTTP side (starlette): webhook deliveries, ``/healthz`` and ``/metrics``.

Handlers only translate HTTP; deciding about a delivery is
:class:`bridge.daemon.hooks.Deliveries`' job, run in a worker thread because
it reads and writes the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connectors.base import WebhookRequest, WebhookVerdict

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DeliveryHandler(Protocol):
    def handle(self, link: str, side: str, token: str, request: WebhookRequest) -> WebhookVerdict: ...


def build_app(
    deliveries: DeliveryHandler,
    health: Callable[[], dict[str, Any]],
    metrics: Callable[[], str],
    *,
    public_url: str | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> Starlette:
    async def hook(request: Request) -> Response:
        if stopping():
            # The tools retry a 503; the daemon that takes over the link will see the change.
            return Response(status_code=503, headers={"retry-after": "5"})
        params = request.path_params
        body = await request.body()
        # Trello signs the callback URL as registered: the public one, not what a proxy forwarded to us.
        url = public_url + request.url.path if public_url else str(request.url)
        if public_url and request.url.query:
            url += "?" + request.url.query
        delivery = WebhookRequest(
            method=request.method, url=url, headers={k.lower(): v for k, v in request.headers.items()}, body=body
        )
        verdict = await run_in_threadpool(deliveries.handle, params["link"], params["side"], params["token"], delivery)
        return Response(status_code=verdict.status, headers=verdict.headers)

    async def healthz(request: Request) -> Response:
        report = await run_in_threadpool(health)
        if stopping():
            report["status"] = "stopping"
        return JSONResponse(report, status_code=503 if stopping() else 200)

    async def metrics_text(request: Request) -> Response:
        return PlainTextResponse(await run_in_threadpool(metrics), media_type=PROMETHEUS_TYPE)

    return Starlette(
        routes=[
            Route("/hooks/{link}/{side}/{token}", hook, methods=["GET", "HEAD", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_text, methods=["GET"]),
        ]
    )
