"""An emulator of the GitHub REST API (2022-11-28) for a repository's issues.

It answers what the connector and people use: ``/user``, ``/users/{username}``, ``/rate_limit``,
``/repos/{o}/{r}``, issues, issue comments, labels, milestones, assignees and
repository hooks (``connectors/github/emulator/issues.py`` has the issue
routes). Behaviour follows the official description and recorded exchanges in
``tests/reference/github``:

* Link-header pagination (``per_page`` default 30, max 100) whose links point at
  ``/repositories/{id}/...`` as GitHub's do, so clients must follow them.
* ``ETag`` on every 200 GET and ``304`` on a matching ``If-None-Match``; a 304
  does not count against the primary limit.
* The primary limit: 5000 requests per hour per token, reported in
  ``x-ratelimit-limit|remaining|used|reset|resource``; over it, 403.
* The secondary limits (content-creating requests per minute and per hour,
  concurrent requests; ``secondary_limits=False`` turns them off) answer 403
  (or 429, see ``secondary_status``) with ``retry-after``.
* Errors as GitHub shapes them: 401 ``Bad credentials``, 404 ``Not Found``,
  422 ``{message, errors[], documentation_url}``.

Timestamps have whole seconds, as GitHub's do; two writes never share one
(each write is stamped at least a second after the previous), which stands
in for the time real writes take while a test's virtual clock stands still.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from bridge.clock import Clock
from connectors.emulation.toolkit import Emulator, EmuRequest, HttpError, json_response
from connectors.github.emulator.comments import CommentApi
from connectors.github.emulator.issues import IssueApi
from connectors.github.emulator.repo import RepoObjectsApi, ValidationFailed
from connectors.github.emulator.state import Hook, Issue, Label, Renderer, Repo, User
from connectors.github.emulator.webhooks import send_deliveries

DOCS = "https://docs.github.com/rest"
PRIMARY_LIMIT = 5000
PRIMARY_WINDOW = 3600.0
_ISSUES_PATH = re.compile(r"/repos/[^/]+/[^/]+/issues(/|$)")


@dataclass
class Delivery:
    """One webhook delivery as GitHub would POST it to a hook's URL."""

    hook_id: int
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Window:
    reset: float
    used: int = 0


class GithubEmulator(Emulator):
    tool = "github"
    rate_limit = None  # a request-rate bucket; pass rate_limit=(n, seconds) to turn it on
    # GitHub's documented secondary limits ("Rate limits for the REST API", docs.github.com): at most
    # 80 content-generating requests a minute and 500 an hour, and 100 concurrent requests.
    write_limits = ((80, 60.0), (500, 3600.0))
    concurrent_limits = {"all": 100}
    secondary_status = 403

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        latency: float = 0.0,
        rate_limit: tuple[float, float] | None | bool = True,
        primary_limit: int = PRIMARY_LIMIT,
        secondary_limits: bool = True,
    ) -> None:
        super().__init__(clock=clock, latency=latency, rate_limit=rate_limit, secondary_limits=secondary_limits)
        self.primary_limit = primary_limit
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        self.repos: dict[str, Repo] = {}
        self.deliveries: list[Delivery] = []
        self.delivery_sinks: list[Callable[[Delivery], None]] = []
        send_deliveries(self)  # and really send them, once the outbox is drained
        self._windows: dict[str, _Window] = {}
        # Epoch seconds = clock + offset, so x-ratelimit-reset is a real epoch a client can compare with time.time().
        self._epoch_offset = time.time() - self.clock.now()
        self._last_stamp = 0
        self.routes(
            [
                ("GET", "/user", self._get_user),
                ("GET", "/users/{username}", self._get_public_user),
                ("GET", "/rate_limit", self._rate_limit),
                ("GET", "/repos/{owner}/{repo}", self._get_repo),
                ("GET", "/repos/{owner}/{repo}/hooks", self._list_hooks),
                ("POST", "/repos/{owner}/{repo}/hooks", self._create_hook),
                ("GET", "/repos/{owner}/{repo}/hooks/{hook_id}", self._get_hook),
                ("DELETE", "/repos/{owner}/{repo}/hooks/{hook_id}", self._delete_hook),
                *CommentApi(self).table(),  # before IssueApi: /issues/{number} would match "comments"
                *IssueApi(self).table(),
                *RepoObjectsApi(self).table(),
            ]
        )

    # -- seeding (sandbox, tests) ---------------------------------------

    def add_user(
        self, login: str, token: str | None = None, *, name: str = "", email: str | None = None, kind: str = "User"
    ) -> User:
        with self.lock:
            user = self.users.get(login) or User(int(self.new_id()), login, name, email, kind)
            self.users[login] = user
            if token:
                self.tokens[token] = login
            return user

    def create_repo(
        self, owner: str, name: str, *, collaborators: list[str] | None = None, description: str | None = None
    ) -> Repo:
        with self.lock:
            if owner not in self.users:
                self.add_user(owner, kind="Organization")
            repo = Repo(int(self.new_id()), owner, name, self.stamp(), description, collaborators=set(collaborators or []))
            self.repos[repo.full_name.casefold()] = repo
            return repo

    def add_label(self, repo: Repo, name: str, color: str = "ededed") -> Label:
        with self.lock:
            label = repo.label_named(name) or Label(int(self.new_id()), name, color)
            repo.labels[label.id] = label
            return label

    def add_issue(self, repo: Repo, title: str, author: str, *, labels: Sequence[str] = (), pull_request: bool = False) -> Issue:
        """Seed an issue (or, with ``pull_request``, a pull request: they share numbering and listings)."""
        with self.lock:
            now = self.stamp()
            ids = [self.add_label(repo, name).id for name in labels]
            issue = Issue(int(self.new_id()), repo.next_number, title, author, now, now, labels=ids, pull_request=pull_request)
            repo.issues[issue.number] = issue
            repo.next_number += 1
            return issue

    def used(self, login: str) -> int:
        """Requests counted against ``login``'s primary limit in the current window."""
        return self._window(login).used

    def repo(self, full_name: str) -> Repo:
        return self.repos[full_name.casefold()]

    # -- time -------------------------------------------------------------

    def epoch(self) -> float:
        return self.clock.now() + self._epoch_offset

    def stamp(self) -> str:
        """A write's timestamp: now, but never the same second as the previous write."""
        with self.lock:
            self._last_stamp = max(int(self.epoch()), self._last_stamp + 1)
            return datetime.fromtimestamp(self._last_stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- toolkit hooks ------------------------------------------------------

    def authenticate(self, request: EmuRequest) -> str | None:
        return self._login_for(request.headers.get("authorization"))

    def _login_for(self, header: str | None) -> str | None:
        match = re.fullmatch(r"(?i)(?:bearer|token)\s+(\S+)", (header or "").strip())
        if not match:
            return None
        found = self.tokens.get(match.group(1))
        return found if found or self.oauth is None else self.oauth.user_for(match.group(1))

    def strip_prefix(self, path: str) -> str:
        # Link headers point at /repositories/{id}/...; route them like /repos/{owner}/{repo}/...
        match = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        if match:
            with self.lock:
                repo = next((r for r in self.repos.values() if str(r.id) == match.group(1)), None)
            if repo:
                return f"/repos/{repo.full_name}{match.group(2) or ''}"
        return path

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
        if status == 401:
            message = "Bad credentials"
        return json_response(status, {"message": message, "documentation_url": DOCS}, headers)

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        return self.error_response(
            self.secondary_status,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            {"retry-after": str(max(1, round(retry_after)))},
        )

    def add_route(self, method: str, pattern: str, handler: Callable[[EmuRequest], httpx.Response]) -> None:
        super().add_route(method, pattern, self._guarded(handler))

    def _guarded(self, handler: Callable[[EmuRequest], httpx.Response]) -> Callable[[EmuRequest], httpx.Response]:
        def run(req: EmuRequest) -> httpx.Response:
            if req.user and req.path != "/rate_limit" and self._window(req.user).used >= self.primary_limit:
                raise HttpError(403, f"API rate limit exceeded for user ID {self.users[req.user].id}.")
            try:
                response = handler(req)
            except ValidationFailed as err:
                return json_response(422, {"message": err.message, "errors": err.errors, "documentation_url": DOCS})
            if req.method == "GET" and response.status_code == 200:
                digest = hashlib.sha256(response.content + response.headers.get("link", "").encode()).hexdigest()[:32]
                etag = f'W/"{digest}"'
                wanted = [t.strip() for t in req.headers.get("if-none-match", "").split(",")]
                if etag in wanted:
                    return httpx.Response(304, headers={"etag": etag})
                response.headers["etag"] = etag
                response.headers["cache-control"] = "private, max-age=60, s-maxage=60"
            return response

        return run

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        login = self._login_for(request.headers.get("authorization"))
        if login is None:
            return response
        with self.lock:
            window = self._window(login)
            # Conditional requests answered 304 and /rate_limit do not count (GitHub docs).
            if response.status_code != 304 and request.url.path != "/rate_limit":
                window.used += 1
            used = min(window.used, self.primary_limit)
            response.headers.update(
                {
                    "x-ratelimit-limit": str(self.primary_limit),
                    "x-ratelimit-remaining": str(self.primary_limit - used),
                    "x-ratelimit-used": str(used),
                    "x-ratelimit-reset": str(int(window.reset)),
                    "x-ratelimit-resource": "core",
                    "x-github-api-version-selected": "2022-11-28",
                }
            )
        return response

    def _window(self, login: str) -> _Window:
        with self.lock:
            now = self.epoch()
            window = self._windows.get(login)
            if window is None or now >= window.reset:
                window = self._windows[login] = _Window(now + PRIMARY_WINDOW)
            return window

    # -- shared pieces for handlers ----------------------------------------

    def renderer(self, req: EmuRequest) -> Renderer:
        return Renderer(req.base_url or self.base_url, self.users)

    def repo_for(self, req: EmuRequest) -> Repo:
        repo = self.repos.get(f"{req.path_params['owner']}/{req.path_params['repo']}".casefold())
        if repo is None or (repo.private and req.user not in repo.collaborators):
            raise HttpError(404, "Not Found")
        if not repo.has_issues and _ISSUES_PATH.search(req.path):
            # GitHub's answer on every issue and issue-comment endpoint of such a repository (documented 410 Gone).
            raise HttpError(410, "Issues are disabled for this repo")
        return repo

    def issue_for(self, req: EmuRequest) -> tuple[Repo, Issue]:
        """The repository and issue (or pull request) ``{number}`` of the request names; 404 otherwise."""
        repo = self.repo_for(req)
        raw = req.path_params["number"]
        issue = repo.issues.get(int(raw)) if raw.isdigit() else None
        if issue is None:
            raise HttpError(404, "Not Found")
        return repo, issue

    def paginate(self, req: EmuRequest, items: list[Any], repo: Repo | None = None) -> httpx.Response:
        try:
            per_page = min(100, max(1, int(req.query.get("per_page", ["30"])[-1])))
            page = max(1, int(req.query.get("page", ["1"])[-1]))
        except ValueError:
            raise ValidationFailed([{"resource": "Search", "code": "invalid", "field": "per_page"}]) from None
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        path = req.path
        if repo is not None:
            path = re.sub(r"^/repos/[^/]+/[^/]+", f"/repositories/{repo.id}", path)
        base = f"{req.base_url or self.base_url}{path}"
        query = [(k, v) for k, values in req.query.items() if k != "page" for v in values]

        def link(n: int, rel: str) -> str:
            return f'<{base}?{urllib.parse.urlencode([*query, ("page", str(n))])}>; rel="{rel}"'

        rels = []
        if page > 1:
            rels.append(link(page - 1, "prev"))
        if page < last:
            rels += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            rels.append(link(1, "first"))
        return json_response(200, chunk, {"link": ", ".join(rels)} if rels else None)

    def emit(self, req: EmuRequest, repo: Repo, event: str, action: str | None, payload: dict[str, Any]) -> None:
        """Queue a signed delivery for every active hook of ``repo`` that subscribes to ``event``."""
        hooks = [h for h in repo.hooks.values() if h.active and (event in h.events or "*" in h.events or event == "ping")]
        if not hooks:
            return
        render = self.renderer(req)
        body = {
            **({"action": action} if action else {}),
            **payload,
            "repository": render.repository(repo, repo.created_at),
            "sender": render.user(req.user or repo.owner),
        }
        raw = json.dumps(body).encode()
        for hook in hooks:
            headers = {
                "user-agent": "GitHub-Hookshot/emulator",
                "x-github-event": event,
                "x-github-delivery": str(uuid.uuid4()),
                "x-github-hook-id": str(hook.id),
                "content-type": "application/json",
            }
            secret = hook.config.get("secret")
            if secret:
                headers["x-hub-signature-256"] = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            delivery = Delivery(hook.id, hook.config.get("url", ""), headers, raw)
            self.deliveries.append(delivery)
            for sink in self.delivery_sinks:
                sink(delivery)

    # -- account and repository ------------------------------------------

    def _get_user(self, req: EmuRequest) -> httpx.Response:
        assert req.user
        return json_response(200, self.renderer(req).private_user(req.user, "2020-01-01T00:00:00Z"))

    def _get_public_user(self, req: EmuRequest) -> httpx.Response:
        # Logins are case-insensitive on GitHub; the answer spells the login as the account does.
        wanted = req.path_params["username"].casefold()
        login = next((login for login in self.users if login.casefold() == wanted), None)
        if login is None:
            raise HttpError(404, "Not Found")
        return json_response(200, self.renderer(req).public_user(login, "2020-01-01T00:00:00Z"))

    def _rate_limit(self, req: EmuRequest) -> httpx.Response:
        assert req.user
        window = self._window(req.user)
        core = {
            "limit": self.primary_limit,
            "remaining": max(0, self.primary_limit - window.used),
            "reset": int(window.reset),
            "used": min(window.used, self.primary_limit),
        }
        other = {"limit": 5000, "remaining": 5000, "reset": int(window.reset), "used": 0}
        search = {"limit": 30, "remaining": 30, "reset": int(self.epoch() + 60), "used": 0}
        return json_response(200, {"resources": {"core": core, "search": search, "graphql": other}, "rate": core})

    def _get_repo(self, req: EmuRequest) -> httpx.Response:
        repo = self.repo_for(req)
        updated = max([repo.created_at, *(i.updated_at for i in repo.issues.values())])
        return json_response(200, self.renderer(req).repository(repo, updated))

    # -- hooks ------------------------------------------------------------

    def _list_hooks(self, req: EmuRequest) -> httpx.Response:
        repo = self.repo_for(req)
        render = self.renderer(req)
        return self.paginate(req, [render.hook(repo, h) for h in repo.hooks.values()], repo)

    def _create_hook(self, req: EmuRequest) -> httpx.Response:
        repo = self.repo_for(req)
        body = req.json_body() or {}
        config = body.get("config")
        if not isinstance(config, dict) or not isinstance(config.get("url"), str):
            raise ValidationFailed([{"resource": "Hook", "code": "custom", "message": "Config must contain a url"}])
        if body.get("name", "web") != "web":
            raise ValidationFailed([{"resource": "Hook", "code": "invalid", "field": "name"}])
        events = body.get("events") or ["push"]
        now = self.stamp()
        hook = Hook(
            int(self.new_id()),
            [str(e) for e in events],
            {k: str(v) for k, v in config.items()},
            now,
            now,
            bool(body.get("active", True)),
        )
        repo.hooks[hook.id] = hook
        rendered = self.renderer(req).hook(repo, hook)
        self.emit(req, repo, "ping", None, {"zen": "Keep it logically awesome.", "hook_id": hook.id, "hook": rendered})
        return json_response(201, rendered, {"location": rendered["url"]})

    def _hook(self, req: EmuRequest) -> tuple[Repo, Hook]:
        repo = self.repo_for(req)
        hook = repo.hooks.get(int(req.path_params["hook_id"])) if req.path_params["hook_id"].isdigit() else None
        if hook is None:
            raise HttpError(404, "Not Found")
        return repo, hook

    def _get_hook(self, req: EmuRequest) -> httpx.Response:
        repo, hook = self._hook(req)
        return json_response(200, self.renderer(req).hook(repo, hook))

    def _delete_hook(self, req: EmuRequest) -> httpx.Response:
        repo, hook = self._hook(req)
        del repo.hooks[hook.id]
        return httpx.Response(204)
