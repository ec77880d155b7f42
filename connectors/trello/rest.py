"""The Trello HTTP session: key + token auth, the per-token budget, typed reads and writes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from bridge import secrets
from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.errors import ConfigError, Malformed
from bridge.http import HttpClient, PacingPolicy, RateBudget, budget_for, pacing_for

DEFAULT_BASE_URL = "https://api.trello.com/1"
# Trello allows 100 requests per 10 s per token. A token bucket with burst b and
# rate r can send b + 10 r in a 10 s window; b = 8, r = 8/s stays under it (88).
# Both numbers are exact in binary floating point: RateBudget.acquire can spin on
# sub-ulp sleeps when per/rate is not (e.g. 1/9 s with a clock near 1e6).
_BURST, _PER = 8.0, 1.0
# No Retry-After on Trello's 429: back off 0.5, 1, 2, 4, 8, 16 s, which outlasts one 10 s window.
_ATTEMPTS = 7
# Trello's rate-limits guide counts requests per 10 s (the budget above) and sets no limit on
# requests at once, so requests may overlap; after a 429 the HTTP layer resumes with one.
PACING = PacingPolicy()


def _error_message(raw: httpx.Response) -> str:
    """Trello errors are short text bodies ("invalid token"), except 429's JSON."""
    try:
        body = raw.json()
    except ValueError:
        return raw.text.strip()[:200]
    if isinstance(body, dict):
        code, message = body.get("error"), body.get("message")
        return ": ".join(str(x) for x in (code, message) if x)[:200]
    return ""


def make_client(config: ConnectionConfig, *, transport: httpx.BaseTransport | None, clock: Clock | None) -> HttpClient:
    if config.key is None or config.token is None:
        raise ConfigError("a trello connection needs both `key` and `token`",
                          hint="get the API key at trello.com/power-ups/admin and generate a token for it")
    key, token = config.key.get_secret_value(), config.token.get_secret_value()
    secrets.register(key)
    secrets.register(token)
    if config.rate_limit is not None:
        budget: RateBudget = budget_for("trello", token, config.rate_limit.requests, config.rate_limit.per_seconds, clock)
    else:
        budget = budget_for("trello", token, _BURST, _PER, clock)
    return HttpClient(
        tool="trello",
        base_url=config.base_url or DEFAULT_BASE_URL,
        params={"key": key, "token": token},
        headers={"Accept": "application/json", **({"User-Agent": config.user_agent} if config.user_agent else {})},
        budget=budget,
        pacing=pacing_for("trello", token, PACING, clock),
        transport=transport,
        clock=clock,
        timeout=config.timeout,
        max_attempts=_ATTEMPTS,
        max_wait=config.max_wait,
        error_message=_error_message,
    )


class TrelloApi:
    """Reads that check the JSON type they get, and form-encoded writes (long text stays out of URLs)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _json(self, method: str, path: str, params: Mapping[str, Any] | None, data: Mapping[str, Any] | None) -> Any:
        response = self.http.request(method, path, params=params, data=_form(data))
        if not response.content:
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            raise Malformed(f"trello: the answer to {method} {path} is not JSON", status=response.status) from None

    def obj(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = self._json("GET", path, params, None)
        if not isinstance(body, dict):
            raise Malformed(f"trello: GET {path} did not return an object")
        return body

    def many(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        body = self._json("GET", path, params, None)
        if not isinstance(body, list) or not all(isinstance(x, dict) for x in body):
            raise Malformed(f"trello: GET {path} did not return a list of objects")
        return body

    def write(self, method: str, path: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = self._json(method, path, None, data)
        if isinstance(body, list) and body and isinstance(body[0], dict):
            # The spec documents POST /cards/{id}/attachments as returning a list; the API returns the object.
            body = body[0]
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise Malformed(f"trello: {method} {path} did not return an object")
        return body


def _form(data: Mapping[str, Any] | None) -> dict[str, str] | None:
    if data is None:
        return None
    out: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out
