"""GitHub's primary rate limit, told to the shared HTTP layer in the words it understands.

When the primary limit (5000 requests/hour per token) is spent, GitHub answers
403 or 429 with ``x-ratelimit-remaining: 0`` and no ``retry-after``; the docs say
not to retry before ``x-ratelimit-reset`` (epoch seconds). Without a
``retry-after`` the shared client would read that 403 as a refused credential.
This transport adds ``retry-after`` computed from the reset time, so the client
waits (within ``max_wait``) or raises :class:`~bridge.errors.RateLimited`.
Secondary limits already carry ``retry-after`` and pass through untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx


class PrimaryLimitTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport | None = None, epoch: Callable[[], float] = time.time) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.epoch = epoch

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if response.status_code not in (403, 429) or "retry-after" in response.headers:
            return response
        if response.headers.get("x-ratelimit-remaining") != "0":
            return response
        try:
            wait = max(1, int(float(response.headers.get("x-ratelimit-reset", "")) - self.epoch()) + 1)
        except ValueError:
            wait = 60  # the reset is unreadable: GitHub's advice for secondary limits is at least a minute
        response.headers["retry-after"] = str(wait)
        return response

    def close(self) -> None:
        self.inner.close()
