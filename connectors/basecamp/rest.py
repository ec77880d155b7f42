"""The Basecamp HTTP session: Bearer token, the required User-Agent, the rate budget, typed JSON reads.

Every request goes to ``<base>/<account_id>/….json``. Conditional GETs send
the ETag a cursor kept (``If-None-Match``) and treat ``304`` as "unchanged";
the cursor, not this client, keeps the ETags so they survive a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bridge import secrets
from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.errors import ConfigError, Malformed
from bridge.http import HttpClient, PacingPolicy, RateBudget, Response, budget_for, pacing_for, parse_link_header

DEFAULT_BASE_URL = "https://3.basecampapi.com"
DEFAULT_USER_AGENT = "pm-bridge (ops@example.invalid)"
# "50 requests per 10 second period per IP address" is the first limit met. A token
# bucket with burst b and rate r sends at most b + 10 r in 10 s: b = 4, r = 4/s gives 44.
_BURST, _PER = 4.0, 1.0
# Basecamp's API guide limits requests per 10 s per IP (the budget above) and sets no limit on
# requests at once, so requests may overlap; after a 429 the HTTP layer resumes with one.
PACING = PacingPolicy()


def _error_message(raw: httpx.Response) -> str:
    """Basecamp errors are ``{"error": …, "message": …}``; an inactive account says so in ``Reason``."""
    reason = raw.headers.get("reason")
    if reason:
        return f"{reason}: the Basecamp account is inactive (expired trial or suspension)"
    if raw.status_code == 400 and not raw.content:
        return "bad request (is a User-Agent with an app name and contact set?)"
    try:
        body = raw.json()
    except ValueError:
        return raw.text.strip()[:200]
    if isinstance(body, dict):
        return ": ".join(str(body[k]) for k in ("error", "message") if body.get(k))[:200]
    return ""


def make_client(config: ConnectionConfig, *, transport: httpx.BaseTransport | None, clock: Clock | None) -> HttpClient:
    if config.token is None:
        raise ConfigError("a basecamp connection needs `token` (an OAuth 2 access token from Launchpad)",
                          hint="see launchpad.37signals.com/integrations")
    if not config.account_id or not config.account_id.isdigit():
        raise ConfigError("a basecamp connection needs a numeric `account_id`",
                          hint="it is the number after 3.basecamp.com/ in your Basecamp URLs")
    token = config.token.get_secret_value()
    secrets.register(token)
    if config.rate_limit is not None:
        budget: RateBudget = budget_for("basecamp", token, config.rate_limit.requests, config.rate_limit.per_seconds, clock)
    else:
        budget = budget_for("basecamp", token, _BURST, _PER, clock)
    base = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
    if not base.endswith(f"/{config.account_id}"):
        base = f"{base}/{config.account_id}"
    return HttpClient(
        tool="basecamp",
        base_url=base,
        headers={
            "Authorization": f"Bearer {token}",
            "User-Agent": config.user_agent or DEFAULT_USER_AGENT,
            "Accept": "application/json",
        },
        budget=budget,
        pacing=pacing_for("basecamp", token, PACING, clock),
        transport=transport,
        clock=clock,
        timeout=config.timeout,
        max_wait=config.max_wait,
        error_message=_error_message,
    )


@dataclass
class Page:
    items: list[dict[str, Any]]
    response: Response

    @property
    def total(self) -> int | None:
        raw = self.response.headers.get("x-total-count")
        return int(raw) if raw and raw.isdigit() else None

    @property
    def etag(self) -> str | None:
        return self.response.headers.get("etag")

    @property
    def next_url(self) -> str | None:
        return parse_link_header(self.response.headers.get("link")).get("next")


def _decode(response: Response, what: str) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        raise Malformed(f"basecamp: the answer to {what} is not JSON", status=response.status) from None


class BasecampApi:
    """Reads that check the JSON type they get, paging by ``Link`` headers, and JSON writes."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def obj(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = _decode(self.http.request("GET", path, params=params), f"GET {path}")
        if not isinstance(body, dict):
            raise Malformed(f"basecamp: GET {path} did not return an object")
        return body

    def conditional(self, path: str, params: Mapping[str, Any] | None = None, etag: str | None = None) -> Response | None:
        """A GET that sends ``If-None-Match``; ``None`` when the ETag still matches (304)."""
        headers = {"If-None-Match": etag} if etag else None
        response = self.http.request("GET", path, params=params, headers=headers, ok=(304,))
        if response.status == 304:
            self.http.stats.not_modified += 1
            return None
        return response

    def page(self, path: str, params: Mapping[str, Any] | None = None, *, etag: str | None = None) -> Page | None:
        """One page of a collection; ``None`` when ``etag`` still matches (304)."""
        response = self.conditional(path, params, etag)
        if response is None:
            return None
        return Page(_items(_decode(response, f"GET {path}"), path), response)

    def pages(self, first: Page, path: str) -> Iterator[Page]:
        """``first`` and every page after it; a repeated ``next`` link is an API fault, not a loop."""
        seen = {first.response.url}
        page = first
        while True:
            yield page
            nxt = page.next_url
            if not nxt:
                return
            if nxt in seen:
                raise Malformed(f"basecamp: pagination of {path} repeated a page link; stopped")
            seen.add(nxt)
            response = self.http.request("GET", nxt)
            page = Page(_items(_decode(response, f"GET {path}"), path), response)

    def many(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        first = self.page(path, params)
        assert first is not None  # no ETag sent, so no 304
        return [item for page in self.pages(first, path) for item in page.items]

    def write(self, method: str, path: str, body: Mapping[str, Any] | None = None, *,
              idempotent: bool = False) -> dict[str, Any] | None:
        """A JSON write; the decoded object, or ``None`` for Basecamp's ``204 No Content``.

        ``idempotent`` marks a POST that may be retried (completing a to-do twice is harmless).
        """
        response = self.http.request(method, path, json=dict(body) if body is not None else None, retry_unsafe=idempotent)
        if response.status == 204 or not response.content:
            return None
        decoded = _decode(response, f"{method} {path}")
        if not isinstance(decoded, dict):
            raise Malformed(f"basecamp: {method} {path} did not return an object")
        return decoded


def _items(body: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(x, dict) for x in body):
        raise Malformed(f"basecamp: GET {path} did not return a list of objects")
    return body
