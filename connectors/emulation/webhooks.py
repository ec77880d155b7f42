"""Webhook deliveries from the tool emulators: a queue, a pluggable transport and a log of attempts.

Each tool's emulator keeps its own subscriptions (they are part of the API it
emulates) and shapes and signs its own payloads; this module only moves bytes.
A change *enqueues* a delivery while the emulator answers the request that made
it, and nothing is sent until someone drains the queue: a test with
``emulator.deliver_pending()``, ``pm-bridge emulate`` with the background
thread (:meth:`Outbox.start`). So a slow or dead receiver never holds up the
emulated API. The two calls a tool makes *during* a request, Asana's handshake
and Trello's HEAD check, are synchronous because the services document them
that way: :meth:`Outbox.send`.

Where deliveries go is a plain ``httpx`` transport: real HTTP by default (what
``pm-bridge emulate`` needs), :func:`to_receiver` for a ``receive`` function
called in-process, :class:`AsgiTransport` for an ASGI app such as the daemon's.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from connectors.base import WebhookRequest, WebhookVerdict

# Asana gives a target 10 s to answer; the others document no limit, so all get the same.
TIMEOUT = 10.0


@dataclass(frozen=True)
class Delivery:
    """One HTTP call a tool makes to a webhook's URL."""

    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    hook: str = ""  # the tool's webhook id, for its own bookkeeping


@dataclass(frozen=True)
class Attempt:
    """What came back from one delivery; ``status`` 0 means the target could not be reached."""

    delivery: Delivery
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


AttemptListener = Callable[[Attempt], None]


class Outbox:
    """Queued deliveries of one emulator, and every attempt made so far (``attempts``)."""

    def __init__(self, transport: httpx.BaseTransport | None = None, *, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self.attempts: list[Attempt] = []
        self._transport = transport
        self._client: httpx.Client | None = None
        self._queue: deque[tuple[Delivery, AttemptListener | None]] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def use(self, transport: httpx.BaseTransport | None) -> None:
        """Send through ``transport`` from now on (None: real HTTP)."""
        with self._cond:
            old, self._client, self._transport = self._client, None, transport
        if old is not None:
            old.close()

    # -- queueing ---------------------------------------------------------------

    def enqueue(self, delivery: Delivery, on_attempt: AttemptListener | None = None) -> None:
        with self._cond:
            self._queue.append((delivery, on_attempt))
            self._cond.notify_all()

    @property
    def pending(self) -> list[Delivery]:
        with self._cond:
            return [delivery for delivery, _ in self._queue]

    def deliver_pending(self) -> list[Attempt]:
        """Send everything queued, oldest first, in the calling thread; returns the attempts."""
        done: list[Attempt] = []
        while True:
            with self._cond:
                if not self._queue:
                    return done
                delivery, listener = self._queue.popleft()
            done.append(self._deliver(delivery, listener))

    # -- sending ------------------------------------------------------------------

    def send(self, delivery: Delivery) -> Attempt:
        """Deliver now and wait for the answer (handshakes and checks made during a request)."""
        with self._cond:
            client = self._client
            if client is None:
                # Redirects are not followed (Basecamp says so; the others behave alike), and no proxy
                # from this machine's environment: the tool calls the URL directly.
                transport = self._transport or httpx.HTTPTransport()
                client = self._client = httpx.Client(transport=transport, timeout=self.timeout,
                                                      follow_redirects=False, trust_env=False)
        try:
            response = client.request(delivery.method, delivery.url, content=delivery.body, headers=delivery.headers)
            attempt = Attempt(delivery, response.status_code, {k.lower(): v for k, v in response.headers.items()})
        except httpx.HTTPError as exc:
            attempt = Attempt(delivery, 0, error=type(exc).__name__)
        with self._cond:
            self.attempts.append(attempt)
        return attempt

    def _deliver(self, delivery: Delivery, listener: AttemptListener | None) -> Attempt:
        attempt = self.send(delivery)
        if listener is not None:
            listener(attempt)
        return attempt

    # -- the background sender (pm-bridge emulate) --------------------------------------

    def start(self) -> None:
        """Deliver queued webhooks from a daemon thread as they arrive."""
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="emulator-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout)
        self.use(self._transport)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                delivery, listener = self._queue.popleft()
            self._deliver(delivery, listener)


def to_receiver(answer: Callable[[WebhookRequest], WebhookVerdict]) -> httpx.MockTransport:
    """A transport that hands each delivery to ``answer`` (e.g. a tool's ``receive`` with its secret)."""

    def handle(request: httpx.Request) -> httpx.Response:
        verdict = answer(WebhookRequest(method=request.method, url=str(request.url),
                                        headers={k.lower(): v for k, v in request.headers.items()}, body=request.read()))
        return httpx.Response(verdict.status, headers=verdict.headers)

    return httpx.MockTransport(handle)


class AsgiTransport(httpx.BaseTransport):
    """Deliver to an ASGI app in-process (httpx's own ASGI transport is async-only)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, list[tuple[str, str]], bytes]:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app)) as client:
                answer = await client.request(request.method, str(request.url), headers=request.headers, content=body)
                return answer.status_code, answer.headers.multi_items(), await answer.aread()

        status, headers, content = anyio.run(call)
        return httpx.Response(status, headers=headers, content=content)
