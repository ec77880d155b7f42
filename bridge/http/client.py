"""One HTTP client for every connector: auth, rate budget, retries, ETags, error sorting.

Retries: 5xx, timeouts and connection errors are retried with exponential
backoff (tenacity) for idempotent methods only, unless the caller says the
request is guarded by the journal (``retry_unsafe``), at most ``max_attempts``
times. A 429 is always retried, because the server refused the request without
applying it: while the server names the wait (``Retry-After``) the client keeps
waiting what it asks, however many times, as long as the total wait stays
within ``max_wait``; ``max_attempts`` caps only the waits the client picks
itself (a refusal without ``Retry-After``, 5xx, timeouts).

Pacing (:mod:`bridge.http.pacing`) decides when an attempt may leave; all
timing goes through the injected clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception

from bridge import __version__, secrets
from bridge.clock import Clock, RealClock
from bridge.core.ports import Download
from bridge.errors import (
    AuthError,
    Invalid,
    Malformed,
    NotFound,
    RateLimited,
    RemoteError,
    Transient,
)
from bridge.http.budget import RateBudget
from bridge.http.pacing import Pacing

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
PRODUCT = f"pm-bridge/{__version__}"


def user_agent(configured: str | None) -> str:
    """The User-Agent of every request: ``pm-bridge/<version>``, after the tool's own when it needs one.

    Basecamp wants an app name and a contact ("MyApp (me@example.com)"); the product token
    follows it, so a tool's logs (and the test suite's spec check) can always tell pm-bridge's requests apart.
    """
    if not configured or not configured.strip():
        return PRODUCT
    return configured if PRODUCT in configured.split() else f"{configured} {PRODUCT}"


@dataclass
class RequestStats:
    """Counts what a client sent; benchmarks and the no-change invariant read it."""

    reads: int = 0
    writes: int = 0
    not_modified: int = 0
    retries: int = 0
    rate_limit_waits: float = 0.0
    by_route: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, method: str, path: str) -> None:
        with self._lock:
            if method in ("GET", "HEAD"):
                self.reads += 1
            else:
                self.writes += 1
            key = f"{method} {path}"
            self.by_route[key] = self.by_route.get(key, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self.reads = self.writes = self.not_modified = self.retries = 0
            self.rate_limit_waits = 0.0
            self.by_route = {}

    @property
    def total(self) -> int:
        return self.reads + self.writes


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    not_modified: bool = False  # served from our ETag cache after a 304

    def json(self) -> Any:
        if not self.content:
            return None
        try:
            return json.loads(self.content)
        except ValueError:
            raise Malformed(f"the response from {secrets.redact(self.url)} is not valid JSON") from None


def _retry_after_seconds(value: str | None, clock_now_epoch: float) -> float | None:
    if not value:
        return None
    with contextlib.suppress(ValueError):  # seconds, or else an HTTP date
        return max(0.0, float(value))
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # an unreadable Retry-After falls back to our own backoff
    if parsed.tzinfo is None:  # "-0000" dates come back naive; HTTP dates are always UTC
        parsed = parsed.replace(tzinfo=dt.UTC)
    return max(0.0, parsed.timestamp() - clock_now_epoch)


class HttpClient:
    """A small, shared wrapper over :class:`httpx.Client` for one credential of one tool."""

    def __init__(
        self,
        *,
        tool: str,
        base_url: str,
        auth: httpx.Auth | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        budget: RateBudget | None = None,
        pacing: Pacing | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_wait: float = 120.0,
        error_message: Callable[[httpx.Response], str] | None = None,
    ) -> None:
        self.tool = tool
        self.clock = clock or RealClock()
        self.budget = budget
        self.pacing = pacing
        # Servers speak epoch seconds (x-ratelimit-reset, HTTP dates); anchor them to the injected
        # clock once, so a virtual clock moves them too and a wait is never measured on two clocks.
        self._epoch_offset = time.time() - self.clock.now()
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.stats = RequestStats()
        self._error_message = error_message or _default_error_message
        _register_credentials(params, headers)
        sent = {k: v for k, v in (headers or {}).items() if k.lower() != "user-agent"}
        sent["User-Agent"] = user_agent(next((v for k, v in (headers or {}).items() if k.lower() == "user-agent"), None))
        self._etags: dict[str, tuple[str, Response]] = {}
        self._etag_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            auth=auth,
            params=params,
            headers=sent,
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def epoch(self) -> float:
        """Now in UTC epoch seconds, as the injected clock tells it."""
        return self.clock.now() + self._epoch_offset

    # -- public API ---------------------------------------------------------

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None, etag: bool = False) -> Any:
        return self.request("GET", path, params=params, etag=etag).json()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        etag: bool = False,
        retry_unsafe: bool = False,
        ok: tuple[int, ...] = (),
    ) -> Response:
        """Send one logical request; ``ok`` lists extra statuses returned instead of raised."""
        method = method.upper()
        retry_transient = method in IDEMPOTENT or retry_unsafe
        waited = 0.0
        picked = 0  # failures whose wait the client picked itself: only these count towards max_attempts

        def named_wait(exc: BaseException | None) -> float | None:
            return exc.retry_after if isinstance(exc, RateLimited) else None

        def should_retry(exc: BaseException) -> bool:
            if isinstance(exc, RateLimited):
                return True
            return isinstance(exc, Transient) and retry_transient

        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if named_wait(exc) is not None:
                return False  # the server named the wait: wait() gives up once max_wait is spent
            return picked >= self.max_attempts

        def before_sleep(state: RetryCallState) -> None:
            self.stats.retries += 1

        def wait(state: RetryCallState) -> float:  # tenacity asks wait() before stop()
            nonlocal waited, picked
            exc = state.outcome.exception() if state.outcome else None
            named = named_wait(exc)
            if named is None:
                picked += 1
            delay = named if named is not None else min(30.0, 0.5 * 2 ** (picked - 1))
            # A named wait of 0 still counts a second, so "Retry-After: 0" for ever cannot loop for ever.
            waited += max(delay, 1.0) if named is not None else delay
            if waited > self.max_wait:
                raise exc if exc else Transient("gave up waiting")
            if isinstance(exc, RateLimited):
                self.stats.rate_limit_waits += delay
            return delay

        retrying = Retrying(
            retry=retry_if_exception(should_retry),
            stop=stop,
            wait=wait,
            sleep=self.clock.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._paced(method, path, params, json, data, files, headers, etag, ok)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- files: streamed bodies, both ways (docs/files.md) -------------------

    @contextlib.contextmanager
    def stream(
        self, url: str, *, headers: Mapping[str, str] | None = None, credentials: bool | None = None
    ) -> Iterator[httpx.Response]:
        """GET a body too large to hold: inside the context, read it with ``iter_bytes()``.

        ``url`` is a path under the API or an absolute URL. By default a URL on another host than the
        API's (a file host's signed link) is sent without the credentials, which are for the tool's
        API only; ``credentials=True`` is for a tool whose own file host wants them (Basecamp).
        Sent once: a failed download fails its op, and the next cycle tries again.
        """
        if self.budget is not None:
            self.budget.acquire()
        absolute = httpx.URL(url)
        foreign = absolute.is_absolute_url and absolute.host != self._http.base_url.host
        if credentials is not None:
            foreign = not credentials
        if foreign:
            sent = {k: v for k, v in self._http.headers.items() if k.lower() in ("user-agent", "accept")}
            request = httpx.Request("GET", absolute, headers={**sent, **(headers or {})})
        else:
            request = self._http.build_request("GET", url, headers=headers)
        self.stats.count("GET", request.url.path)
        try:
            raw = self._http.send(request, stream=True, auth=None if foreign else httpx.USE_CLIENT_DEFAULT)
        except httpx.TimeoutException:
            raise Transient(f"{self.tool}: download timed out ({request.url.path})") from None
        except httpx.TransportError as exc:
            raise Transient(f"{self.tool}: cannot reach {request.url.host} ({type(exc).__name__})") from None
        try:
            if raw.status_code >= 300:
                raw.read()
                raise self._error(raw, "GET")
            yield raw
        finally:
            raw.close()

    @contextlib.contextmanager
    def download(
        self, url: str, *, size: int | None = None, headers: Mapping[str, str] | None = None, credentials: bool | None = None
    ) -> Iterator[Download]:
        """:meth:`stream` as the connector contract's :class:`Download`; ``size`` stands in when no Content-Length comes."""
        with self.stream(url, headers=headers, credentials=credentials) as response:
            length = response.headers.get("content-length")
            known = int(length) if length and length.isdigit() else size
            yield Download(known, response.headers.get("content-type", ""), response.iter_bytes())

    def send_stream(
        self, method: str, path: str, *, content: Iterable[bytes], headers: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
    ) -> Response:
        """One request whose body is streamed from ``content`` (an upload, its Content-Length in ``headers``).

        Sent once, never retried: a stream cannot be replayed. The journal guards the write, so a
        lost answer is found again by the next cycle instead of being sent twice.
        """
        if self.budget is not None:
            self.budget.acquire()
        request = self._http.build_request(method.upper(), path, params=_clean(params), content=content, headers=headers)
        self.stats.count(method.upper(), request.url.path)
        slot = self.pacing.slot(method.upper()) if self.pacing is not None else contextlib.nullcontext()
        with slot:
            try:
                raw = self._http.send(request)
            except httpx.TimeoutException:
                raise Transient(f"{self.tool}: upload timed out ({method} {request.url.path})") from None
            except httpx.TransportError as exc:
                raise Transient(f"{self.tool}: cannot reach {self._http.base_url.host} ({type(exc).__name__})") from None
            raw.read()
            self._observe_limits(raw)
            if self.pacing is not None:
                self.pacing.answered()
        if raw.status_code >= 300:
            raise self._error(raw, method.upper())
        return Response(raw.status_code, raw.headers, raw.content, str(raw.request.url))

    # -- one attempt ------------------------------------------------------

    def _paced(self, method: str, *args: Any) -> Response:
        if self.pacing is None:
            return self._send_once(method, *args)
        still = self.pacing.refused_for()
        if still > self.max_wait:
            # The tool asked for a longer pause than we may wait (e.g. GitHub's hourly creation
            # limit): asking again now would only be refused again and count against us.
            raise RateLimited(f"{self.tool}: rate limited for another {still:.0f} s", retry_after=still)
        with self.pacing.slot(method):
            try:
                response = self._send_once(method, *args)
            except RateLimited as exc:
                self.pacing.refused(None if exc.retry_after is None else self.clock.now() + exc.retry_after)
                raise
            except RemoteError as exc:
                if exc.status is not None:  # an answer, just not a good one: the tool is not asking us to slow down
                    self.pacing.answered()
                raise
            self.pacing.answered()
            return response

    def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        data: Any,
        files: Any,
        headers: Mapping[str, str] | None,
        etag: bool,
        ok: tuple[int, ...],
    ) -> Response:
        if self.budget is not None:
            self.budget.acquire()
        request = self._http.build_request(
            method, path, params=_clean(params), json=body, data=data, files=files, headers=headers
        )
        cache_key = str(request.url)
        cached = None
        if etag and method == "GET":
            with self._etag_lock:
                cached = self._etags.get(cache_key)
            if cached:
                request.headers["If-None-Match"] = cached[0]
        self.stats.count(method, request.url.path)
        try:
            raw = self._http.send(request)
        except httpx.TimeoutException:
            raise Transient(f"{self.tool}: request timed out ({method} {request.url.path})") from None
        except httpx.TransportError as exc:
            raise Transient(f"{self.tool}: cannot reach {self._http.base_url.host} ({type(exc).__name__})") from None
        raw.read()
        self._observe_limits(raw)
        status = raw.status_code
        if status == 304 and cached:
            self.stats.not_modified += 1
            return Response(cached[1].status, cached[1].headers, cached[1].content, cached[1].url, True)
        response = Response(status, raw.headers, raw.content, str(raw.request.url))
        if status < 300 or status in ok:
            if etag and method == "GET" and raw.headers.get("etag"):
                with self._etag_lock:
                    self._etags[cache_key] = (raw.headers["etag"], response)
            return response
        raise self._error(raw, method)

    def _observe_limits(self, raw: httpx.Response) -> None:
        """GitHub-style headers: when the budget is spent, pause until it resets."""
        if self.budget is None:
            return
        remaining = raw.headers.get("x-ratelimit-remaining")
        reset = raw.headers.get("x-ratelimit-reset")
        if remaining == "0" and reset:
            try:
                delay = max(0.0, float(reset) - self.epoch())
            except ValueError:
                return
            self.budget.pause_until(self.clock.now() + min(delay, self.max_wait))

    def _error(self, raw: httpx.Response, method: str) -> RemoteError:
        status = raw.status_code
        where = f"{method} {raw.request.url.path}"
        detail = secrets.redact(self._error_message(raw))
        tail = f": {detail}" if detail else ""
        if status == 429 or (status == 403 and raw.headers.get("retry-after")):
            after = _retry_after_seconds(raw.headers.get("retry-after"), self.epoch())
            if after is not None and self.budget is not None:
                # Capped like _observe_limits: a later request should fail fast with RateLimited, not block for hours.
                self.budget.pause_until(self.clock.now() + min(after, self.max_wait))
            return RateLimited(f"{self.tool}: rate limited on {where}{tail}", retry_after=after, status=status)
        if status in (401, 403):
            return AuthError(
                f"{self.tool}: the server refused the credential ({status}) on {where}{tail}",
                status=status,
                hint=f"check the {self.tool} token in your config or .env",
            )
        if status == 404:
            return NotFound(f"{self.tool}: not found ({where}){tail}", status=status)
        if status >= 500:
            return Transient(f"{self.tool}: server error {status} on {where}{tail}", status=status)
        return Invalid(f"{self.tool}: request refused ({status}) on {where}{tail}", status=status)


_CREDENTIAL_PARAMS = frozenset({"token", "key", "access_token", "api_key", "secret", "password"})


def _register_credentials(params: Mapping[str, str] | None, headers: Mapping[str, str] | None) -> None:
    """Credentials handed to the client are redacted from every message, even when a server echoes them."""
    for name, value in (params or {}).items():
        if name.lower() in _CREDENTIAL_PARAMS:
            secrets.register(value)
    for name, value in (headers or {}).items():
        if name.lower() in ("authorization", "x-api-key", "private-token"):
            secrets.register(value.split(" ", 1)[-1])


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


def _default_error_message(raw: httpx.Response) -> str:
    try:
        body = raw.json()
    except ValueError:
        text = raw.text.strip()
        return text[:200]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))[:200]
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                return body[key][:200]
    return ""
