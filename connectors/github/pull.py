"""Pulling one repository into a canonical snapshot, fully or since a cursor.

Full pull (requests for R issues+PRs, C comments, L labels, A assignees):
``GET /repos/{o}/{r}`` + ceil(L/100) label pages + ceil(A/100) assignee pages +
ceil(R/100) issue pages (``state=all``) + max(1, ceil(C/100)) comment pages +
1 request that primes the incremental gate (+1 more with ``poll_comments``).
For 1,000 issues, 3 labels, 3 assignees and no comments: 1 + 1 + 1 + 10 + 1 + 1 = 15.

Incremental pull: ``GET issues?state=all&sort=updated&direction=asc&since=…``
with the ETag of the previous answer in ``If-None-Match``. An unchanged
repository answers 304, which GitHub does not count against the primary limit:
a no-change cycle costs that one request (two with ``poll_comments``, the
second one the comment listing, also a 304). When issues changed, the comments
``since`` the cursor are read too: a new comment moves its issue's
``updated_at``, so it always shows up that way; an issue whose comment count
disagrees with the snapshot has its comments re-read (that is how deletions
are seen).

``since`` is the newest ``updated_at`` seen minus a margin, so a listing that
lags a little behind writes loses nothing. Timestamps are the server's own, so
client clock skew does not matter. Issues deleted or transferred by an admin
vanish from listings without a trace; only a full pull notices them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bridge.errors import Invalid, Malformed
from bridge.http import HttpClient, iter_link, parse_link_header
from bridge.model import Person, Snapshot
from connectors.base import PullResult, PullState
from connectors.github import translate
from connectors.github.mapping import GithubMapping
from connectors.github.sections import SectionStore

CURSOR_VERSION = 1


@dataclass
class Cursor:
    sections_as: str
    issues_since: str | None = None
    issues_etag: str | None = None
    comments_since: str | None = None
    comments_etag: str | None = None

    def dump(self) -> str:
        return json.dumps({"v": CURSOR_VERSION, **asdict(self)}, sort_keys=True)

    @classmethod
    def load(cls, raw: str | None) -> Cursor | None:
        try:
            data = json.loads(raw or "")
            if data.pop("v") != CURSOR_VERSION:
                return None
            cursor = cls(**data)
            for stamp in (cursor.issues_since, cursor.comments_since):
                if stamp is not None:
                    translate.parse_time(stamp)
            return cursor
        except (ValueError, TypeError, KeyError, AttributeError, Malformed):
            return None


class RepoPull:
    def __init__(self, client: HttpClient, connection: str, project_id: str, store: SectionStore, mapping: GithubMapping) -> None:
        self.client = client
        self.connection = connection
        self.project_id = project_id
        self.path = f"repos/{project_id}"
        self.store = store
        self.mapping = mapping

    # -- entry points -----------------------------------------------------------

    def run(self, state: PullState | None) -> PullResult:
        cursor = Cursor.load(state.cursor) if state else None
        if state is None or state.snapshot is None or cursor is None or cursor.sections_as != self.mapping.sections_as:
            return self.full()
        snapshot = state.snapshot.model_copy(deep=True)
        if not self.store.loaded:
            self.store.view.sections = dict(snapshot.sections)
        try:
            self.advance(snapshot, cursor)
        except Invalid:
            return self.full()  # GitHub refused the cursor's parameters: start over
        return PullResult(snapshot=snapshot, cursor=cursor.dump(), full=False)

    def full(self) -> PullResult:
        repo = self.client.get_json(self.path)
        if not isinstance(repo, Mapping) or not isinstance(repo.get("name"), str):
            raise Malformed(f"github: GET /{self.path} did not return a repository")
        snapshot = Snapshot(connection=self.connection, project_id=self.project_id, project_name=repo["name"])
        snapshot.sections = self.store.load()
        snapshot.people = {p.id: p for p in translate.people(iter_link(self.client, f"{self.path}/assignees", {"per_page": 100}))}
        cursor = Cursor(self.mapping.sections_as)
        listing = {"state": "all", "sort": "updated", "direction": "asc", "per_page": 100}
        for issue in iter_link(self.client, f"{self.path}/issues", listing):
            cursor.issues_since = _later(cursor.issues_since, issue)
            self._put_issue(snapshot, issue)
        for comment in iter_link(self.client, f"{self.path}/issues/comments", {"per_page": 100}):
            cursor.comments_since = _later(cursor.comments_since, comment)
            self._put_comment(snapshot, comment)
        # Prime the gate: the next pull's conditional request then has an ETag to match.
        self.advance(snapshot, cursor, prime=True)
        return PullResult(snapshot=snapshot, cursor=cursor.dump(), full=True)

    # -- incremental --------------------------------------------------------------

    def advance(self, snapshot: Snapshot, cursor: Cursor, prime: bool = False) -> None:
        """Apply every change since ``cursor`` to ``snapshot``; move the cursor."""
        issues, cursor.issues_etag = self._gated(
            f"{self.path}/issues", self._params(cursor.issues_since, state="all"), cursor.issues_etag
        )
        changed: dict[int, Mapping[str, Any]] = {}
        if issues:
            if any(not translate.is_pull_request(i) and self.store.view.stale(i) for i in issues):
                snapshot.sections = self.store.load()
            for issue in issues:
                cursor.issues_since = _later(cursor.issues_since, issue)
                if self._put_issue(snapshot, issue):
                    changed[translate.issue_number(issue)] = issue
        # Priming right after a full listing needs no comment delta: the count check below covers the gap.
        if self.mapping.poll_comments or (issues is not None and not prime):
            comments, cursor.comments_etag = self._gated(
                f"{self.path}/issues/comments", self._params(cursor.comments_since), cursor.comments_etag
            )
            for comment in comments or []:
                cursor.comments_since = _later(cursor.comments_since, comment)
                self._put_comment(snapshot, comment)
        for number, issue in changed.items():
            held = sum(1 for c in snapshot.comments.values() if c.task_id == str(number))
            if issue.get("comments") != held:
                self._reread_comments(snapshot, number)

    def _params(self, since: str | None, **extra: str) -> dict[str, Any]:
        params: dict[str, Any] = {**extra, "sort": "updated", "direction": "asc", "per_page": 100}
        stamp = translate.parse_time(since)
        if stamp is not None:
            params["since"] = translate.format_time(stamp - dt.timedelta(seconds=self.mapping.since_margin_seconds))
        return params

    def _gated(self, path: str, params: dict[str, Any], etag: str | None) -> tuple[list[Any] | None, str | None]:
        """One conditional listing: ``None`` when GitHub answers 304, else every page's items."""
        headers = {"If-None-Match": etag} if etag else None
        first = self.client.request("GET", path, params=params, headers=headers, ok=(304,))
        if first.status == 304:
            return None, etag
        items = list(iter_link(self.client, path, first=first))
        # The ETag covers page one only: with more pages, a change further on would hide behind a 304.
        single = "next" not in parse_link_header(first.headers.get("link"))
        return items, first.headers.get("etag") if single else None

    def _reread_comments(self, snapshot: Snapshot, number: int) -> None:
        for cid in [cid for cid, c in snapshot.comments.items() if c.task_id == str(number)]:
            del snapshot.comments[cid]
        for comment in iter_link(self.client, f"{self.path}/issues/{number}/comments", {"per_page": 100}):
            self._put_comment(snapshot, comment)

    # -- applying items ---------------------------------------------------------

    def _put_issue(self, snapshot: Snapshot, issue: Any) -> bool:
        """Replace one issue's task and subtasks; False for pull requests."""
        if not isinstance(issue, Mapping):
            raise Malformed(f"github: an item of /{self.path}/issues is not an object")
        if translate.is_pull_request(issue):
            return False
        number = str(translate.issue_number(issue))
        prefix = number + translate.SUBTASK_SEP
        for tid in [tid for tid in snapshot.tasks if tid == number or tid.startswith(prefix)]:
            del snapshot.tasks[tid]
        if translate.is_archived(issue, self.mapping):
            for cid in [cid for cid, c in snapshot.comments.items() if c.task_id == number]:
                del snapshot.comments[cid]
            return False
        for task in translate.issue_tasks(issue, self.store.view):
            snapshot.tasks[task.id] = task
        for login in translate.assignee_logins(issue):
            snapshot.people.setdefault(login, Person(id=login, name=login, username=login))
        return True

    def _put_comment(self, snapshot: Snapshot, payload: Any) -> None:
        if not isinstance(payload, Mapping):
            raise Malformed(f"github: an item of /{self.path}/issues/comments is not an object")
        comment = translate.comment(payload)
        # Comments of pull requests and archived issues have no task here.
        if comment.task_id in snapshot.tasks:
            snapshot.comments[comment.id] = comment
        else:
            snapshot.comments.pop(comment.id, None)


def _later(current: str | None, item: Any) -> str | None:
    stamp = item.get("updated_at") if isinstance(item, Mapping) else None
    if not isinstance(stamp, str):
        return current
    if current is None or translate.parse_time(stamp) > translate.parse_time(current):  # type: ignore[operator]
        return stamp
    return current
