"""The shared machinery behind each ``connectors/<tool>/emulator.py``.

An emulator is a plain object holding a tool's data in memory and answering
``httpx.Request`` objects. Tests plug it into an ``httpx.Client`` through
:meth:`Emulator.transport`; ``pm-bridge emulate`` serves the same object over
real HTTP (:mod:`connectors.emulation.serve`). Every request is recorded so a
test can inspect exactly what reached the tool.
"""

from __future__ import annotations

import enum
import json
import re
import threading
import urllib.parse
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from bridge.clock import Clock, RealClock
from connectors.emulation.bodies import SpooledBody, receive
from connectors.emulation.oauth import TokenIssuer
from connectors.emulation.webhooks import Attempt, Outbox


class Fault(enum.Enum):
    FAIL_BEFORE = "fail_before"  # 500, nothing applied
    FAIL_AFTER = "fail_after"  # applied, then 500
    LOSE_RESPONSE = "lose_response"  # applied, then the connection drops
    RATE_LIMIT = "rate_limit"  # the tool's 429
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    LAG = "lag"  # a listing or feed that lags behind writes
    UNAUTHORIZED = "unauthorized"  # 401 as for a revoked token
    NOT_FOUND = "not_found"  # 404


@dataclass
class FaultRule:
    fault: Fault
    method: str | None = None  # None matches any method
    path: str | None = None  # a regex searched in the path; None matches any
    times: int = 1  # how many matching requests it hits; -1 for ever
    retry_after: float = 1.0  # the wait a RATE_LIMIT fault names

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None


@dataclass
class Recorded:
    """One request as the emulator received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    at: float = 0.0  # the emulator's clock when the request arrived
    in_flight: int = 1  # the credential's requests being handled when it arrived, itself included

    @property
    def text(self) -> str:
        """Everything a tool could read from the request: path, query and body."""
        query = urllib.parse.unquote_plus(urllib.parse.urlencode(self.query, doseq=True))
        return f"{self.method} {urllib.parse.unquote(self.path)}?{query}\n{self.body.decode('utf-8', 'replace')}"

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")


class HttpError(Exception):
    """Raised inside a handler to answer with the tool's error shape."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class EmuRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: httpx.Headers
    body: bytes  # a spooled body's first bytes only
    path_params: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    lagging: bool = False
    base_url: str = ""
    spooled: SpooledBody | None = None  # a large upload, on disk (connectors/emulation/bodies.py)

    @property
    def size(self) -> int:
        return self.spooled.size if self.spooled is not None else len(self.body)

    def chunks(self) -> Iterable[bytes]:
        """The whole body, in chunks (an upload's bytes are read through this, never ``body``)."""
        return self.spooled.chunks() if self.spooled is not None else [self.body]

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A parameter from the query, or from a form or JSON body."""
        values = self.query.get(name)
        if values:
            return values[-1]
        body = self.json_body()
        if isinstance(body, dict) and name in body:
            value = body[name]
            return value if isinstance(value, str) or value is None else json.dumps(value)
        form = self.form()
        if name in form:
            return form[name][-1]
        return default

    def json_body(self) -> Any:
        ctype = self.headers.get("content-type", "")
        if not self.body or "json" not in ctype:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(400, "request body is not valid JSON") from None

    def form(self) -> dict[str, list[str]]:
        if "x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return {}
        return urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True)


Handler = Callable[[EmuRequest], httpx.Response]


class InProcess(httpx.BaseTransport):
    """An emulator as a client's transport. Unlike ``httpx.MockTransport``, it does not read the
    request whole first: an upload reaches the emulator as the stream it is (connectors/emulation/bodies.py)."""

    def __init__(self, handle: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handle = handle

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle(request)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})}
    )


class _Bucket:
    def __init__(self, rate: float, per: float, now: float) -> None:
        self.rate, self.per, self.tokens, self.stamp = rate, per, float(rate), now

    def take(self, now: float) -> float:
        """Take a token; return 0 when allowed, else seconds until one is free."""
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate / self.per)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) * self.per / self.rate


# Called with (emulator, request, response) after every answer of every
# emulator in the process; the test suite's spec check hangs itself here.
Watcher = Callable[["Emulator", Recorded, httpx.Response], None]


class Emulator(ABC):
    """Base class; a tool emulator registers routes and fills the four hooks below."""

    tool = "tool"
    watchers: ClassVar[list[Watcher]] = []
    # (requests, seconds) as the tool documents it; None disables limiting.
    rate_limit: tuple[float, float] | None = None
    # Secondary limits as the tool documents them, per credential (``secondary_limits=False`` turns them off):
    # content-creating requests (POST/PATCH/PUT/DELETE) per sliding window, as (requests, seconds) pairs ...
    write_limits: tuple[tuple[int, float], ...] = ()
    # ... and requests handled at once: {"all": n}, or {"read": n, "write": n} counted apart.
    concurrent_limits: ClassVar[Mapping[str, int]] = {}
    # Expiring OAuth tokens, when a test or `pm-bridge emulate` turns them on (connectors/<tool>/emulator/oauth.py).
    oauth: TokenIssuer | None = None

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        latency: float = 0.0,
        rate_limit: tuple[float, float] | None | bool = True,
        secondary_limits: bool = True,
    ) -> None:
        self.clock = clock or RealClock()
        self.latency = latency
        if rate_limit is False:
            self.limit: tuple[float, float] | None = None
        elif rate_limit is True:
            self.limit = self.rate_limit
        else:
            self.limit = rate_limit
        self.requests: list[Recorded] = []
        self.faults: list[FaultRule] = []
        self.lock = threading.RLock()
        self._buckets: dict[str, _Bucket] = {}
        self.secondary_limits = secondary_limits
        self._writes: dict[str, deque[float]] = {}  # accepted content-creating requests' times, per credential
        self._in_flight: dict[tuple[str, str], int] = {}  # (credential, "read"|"write") -> requests being handled
        self.peak_in_flight: dict[str, int] = {}  # per credential, for tests: the most handled at once
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        # Routes answered before authentication: a tool's OAuth endpoints (connectors/emulation/oauth.py).
        self._public: list[tuple[str, re.Pattern[str], Handler]] = []
        self._next_id = 1000
        self.base_url = "https://emulator.invalid"
        self.observers: list[Callable[[Recorded], None]] = []
        # Webhook deliveries the tool's changes queued (connectors/emulation/webhooks.py); retries and
        # heartbeats come due on this emulator's clock.
        self.outbox = Outbox(clock=self.clock)

    # -- hooks for subclasses -------------------------------------------

    @abstractmethod
    def authenticate(self, request: EmuRequest) -> str | None:
        """Return the user id the request is authenticated as, or None."""

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return json_response(status, {"message": message}, headers)

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        return self.error_response(429, "Too Many Requests", {"retry-after": str(max(1, round(retry_after)))})

    def credential(self, request: EmuRequest) -> str:
        """What the rate limit is counted per (a token, a key, an IP)."""
        return request.headers.get("authorization", "anonymous")

    # -- routing ------------------------------------------------------

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/") or "/")
        self._routes.append((method.upper(), re.compile(f"^{regex}/?$"), handler))

    def add_public_route(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/") or "/")
        self._public.append((method.upper(), re.compile(f"^{regex}/?$"), handler))

    def routes(self, table: Iterable[tuple[str, str, Handler]]) -> None:
        for method, pattern, handler in table:
            self.add_route(method, pattern, handler)

    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    # -- faults --------------------------------------------------------

    def inject(
        self, fault: Fault, method: str | None = None, path: str | None = None, times: int = 1, retry_after: float = 1.0
    ) -> FaultRule:
        rule = FaultRule(fault, method, path, times, retry_after)
        with self.lock:
            self.faults.append(rule)
        return rule

    def _take_fault(self, method: str, path: str) -> FaultRule | None:
        with self.lock:
            for rule in self.faults:
                if rule.times != 0 and rule.matches(method, path):
                    if rule.times > 0:
                        rule.times -= 1
                    self.faults = [r for r in self.faults if r.times != 0]
                    return rule
        return None

    # -- the transport ---------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        return InProcess(self.handle)

    def strip_prefix(self, path: str) -> str:
        """Remove a mount prefix (e.g. Trello's ``/1``) before routing."""
        return path

    def handle(self, request: httpx.Request) -> httpx.Response:
        # An upload (not JSON, not a form) above 1 MB goes to disk as it arrives: never whole in memory.
        ctype = request.headers.get("content-type", "")
        spool = "json" not in ctype and "x-www-form-urlencoded" not in ctype
        body, spooled = receive(request.stream if isinstance(request.stream, Iterable) else [request.read()], spool)
        try:
            return self._handle(request, body, spooled)
        finally:
            if spooled is not None:
                spooled.close()

    def _handle(self, request: httpx.Request, body: bytes, spooled: SpooledBody | None) -> httpx.Response:
        path = self.strip_prefix(request.url.path)
        query = urllib.parse.parse_qs(
            request.url.query.decode() if isinstance(request.url.query, bytes) else str(request.url.query), keep_blank_values=True
        )
        record = Recorded(
            request.method, path, query, {k.lower(): v for k, v in request.headers.items()}, body, at=self.clock.now()
        )
        with self.lock:
            self.requests.append(record)
        for observer in self.observers:
            observer(record)
        if self.latency:
            self.clock.sleep(self.latency)
        try:
            response = self._answer(request, record, path, query, body, spooled)
        except httpx.TransportError:
            record.status = 0
            raise
        record.status = response.status_code
        for watcher in Emulator.watchers:
            watcher(self, record, response)
        return response

    def _answer(
        self, request: httpx.Request, record: Recorded, path: str, query: dict[str, list[str]], body: bytes,
        spooled: SpooledBody | None = None,
    ) -> httpx.Response:
        req = EmuRequest(
            request.method, path, query, request.headers, body, base_url=f"{request.url.scheme}://{request.url.netloc.decode()}",
            spooled=spooled,
        )
        rule = self._take_fault(request.method, path)
        fault = rule.fault if rule else None
        if fault is Fault.UNAUTHORIZED:
            return self.error_response(401, "Not Authorized")
        for method, regex, handler in self._public:
            found = regex.match(req.path.rstrip("/") or "/")
            if found and method == req.method:
                req.path_params = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
                with self.lock:
                    return handler(req)
        req.user = self.authenticate(req)
        if req.user is None:
            return self.error_response(401, "Not Authorized")
        if rule is not None and fault is Fault.RATE_LIMIT:
            return self.rate_limited_response(rule.retry_after)
        cred = self.credential(req)
        with self._handling(cred, record) as refused:
            if refused:
                # Asana: a Retry-After "long enough that the other in-flight requests" are done.
                return self.rate_limited_response(1.0)
            return self._limited(request, req, cred, fault)

    def _limited(self, request: httpx.Request, req: EmuRequest, cred: str, fault: Fault | None) -> httpx.Response:
        if self.limit is not None:
            with self.lock:
                bucket = self._buckets.setdefault(cred, _Bucket(*self.limit, self.clock.now()))
                wait = bucket.take(self.clock.now())
            if wait > 0:
                return self.rate_limited_response(wait)
        if req.method not in ("GET", "HEAD", "OPTIONS"):
            wait = self._take_write(cred)
            if wait > 0:
                return self.rate_limited_response(wait)
        if fault is Fault.FAIL_BEFORE:
            return self.error_response(500, "Internal Server Error")
        if fault is Fault.NOT_FOUND:
            return self.error_response(404, "Not Found")
        if fault is Fault.MALFORMED:
            return httpx.Response(200, content=b"<html>502 Bad Gateway</html>", headers={"content-type": "application/json"})
        req.lagging = fault is Fault.LAG
        try:
            handler = self._match(req)  # inside the try: a known path with the wrong method answers 405
            with self.lock:
                response = handler(req) if handler else self.error_response(404, "Not Found")
        except HttpError as err:
            return self.error_response(err.status, err.message, err.headers)
        if fault is Fault.FAIL_AFTER:
            return self.error_response(500, "Internal Server Error")
        if fault is Fault.LOSE_RESPONSE:
            raise httpx.ReadTimeout("connection lost after the write", request=request)
        return response

    @contextmanager
    def _handling(self, cred: str, record: Recorded) -> Iterator[bool]:
        """Count the request in flight while it is handled; yields True when that passes a concurrent limit."""
        kind = "write" if record.is_write else "read"
        with self.lock:
            for key in (kind, "all"):
                self._in_flight[(cred, key)] = self._in_flight.get((cred, key), 0) + 1
            record.in_flight = self._in_flight[(cred, "all")]
            self.peak_in_flight[cred] = max(self.peak_in_flight.get(cred, 0), record.in_flight)
            refused = self.secondary_limits and any(
                self._in_flight[(cred, key)] > cap for key, cap in self.concurrent_limits.items() if key in (kind, "all")
            )
        try:
            yield refused
        finally:
            with self.lock:
                for key in (kind, "all"):
                    self._in_flight[(cred, key)] -= 1

    def _take_write(self, cred: str) -> float:
        """Count one content-creating request; 0 when the windows allow it, else seconds until they do."""
        if not self.secondary_limits or not self.write_limits:
            return 0.0
        with self.lock:
            now = self.clock.now()
            times = self._writes.setdefault(cred, deque())
            longest = max(per for _, per in self.write_limits)
            while times and times[0] <= now - longest:
                times.popleft()
            wait = 0.0
            for limit, per in self.write_limits:
                recent = [t for t in times if t > now - per]
                if len(recent) >= limit:
                    wait = max(wait, recent[-limit] + per - now)
            if wait == 0.0:
                times.append(now)
            return wait

    def _match(self, req: EmuRequest) -> Handler | None:
        path = req.path.rstrip("/") or "/"
        allowed = False
        for method, regex, handler in self._routes:
            m = regex.match(path)
            if not m:
                continue
            allowed = True
            if method == req.method:
                req.path_params = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                return handler
        if allowed:
            raise HttpError(405, "Method Not Allowed")
        return None

    # -- inspection helpers for tests -----------------------------------

    def writes(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.is_write]

    def deliver_pending(self) -> list[Attempt]:
        """Send the queued webhook deliveries now, in this thread."""
        return self.outbox.deliver_pending()

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()
