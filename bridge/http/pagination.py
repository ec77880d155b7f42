"""Pagination helpers: offset tokens (Asana) and RFC 5988 Link headers (GitHub, Basecamp)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from bridge.errors import Malformed
from bridge.http.client import HttpClient, Response

_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    return {rel: url for url, rels in _LINK.findall(value) for rel in rels.split()}


def iter_offset(
    client: HttpClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    items: Callable[[Any], list[Any]] = lambda body: body["data"],
    next_token: Callable[[Any], str | None] = lambda body: (body.get("next_page") or {}).get("offset"),
    token_param: str = "offset",
) -> Iterator[Any]:
    """Yield every item across pages; a repeated page token is an API fault, not a loop."""
    params = dict(params or {})
    seen: set[str] = set()
    while True:
        body = client.get_json(path, params=params)
        try:
            page = items(body)
            token = next_token(body)
        except (KeyError, TypeError, AttributeError) as exc:
            raise Malformed(f"{client.tool}: page of {path} lacks the documented fields ({exc})") from None
        if not isinstance(page, list):
            raise Malformed(f"{client.tool}: page of {path} is not a list")
        yield from page
        if not token:
            return
        if token in seen:
            raise Malformed(f"{client.tool}: pagination of {path} repeated a page token; stopped")
        seen.add(token)
        params[token_param] = token


def iter_link(
    client: HttpClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    items: Callable[[Any], list[Any]] = lambda body: body,
    first: Response | None = None,
) -> Iterator[Any]:
    """Follow ``Link: rel="next"`` without building page URLs ourselves."""
    response = first or client.request("GET", path, params=params)
    # The first page counts as seen, so a "next" link pointing back to it stops before yielding it twice.
    seen: set[str] = {response.url}
    while True:
        page = items(response.json())
        if not isinstance(page, list):
            raise Malformed(f"{client.tool}: page of {path} is not a list")
        yield from page
        nxt = parse_link_header(response.headers.get("link")).get("next")
        if not nxt:
            return
        if nxt in seen:
            raise Malformed(f"{client.tool}: pagination of {path} repeated a page link; stopped")
        seen.add(nxt)
        response = client.request("GET", nxt)
