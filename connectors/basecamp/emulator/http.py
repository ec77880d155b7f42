"""Basecamp's HTTP conventions in the emulator: paging, caching headers, errors, rich-text cleaning.

- Pagination: ``Link: <…?page=N>; rel="next"`` and ``X-Total-Count``; pages are
  50 long, or geared 15/30/50/100 as the README describes.
- Caching: every GET answer carries an ``ETag`` (a digest of what it returns);
  single resources also carry ``Last-Modified``. ``If-None-Match`` (or, without
  it, ``If-Modified-Since``) that still matches gets ``304`` with no body.
- Rich text: only ``div h1 br strong em strike a pre ol ul li blockquote`` (and
  ``bc-attachment``) survive; other tags are removed and their text kept. A
  ``bc-attachment`` keeps only its ``sgid`` (and ``caption``): what is inside it is
  Basecamp's rendering of the attachable, redone on every answer (emulator_render.py).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import html
import json
import urllib.parse
from html.parser import HTMLParser
from typing import Any

import httpx

from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.limits import enforce
from connectors.emulation.toolkit import EmuRequest, HttpError

PAGE_SIZE = 50
GEARS = (15, 30, 50, 100)
ALLOWED_TAGS = frozenset({"div", "h1", "br", "strong", "em", "strike", "a", "pre", "ol", "ul", "li", "blockquote",
                          "bc-attachment"})
_VOID = frozenset({"br"})


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": message} if status != 404 else {"error": "Not Found", "message": message}


def page_bounds(page: int, geared: bool) -> tuple[int, int]:
    """Offset and length of a 1-based page."""
    if not geared:
        return (page - 1) * PAGE_SIZE, PAGE_SIZE
    offset = sum(GEARS[min(n, len(GEARS) - 1)] for n in range(page - 1))
    return offset, GEARS[min(page - 1, len(GEARS) - 1)]


def requested_page(req: EmuRequest) -> int:
    raw = (req.query.get("page") or ["1"])[-1]
    try:
        page = int(raw)
    except ValueError:
        raise HttpError(400, "page must be a positive integer") from None
    if page < 1:
        raise HttpError(400, "page must be a positive integer")
    return page


def paginate(req: EmuRequest, items: list[dict[str, Any]], *, geared: bool = False) -> httpx.Response:
    page = requested_page(req)
    offset, size = page_bounds(page, geared)
    window = items[offset:offset + size]
    headers = {"X-Total-Count": str(len(items))}
    if offset + size < len(items):
        query = {k: v[-1] for k, v in req.query.items()}
        query["page"] = str(page + 1)
        headers["Link"] = f'<{req.base_url}/{ACCOUNT_ID}{req.path}?{urllib.parse.urlencode(query)}>; rel="next"'
    return respond(req, window, headers=headers)


def respond(req: EmuRequest, body: Any, *, status: int = 200, headers: dict[str, str] | None = None,
            modified: dt.datetime | None = None) -> httpx.Response:
    """A JSON answer; a GET whose validators still match answers 304 instead."""
    content = json.dumps(body).encode()
    out = {"content-type": "application/json; charset=utf-8", **(headers or {})}
    if req.method == "GET" and status == 200:
        digest = hashlib.md5(content + out.get("Link", "").encode() + out.get("X-Total-Count", "").encode()).hexdigest()
        etag = f'W/"{digest}"'
        out["ETag"] = etag
        if modified is not None:
            out["Last-Modified"] = email.utils.format_datetime(modified.astimezone(dt.UTC), usegmt=True)
        if _not_modified(req, etag, modified):
            kept = {k: v for k, v in out.items() if k in ("ETag", "Last-Modified")}
            return httpx.Response(304, headers=kept)
    return httpx.Response(status, content=content, headers=out)


def no_content() -> httpx.Response:
    return httpx.Response(204)


def _not_modified(req: EmuRequest, etag: str, modified: dt.datetime | None) -> bool:
    match = req.headers.get("if-none-match")
    if match is not None:
        return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
    since = req.headers.get("if-modified-since")
    if since and modified is not None:
        try:
            when = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return modified.replace(microsecond=0) <= when
    return False


# -- request bodies -----------------------------------------------------------


def body_of(req: EmuRequest) -> dict[str, Any]:
    body = req.json_body()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise HttpError(400, "the request body must be a JSON object")
    return body


def too_long(name: str, limit: int) -> HttpError:
    # Basecamp answers a record it cannot save with 422 and the reason, as for a blank field below.
    return HttpError(422, f"{name} is too long (maximum is {limit} characters)")


def check_lengths(body: dict[str, Any], limits: dict[str, int]) -> None:
    """Refuse text over the limits of connectors/basecamp/limits.py, as Basecamp would."""
    enforce({name: value for name, value in body.items() if isinstance(value, str)}, limits, too_long)


def required_text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise HttpError(422, f"{name} can't be blank")
    return value


def optional_day(body: dict[str, Any], name: str) -> dt.date | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise HttpError(422, f"{name} is not a date (YYYY-MM-DD)") from None


def id_list(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise HttpError(422, f"{name} must be an array of person ids")
    out: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit():
            raise HttpError(422, f"{name} must be an array of person ids")
        out.append(int(item))
    return out


def path_id(req: EmuRequest, name: str = "id") -> int:
    raw = req.path_params.get(name, "")
    if not raw.isdigit():
        raise HttpError(404, "Not Found")
    return int(raw)


# -- rich text ------------------------------------------------------------------


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.inside_attachment = 0  # depth inside a <bc-attachment sgid=..>, whose content is not kept

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.inside_attachment:
            self.inside_attachment += tag == "bc-attachment"
            return
        if tag not in ALLOWED_TAGS:
            return
        kept = [(k, v) for k, v in attrs if (tag == "a" and k == "href") or (tag == "bc-attachment" and k in ("sgid", "caption"))]
        rendered = "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in kept)
        self.out.append(f"<{tag}{rendered}>")
        if tag == "bc-attachment" and dict(attrs).get("sgid"):
            self.inside_attachment = 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.inside_attachment:
            return
        self.handle_starttag(tag, attrs)
        if tag in ALLOWED_TAGS and tag not in _VOID:
            self.inside_attachment = 0
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if self.inside_attachment:
            self.inside_attachment -= tag == "bc-attachment"
            if self.inside_attachment:
                return
        if tag in ALLOWED_TAGS and tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.inside_attachment:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self.inside_attachment:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self.inside_attachment:
            self.out.append(f"&#{name};")


def sanitize(rich_text: str) -> str:
    """Keep the allowed tags (``a`` with ``href`` only); drop any other tag but keep its text."""
    parser = _Sanitizer()
    parser.feed(rich_text)
    parser.close()
    if parser.inside_attachment:
        parser.out.append("</bc-attachment>")
    return "".join(parser.out)
