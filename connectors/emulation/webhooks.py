"""Webhook deliveries from the tool emulators: a queue, a pluggable transport and a log of attempts.

Each tool's emulator keeps its own subscriptions (they are part of the API it
emulates) and shapes and signs its own payloads; this module moves bytes, and
retries them the way the tool documents it (a :class:`DeliveryPolicy` per tool).
A change *enqueues* a delivery while the emulator answers the request that made
it, and nothing is sent until someone drains the queue: a test with
``emulator.deliver_pending()``, ``pm-bridge emulate`` with the background
thread (:meth:`Outbox.start`). So a slow or dead receiver never holds up the
emulated API. The two calls a tool makes *during* a request, Asana's handshake
and Trello's HEAD check, are synchronous because the services document them
that way: :meth:`Outbox.send`.

Time is the emulator's clock: a failed delivery is due again at a later clock
time, a heartbeat every so often, and ``deliver_pending()`` sends what is due
*now*; a test moves a ``VirtualClock`` to make retries come due.

Where deliveries go is a plain ``httpx`` transport: real HTTP by default (what
``pm-bridge emulate`` needs), :func:`to_receiver` for a ``receive`` function
called in-process, :class:`AsgiTransport` for an ASGI app such as the daemon's.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from bridge.clock import Clock, RealClock
from bridge.core.ports import WebhookRequest, WebhookVerdict

# Asana gives a target 10 s to answer; a policy may say otherwise (Trello waits 30 s).
TIMEOUT = 10.0
# How long the background sender sleeps at most between looks at the clock: a VirtualClock
# moves without waking anybody, so the sender must look again now and then.
IDLE_LOOK = 0.5
# How much of an answer's body an attempt keeps (Basecamp shows it in its delivery records).
ANSWER_KEPT = 4096


class GiveUp(enum.Enum):
    """What a tool does to a webhook whose delivery it stops trying."""

    DROP = "drop"  # the delivery is lost, the webhook stays as it was
    DEACTIVATE = "deactivate"  # the webhook stays but is switched off (Basecamp)
    DELETE = "delete"  # the webhook is gone (Asana after 24 h, Trello on 410)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How one tool delivers: when it retries, when it gives up, and how often it sends a heartbeat.

    ``retry_delays[n]`` is the wait after the (n+1)-th failed attempt; past the end the last
    one repeats; without any, a delivery is tried once. A delivery that retries ends after
    ``max_attempts`` tries or once it has been failing for ``give_up_after`` seconds, whichever
    comes first, and then ``on_give_up`` says what becomes of its webhook. An answer whose
    status is in ``gone`` deletes the webhook at once.
    """

    retry_delays: tuple[float, ...] = ()
    max_attempts: int | None = None
    give_up_after: float | None = None
    on_give_up: GiveUp = GiveUp.DROP
    gone: frozenset[int] = frozenset()
    heartbeat_every: float | None = None
    timeout: float = TIMEOUT

    def __post_init__(self) -> None:
        if any(delay <= 0 for delay in self.retry_delays):
            raise ValueError("retry delays must be positive")
        if self.retry_delays and self.max_attempts is None and self.give_up_after is None:
            raise ValueError("a policy that retries needs max_attempts or give_up_after")

    def delay(self, failures: int) -> float:
        """The wait after the ``failures``-th failed try of one delivery."""
        return self.retry_delays[min(failures, len(self.retry_delays)) - 1]


# One try, nothing more: what an emulator does unless its tool documents retries.
ONCE = DeliveryPolicy()


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
    """What came back from one delivery; ``status`` 0 means the target could not be reached.

    ``at`` is the emulator's clock time of the attempt, ``number`` counts tries of the same
    delivery from 1, ``retry_at`` is when the next try is due (None: no more tries).
    """

    delivery: Delivery
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""
    text: str = ""  # the start of the answer's body, for the tools that show it back
    at: float = 0.0
    number: int = 1
    retry_at: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


AttemptListener = Callable[[Attempt], None]


@dataclass
class _Queued:
    delivery: Delivery
    listener: AttemptListener | None
    due: float
    order: int
    tries: int = 0
    failing_since: float | None = None


@dataclass
class _Heartbeat:
    make: Callable[[], Delivery]
    listener: AttemptListener | None
    due: float


class Outbox:
    """Queued deliveries of one emulator, and every attempt made so far (``attempts``).

    A tool sets ``policy``, and ``retire`` (carry out a :class:`GiveUp` on one of its webhooks)
    and ``alive`` (is this webhook still there and active?) when its policy can end or skip one.
    """

    def __init__(
        self, transport: httpx.BaseTransport | None = None, *, clock: Clock | None = None, policy: DeliveryPolicy | None = None
    ) -> None:
        self.clock: Clock = clock or RealClock()
        self.policy = policy or ONCE
        self.retire: Callable[[str, GiveUp], None] | None = None
        self.alive: Callable[[str], bool] | None = None
        self.attempts: list[Attempt] = []
        self._transport = transport
        self._client: httpx.Client | None = None
        self._queue: list[_Queued] = []
        self._heartbeats: dict[str, _Heartbeat] = {}
        self._order = itertools.count()
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
            self._queue.append(_Queued(delivery, on_attempt, self.clock.now(), next(self._order)))
            self._cond.notify_all()

    def heartbeat(self, hook: str, make: Callable[[], Delivery], on_attempt: AttemptListener | None = None) -> None:
        """Send ``make()`` to ``hook`` every ``policy.heartbeat_every`` seconds from now on, while it is alive."""
        every = self.policy.heartbeat_every
        if every is None:
            return
        with self._cond:
            self._heartbeats[hook] = _Heartbeat(make, on_attempt, self.clock.now() + every)
            self._cond.notify_all()

    def forget(self, hook: str) -> None:
        """Drop everything still to be sent to ``hook`` (it was deleted or switched off)."""
        with self._cond:
            self._queue = [q for q in self._queue if q.delivery.hook != hook]
            self._heartbeats.pop(hook, None)

    @property
    def pending(self) -> list[Delivery]:
        """Everything not yet delivered, due now or waiting for a retry, oldest first."""
        with self._cond:
            return [q.delivery for q in sorted(self._queue, key=lambda q: (q.due, q.order))]

    def next_due(self, hook: str | None = None) -> float | None:
        """The clock time the next delivery (to ``hook``, or to any) is due, heartbeats included."""
        with self._cond:
            times = [q.due for q in self._queue if hook is None or q.delivery.hook == hook]
            times += [b.due for h, b in self._heartbeats.items() if hook is None or h == hook]
        return min(times, default=None)

    def retry_due(self, hook: str) -> float | None:
        """When the next retry to ``hook`` is due; None when none is waiting."""
        with self._cond:
            return min((q.due for q in self._queue if q.delivery.hook == hook and q.tries), default=None)

    def deliver_pending(self) -> list[Attempt]:
        """Send everything due by now, oldest first, in the calling thread; returns the attempts.

        A failed delivery is due again later (by the policy), so it is not retried in the
        same call: advance the clock and call again.
        """
        done: list[Attempt] = []
        now = self.clock.now()
        self._beat(now)
        while True:
            with self._cond:
                item = self._take_due(now)
            if item is None:
                return done
            attempt = self._deliver(item)
            if attempt is not None:
                done.append(attempt)

    # -- sending ------------------------------------------------------------------

    def send(self, delivery: Delivery) -> Attempt:
        """Deliver now and wait for the answer (handshakes and checks made during a request)."""
        attempt = self._send(delivery, 1)
        with self._cond:
            self.attempts.append(attempt)
        return attempt

    def _send(self, delivery: Delivery, number: int) -> Attempt:
        with self._cond:
            client = self._client
            if client is None:
                # Redirects are not followed (Basecamp says so; the others behave alike), and no proxy
                # from this machine's environment: the tool calls the URL directly.
                transport = self._transport or httpx.HTTPTransport()
                client = self._client = httpx.Client(transport=transport, follow_redirects=False, trust_env=False)
        at = self.clock.now()
        try:
            response = client.request(
                delivery.method, delivery.url, content=delivery.body, headers=delivery.headers, timeout=self.policy.timeout
            )
            return Attempt(
                delivery,
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                text=response.text[:ANSWER_KEPT],
                at=at,
                number=number,
            )
        except httpx.HTTPError as exc:
            return Attempt(delivery, 0, error=type(exc).__name__, at=at, number=number)

    def _take_due(self, now: float) -> _Queued | None:
        due = [q for q in self._queue if q.due <= now]
        if not due:
            return None
        item = min(due, key=lambda q: (q.due, q.order))
        self._queue.remove(item)
        return item

    def _beat(self, now: float) -> None:
        """Queue the heartbeats that are due; missed beats (the clock jumped) collapse into one."""
        every = self.policy.heartbeat_every
        with self._cond:
            beats = [(hook, beat) for hook, beat in self._heartbeats.items() if beat.due <= now]
        for hook, beat in beats:
            if self.alive is not None and not self.alive(hook):
                with self._cond:
                    self._heartbeats.pop(hook, None)
                continue
            delivery = beat.make()
            with self._cond:
                self._queue.append(_Queued(delivery, beat.listener, beat.due, next(self._order)))
                while every is not None and beat.due <= now:
                    beat.due += every

    def _deliver(self, item: _Queued) -> Attempt | None:
        hook = item.delivery.hook
        if item.tries and hook and self.alive is not None and not self.alive(hook):
            return None  # deleted or switched off while the retry waited: the tool calls no more
        attempt = self._send(item.delivery, item.tries + 1)
        item.tries += 1
        end: GiveUp | None = None
        if not attempt.ok:
            retry_at, end = self._plan(item, attempt)
            attempt = dataclasses.replace(attempt, retry_at=retry_at)
        with self._cond:
            self.attempts.append(attempt)
            if attempt.retry_at is not None:
                item.due = attempt.retry_at
                self._queue.append(item)
                self._cond.notify_all()
        if item.listener is not None:
            item.listener(attempt)
        if end is not None and end is not GiveUp.DROP and hook:
            self.forget(hook)
            if self.retire is not None:
                self.retire(hook, end)
        return attempt

    def _plan(self, item: _Queued, attempt: Attempt) -> tuple[float | None, GiveUp | None]:
        """After a failed try: when to try again, or how the policy ends it."""
        policy = self.policy
        if attempt.status in policy.gone:
            return None, GiveUp.DELETE
        if item.failing_since is None:
            item.failing_since = attempt.at
        deadline = None if policy.give_up_after is None else item.failing_since + policy.give_up_after
        out_of_tries = policy.max_attempts is not None and item.tries >= policy.max_attempts
        if not policy.retry_delays or out_of_tries or (deadline is not None and attempt.at >= deadline):
            return None, policy.on_give_up
        retry_at = attempt.at + policy.delay(item.tries)
        if deadline is not None:
            retry_at = min(retry_at, deadline)  # the last try falls on the deadline itself
        return retry_at, None

    # -- the background sender (pm-bridge emulate) --------------------------------------

    def start(self) -> None:
        """Deliver queued webhooks from a daemon thread as they come due."""
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
            now = self.clock.now()
            self._beat(now)
            with self._cond:
                if self._stopping:
                    return
                item = self._take_due(now)
                if item is None:
                    upcoming = min([q.due for q in self._queue] + [b.due for b in self._heartbeats.values()], default=None)
                    self._cond.wait(IDLE_LOOK if upcoming is None else min(IDLE_LOOK, max(upcoming - now, 0.0)))
                    continue
            self._deliver(item)


def to_receiver(answer: Callable[[WebhookRequest], WebhookVerdict]) -> httpx.MockTransport:
    """A transport that hands each delivery to ``answer`` (e.g. a tool's ``receive`` with its secret)."""

    def handle(request: httpx.Request) -> httpx.Response:
        verdict = answer(
            WebhookRequest(
                method=request.method,
                url=str(request.url),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.read(),
            )
        )
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


class HintFeed:
    """Deliveries answered in-process by a tool's ``receive``, their hints gathered until a pull takes them.

    What the daemon's receiver and store do for a webhook-led pull (bridge/store/hints.py), without
    a daemon: tests and ``bench/connector_bench.py`` use it to hand a connector the hints its
    emulator's deliveries carried.
    """

    def __init__(self, receive: Callable[[WebhookRequest, str | None], WebhookVerdict], secret: str) -> None:
        self.receive, self.secret = receive, secret
        self.gathered: set[str] = set()
        self.delivered = 0

    @property
    def transport(self) -> httpx.MockTransport:
        return to_receiver(self._answer)

    def _answer(self, request: WebhookRequest) -> WebhookVerdict:
        verdict = self.receive(request, self.secret)
        if verdict.trigger:
            self.delivered += 1
            self.gathered |= verdict.hints
        return verdict

    def take(self, outbox: Outbox) -> frozenset[str]:
        """Send what the emulator queued, and hand over (and forget) the hints gathered so far."""
        outbox.deliver_pending()
        taken, self.gathered = frozenset(self.gathered), set()
        return taken
