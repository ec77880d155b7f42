"""Pulling one repository into a canonical snapshot, fully or since a cursor.

Full pull (requests for R issues+PRs, C comments, L labels, A assignees, P people):
``GET /repos/{o}/{r}`` + ceil(L/100) label pages + ceil(A/100) assignee pages +
ceil(R/100) issue pages (``state=all``) + max(1, ceil(C/100)) comment pages +
P ``GET /users/{login}`` lookups + 1 request that primes the incremental gate
(+1 more with ``poll_comments``). P counts the distinct logins among the assignable
users, the assignees of the issues kept and the authors of their comments
(:mod:`connectors.github.people` says why a full pull looks each one up again).
For 1,000 issues, 3 labels, 3 assignees, 3 people and no comments:
1 + 1 + 1 + 10 + 1 + 3 + 1 = 18.

Incremental pull: ``GET issues?state=all&sort=updated&direction=desc`` with the
ETag of the previous answer's first page in ``If-None-Match``. Any change moves
its issue to the top of that newest-first listing, so page one's ETag answers
"did anything change?" however many pages the last changes filled, and its URL
never moves, so the validator stays good from one cycle to the next. An
unchanged repository answers 304, which GitHub does not count against the
primary limit: a no-change cycle costs that one request (two with
``poll_comments``, the second one the comment listing, also a 304), after a
burst of any size too. When page one changed, pages are read until
``updated_at`` falls below the cursor's ``since``; the comments since then are
read the same way: a new comment moves its issue's ``updated_at``, so it always
shows up that way; an issue whose comment count disagrees with the snapshot has
its comments re-read (that is how deletions are seen). A login neither the
previous snapshot (its people, its comments' authors) nor the connector's
directory knows is looked up once; a no-change cycle looks nobody up.

Rich text is read once every login of the items being applied is known, so an
``@login`` of an assignee or of a comment author becomes a mention in the
issue bodies and comments of the same pull (``richtext.read`` with
:attr:`RepoPull.people`). The connector keeps those people for its writes.

An issue closed as not planned or duplicate (``archived_reasons`` of the mapping)
is no task: it goes to ``Snapshot.archived`` without subtasks or comments, from
the same listings (``state=all``), so reading it costs no request. Reopened, it
is a task again.

``since`` is the newest ``updated_at`` seen minus a margin, so a listing that
lags a little behind writes loses nothing: an item that turns up late is read
with the next change if it ranks below page one (a burst of more than 100
newer updates), at once otherwise. Reading newest first, an item updated
mid-read moves up (pages shift down, repeating an item, never skipping one)
and page one's ETag, taken before, no longer matches. Timestamps are the
server's own, so client clock skew does not matter. Issues deleted or
transferred by an admin vanish from listings without a trace; only a full pull
notices them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bridge.core.model import Attachment, Person, Snapshot
from bridge.core.ports import PullResult, PullState
from bridge.errors import Invalid, Malformed
from bridge.http import HttpClient, iter_link
from connectors.github import translate
from connectors.github.mapping import GithubMapping
from connectors.github.people import UserDirectory, bare
from connectors.github.sections import SectionStore

# 2: people carry the display name and public email; a snapshot from before has logins only, so it is re-read.
CURSOR_VERSION = 2


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
    def __init__(
        self,
        client: HttpClient,
        connection: str,
        project_id: str,
        store: SectionStore,
        mapping: GithubMapping,
        directory: UserDirectory,
    ) -> None:
        self.client = client
        self.connection = connection
        self.project_id = project_id
        self.path = f"repos/{project_id}"
        self.store = store
        self.mapping = mapping
        self.directory = directory
        # The snapshot's people and its comments' authors, by login: whom an ``@login`` can mention.
        self.met: dict[str, Person] = {}
        self.people = translate.mentions(())
        self._again = False  # a full pull looks every login up again

    # -- entry points -----------------------------------------------------------

    def run(self, state: PullState | None) -> PullResult:
        cursor = Cursor.load(state.cursor) if state else None
        if state is None or state.snapshot is None or cursor is None or cursor.sections_as != self.mapping.sections_as:
            return self.full()
        snapshot = state.snapshot.model_copy(deep=True)
        if not self.store.loaded:
            self.store.view.sections = dict(snapshot.sections)
        authors = {c.author.id: c.author for c in snapshot.comments.values() if c.author is not None}
        self._know({**authors, **snapshot.people})
        self.directory.remember(self.met.values())
        try:
            self.advance(snapshot, cursor)
        except Invalid:
            return self.full()  # GitHub refused the cursor's parameters: start over
        return PullResult(snapshot=snapshot, cursor=cursor.dump(), full=False)

    def full(self) -> PullResult:
        self.met, self._again = {}, True
        self._know({})
        repo = self.client.get_json(self.path)
        if not isinstance(repo, Mapping) or not isinstance(repo.get("name"), str):
            raise Malformed(f"github: GET /{self.path} did not return a repository")
        snapshot = Snapshot(connection=self.connection, project_id=self.project_id, project_name=repo["name"])
        snapshot.sections = self.store.load()
        assignable = [p.id for p in translate.people(iter_link(self.client, f"{self.path}/assignees", {"per_page": 100}))]
        cursor = Cursor(self.mapping.sections_as)
        listing = {"state": "all", "sort": "updated", "direction": "asc", "per_page": 100}
        issues = list(iter_link(self.client, f"{self.path}/issues", listing))
        comments = list(iter_link(self.client, f"{self.path}/issues/comments", {"per_page": 100}))
        self._meet(snapshot, issues, comments, assignable)
        snapshot.people = {login: self.met[login] for login in assignable}
        for issue in issues:
            cursor.issues_since = _later(cursor.issues_since, issue)
            self._put_issue(snapshot, issue)
        for comment in comments:
            cursor.comments_since = _later(cursor.comments_since, comment)
            self._put_comment(snapshot, comment)
        # Prime the gate: the next pull's conditional request then has an ETag to match.
        self.advance(snapshot, cursor, prime=True)
        return PullResult(snapshot=snapshot, cursor=cursor.dump(), full=True)

    # -- incremental --------------------------------------------------------------

    def advance(self, snapshot: Snapshot, cursor: Cursor, prime: bool = False) -> None:
        """Apply every change since ``cursor`` to ``snapshot``; move the cursor."""
        issues, cursor.issues_etag = self._gated(f"{self.path}/issues", cursor.issues_since, cursor.issues_etag, state="all")
        comments: list[Any] | None = None
        # Priming right after a full listing needs no comment delta: the count check below covers the gap.
        if self.mapping.poll_comments or (issues is not None and not prime):
            comments, cursor.comments_etag = self._gated(
                f"{self.path}/issues/comments", cursor.comments_since, cursor.comments_etag
            )
        self._meet(snapshot, issues or [], comments or [])
        changed: dict[int, Mapping[str, Any]] = {}
        if issues:
            if any(not translate.is_pull_request(i) and self.store.view.stale(i) for i in issues):
                snapshot.sections = self.store.load()
            for issue in issues:
                cursor.issues_since = _later(cursor.issues_since, issue)
                if self._put_issue(snapshot, issue):
                    changed[translate.issue_number(issue)] = issue
        for comment in comments or []:
            cursor.comments_since = _later(cursor.comments_since, comment)
            self._put_comment(snapshot, comment)
        for number, issue in changed.items():
            held = sum(1 for c in snapshot.comments.values() if c.task_id == str(number))
            held += sum(1 for a in snapshot.attachments.values() if a.task_id == str(number))  # link comments
            if issue.get("comments") != held:
                self._reread_comments(snapshot, number)

    def _gated(
        self, path: str, since: str | None, etag: str | None, **extra: str
    ) -> tuple[list[Any] | None, str | None]:
        """One conditional listing, newest first: ``None`` when page one answers 304, else the
        items updated since ``since`` minus the margin, oldest first, and page one's ETag."""
        params: dict[str, Any] = {**extra, "sort": "updated", "direction": "desc", "per_page": 100}
        headers = {"If-None-Match": etag} if etag else None
        first = self.client.request("GET", path, params=params, headers=headers, ok=(304,))
        if first.status == 304:
            return None, etag
        stamp = translate.parse_time(since)
        horizon = stamp - dt.timedelta(seconds=self.mapping.since_margin_seconds) if stamp else None
        items: list[Any] = []
        for item in iter_link(self.client, path, first=first):
            updated = translate.parse_time(item.get("updated_at")) if isinstance(item, Mapping) else None
            if horizon is not None and updated is not None and updated < horizon:
                break  # everything further down was read by an earlier cycle
            items.append(item)
        items.reverse()
        return items, first.headers.get("etag")

    def _reread_comments(self, snapshot: Snapshot, number: int) -> None:
        _drop_comments(snapshot, str(number))
        comments = list(iter_link(self.client, f"{self.path}/issues/{number}/comments", {"per_page": 100}))
        self._meet(snapshot, [], comments)
        for comment in comments:
            self._put_comment(snapshot, comment)

    # -- people -----------------------------------------------------------------

    def _meet(self, snapshot: Snapshot, issues: list[Any], comments: list[Any], logins: list[str] | None = None) -> None:
        """Know everyone the items about to be applied name, before any of their text is read.

        Only people who end up in the snapshot count: assignees of issues that stay tasks, authors of
        comments on them (a pull request's conversation is no task's, and its people are not looked up).
        """
        wanted = list(logins or [])
        tasks = {tid for tid in snapshot.tasks if translate.SUBTASK_SEP not in tid}
        for issue in issues:
            number = str(translate.issue_number(self._checked(issue, "issues")))
            if translate.is_pull_request(issue) or translate.is_archived(issue, self.mapping):
                tasks.discard(number)
            else:
                tasks.add(number)
                wanted += translate.assignee_logins(issue)
        for comment in comments:
            login = translate.comment_login(self._checked(comment, "issues/comments"))
            if login is not None and str(translate.comment_issue_number(comment)) in tasks:
                wanted.append(login)
        new = [login for login in dict.fromkeys(wanted) if login not in self.met]
        if new:
            self._know({**self.met, **self.directory.resolve(new, again=self._again)})

    def _know(self, people: dict[str, Person]) -> None:
        self.met = people
        self.people = translate.mentions(people.values())

    def _checked(self, item: Any, listing: str) -> Mapping[str, Any]:
        if not isinstance(item, Mapping):
            raise Malformed(f"github: an item of /{self.path}/{listing} is not an object")
        return item

    # -- applying items ---------------------------------------------------------

    def _put_issue(self, snapshot: Snapshot, issue: Any) -> bool:
        """Replace one issue's task and subtasks; False for pull requests and archived issues."""
        if not isinstance(issue, Mapping):
            raise Malformed(f"github: an item of /{self.path}/issues is not an object")
        if translate.is_pull_request(issue):
            return False
        number = str(translate.issue_number(issue))
        prefix = number + translate.SUBTASK_SEP
        for tid in [tid for tid in snapshot.tasks if tid == number or tid.startswith(prefix)]:
            del snapshot.tasks[tid]
        snapshot.archived.pop(number, None)
        if translate.is_archived(issue, self.mapping):
            # Kept apart, so a mirrored issue the client closed as not planned is reopened, not
            # duplicated. Its comments are not held; the restore moves its updated_at, and the
            # comment-count check of the next pull reads them back.
            snapshot.archived[number] = translate.archived_task(issue, self.store.view, self.people)
            _drop_comments(snapshot, number)
            return False
        for task in translate.issue_tasks(issue, self.store.view, self.people):
            snapshot.tasks[task.id] = task
        for login in translate.assignee_logins(issue):
            snapshot.people.setdefault(login, self.met.get(login) or bare(login))
        return True

    def _put_comment(self, snapshot: Snapshot, payload: Any) -> None:
        if not isinstance(payload, Mapping):
            raise Malformed(f"github: an item of /{self.path}/issues/comments is not an object")
        item = translate.link_attachment(payload) or translate.comment(payload, self.people, self.met)
        snapshot.comments.pop(item.id, None)
        snapshot.attachments.pop(item.id, None)
        # Comments of pull requests and archived issues have no task here.
        if item.task_id in snapshot.tasks:
            if isinstance(item, Attachment):
                snapshot.attachments[item.id] = item
            else:
                snapshot.comments[item.id] = item


def _drop_comments(snapshot: Snapshot, number: str) -> None:
    """Forget an issue's comments and link comments (they are about to be read again, or the issue is archived)."""
    for cid in [cid for cid, c in snapshot.comments.items() if c.task_id == number]:
        del snapshot.comments[cid]
    for aid in [aid for aid, a in snapshot.attachments.items() if a.task_id == number]:
        del snapshot.attachments[aid]


def _later(current: str | None, item: Any) -> str | None:
    stamp = item.get("updated_at") if isinstance(item, Mapping) else None
    if not isinstance(stamp, str):
        return current
    if current is None or translate.parse_time(stamp) > translate.parse_time(current):  # type: ignore[operator]
        return stamp
    return current
