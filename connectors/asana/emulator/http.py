"""What every Asana emulator route shares: auth, error bodies, envelopes, opt_fields, pagination.

Error bodies and the 429 are the reference's (``examples/error_*.json``):
``{"errors": [{"message": ...}]}``, with a ``phrase`` on 5xx and
``Retry-After`` on 429.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import itertools
import secrets
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx

from bridge.clock import Clock
from connectors.asana.emulator.feed import EventFeed
from connectors.asana.emulator.records import (
    decode_offset,
    encode_offset,
    field_tree,
    project_full,
    section_full,
    select,
    tag_full,
    task_full,
    user_full,
)
from connectors.asana.emulator.store import AsanaStore
from connectors.asana.emulator.tasks import TaskWrites
from connectors.asana.limits import EMULATED
from connectors.emulation import Emulator, EmuRequest, HttpError
from connectors.emulation.files import FileVault
from connectors.emulation.limits import enforce
from connectors.emulation.toolkit import json_response

T = TypeVar("T")
PREFIX = "/api/1.0"
# Uploads are served outside the API, as Asana's download_url points at a file host: a signed link
# that needs no token (docs/files.md). Asana takes files up to 100 MB.
APP_FILES = "/_files"
FILE_LIMIT = 100 * 1024 * 1024
RATE_LIMITED = "You've made too many requests and hit a rate limit. Please retry after the given amount of time."
# Unpaginated Asana queries are truncated at about 1,000 objects.
UNPAGINATED_CAP = 1000
_COLLECTIONS = {"task": "tasks", "section": "sections", "story": "stories", "tag": "tags", "project": "projects"}
_PHRASES = itertools.cycle(["6 sad squid snuggle softly", "3 tired tigers tiptoe twice", "9 brave badgers bake bread"])


def _too_long(name: str, limit: int) -> HttpError:
    # Asana's 400 envelope and its "field: problem" message style (no documented wording for this case).
    return HttpError(400, f"{name}: Value is too long (the maximum is {limit} characters)")


class AsanaApi(Emulator):
    tool = "asana"
    # Premium domains: 1500 requests per minute per token (docs/_rate-limits).
    rate_limit = (1500.0, 60.0)
    # "Concurrent request limits" (same page): 50 reads and 15 writes in flight at once, counted apart.
    concurrent_limits = {"read": 50, "write": 15}

    def __init__(
        self, *, clock: Clock | None = None, latency: float = 0.0, rate_limit: tuple[float, float] | None | bool = True
    ) -> None:
        super().__init__(clock=clock, latency=latency, rate_limit=rate_limit)
        self.base_url = "https://asana.emulator.invalid" + PREFIX
        self.feed = EventFeed(self.clock)
        self.store = AsanaStore(self.clock, self.feed)
        self.task_writes = TaskWrites(self.store)
        self.vault = FileVault()
        self._file_secret = secrets.token_bytes(16)

    # -- toolkit hooks ---------------------------------------------------------------

    def strip_prefix(self, path: str) -> str:
        return path[len(PREFIX) :] or "/" if path.startswith(PREFIX) else path

    def file_signature(self, key: str) -> str:
        return hmac.new(self._file_secret, key.encode(), hashlib.sha256).hexdigest()[:32]

    def authenticate(self, request: EmuRequest) -> str | None:
        if request.path.startswith(APP_FILES + "/"):
            # A signed file link: the signature is the credential, whoever holds the link.
            key = request.path.split("/")[2]
            signature = request.query.get("X-Amz-Signature", [""])[-1]
            return "file-host" if hmac.compare_digest(signature, self.file_signature(key)) else None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        found = self.store.tokens.get(token.strip())
        return found if found or self.oauth is None else self.oauth.user_for(token.strip())

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
        error: dict[str, str] = {"message": message}
        if status >= 500:
            error["phrase"] = next(_PHRASES)
        return json_response(status, {"errors": [error]}, headers)

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        return self.error_response(429, RATE_LIMITED, {"retry-after": str(max(1, round(retry_after)))})

    # -- request helpers ---------------------------------------------------------------

    def data(self, req: EmuRequest) -> dict[str, Any]:
        body = req.json_body()
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise HttpError(400, "data: Missing input")
        texts = {name: value for name, value in body["data"].items() if isinstance(value, str)}
        enforce(texts, EMULATED, _too_long)
        return body["data"]

    def form(self, req: EmuRequest) -> dict[str, str]:
        """Fields of a multipart/form-data body (POST /attachments)."""
        ctype = req.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise HttpError(400, "file: Attachments must be sent as multipart/form-data")
        raw = f"Content-Type: {ctype}\r\n\r\n".encode() + req.body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = payload.decode()
        return fields

    def query(self, req: EmuRequest, name: str, required: bool = False) -> str | None:
        values = req.query.get(name)
        if not values or not values[-1]:
            if required:
                raise HttpError(400, f"{name}: Missing input")
            return None
        return values[-1]

    def me(self, req: EmuRequest) -> str:
        assert req.user is not None  # the toolkit answers 401 before any handler runs
        return req.user

    def expand(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        """The full record behind an embedded reference, for opt_fields paths that reach into it."""
        store, gid = self.store, str(ref.get("gid"))
        kind = ref.get("resource_type")
        if kind == "user" and gid in store.users:
            return user_full(store, store.users[gid])
        if kind == "task" and gid in store.tasks:
            return task_full(store, store.tasks[gid])
        if kind == "section" and gid in store.sections:
            return section_full(store, store.sections[gid])
        if kind == "project" and gid in store.projects:
            return project_full(store, store.projects[gid])
        if kind == "tag" and gid in store.tags:
            return tag_full(store, store.tags[gid])
        return None

    def _tree(self, req: EmuRequest) -> dict[str, Any] | None:
        opt = self.query(req, "opt_fields")
        if opt is None:
            body = req.json_body() if req.method in ("POST", "PUT") else None
            fields = body.get("options", {}).get("fields") if isinstance(body, dict) else None
            opt = ",".join(fields) if isinstance(fields, list) else None
        return field_tree(opt) if opt else None

    # -- responses ---------------------------------------------------------------------

    def one(self, req: EmuRequest, record: dict[str, Any], status: int = 200) -> httpx.Response:
        tree = self._tree(req)
        headers = {}
        if status == 201 and "gid" in record:
            collection = _COLLECTIONS.get(str(record.get("resource_type")), "objects")
            headers["location"] = f"{req.base_url}{PREFIX}/{collection}/{record['gid']}"
        return json_response(status, {"data": select(record, tree, self.expand) if tree else record}, headers)

    def empty(self) -> httpx.Response:
        return json_response(200, {"data": {}})

    def page(
        self,
        req: EmuRequest,
        items: Sequence[T],
        full: Callable[[T], dict[str, Any]],
        compact: Callable[[T], dict[str, Any]],
    ) -> httpx.Response:
        """A list response: compact records unless opt_fields asks, offset pages when ``limit`` is given."""
        tree = self._tree(req)

        def render(item: T) -> dict[str, Any]:
            return select(full(item), tree, self.expand) if tree else compact(item)

        limit_arg = self.query(req, "limit")
        if limit_arg is None:
            return json_response(200, {"data": [render(i) for i in items[:UNPAGINATED_CAP]]})
        try:
            limit = int(limit_arg)
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            raise HttpError(400, "limit: The value must be between 1 and 100")
        offset = self.query(req, "offset")
        start = decode_offset(req.path, offset) if offset else 0
        chunk = items[start : start + limit]
        next_page = None
        if start + limit < len(items):
            token = encode_offset(req.path, start + limit)
            params = {k: v[-1] for k, v in req.query.items() if k != "offset"} | {"offset": token}
            path = f"{req.path}?{urllib.parse.urlencode(params)}"
            next_page = {"offset": token, "path": path, "uri": f"{req.base_url}{PREFIX}{path}"}
        return json_response(200, {"data": [render(i) for i in chunk], "next_page": next_page})
