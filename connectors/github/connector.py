"""The GitHub connector: one repository's issues as a project.

Ids: a task is an issue number ("12"); a subtask is "<number>#<key>" (a line of
the body's task list, see :mod:`connectors.github.tasklist`); a section is a
label id (or milestone number); a comment is the comment id; a person is a
login, named by their display name and public email (``GET /users/{username}``,
see :mod:`connectors.github.people`). Pull requests share the issue listing and
are skipped.

Mentions: issue bodies and comments are read and written with the people of the
project's last pull (its assignable users, assignees and comment authors), so
``@login`` of someone known reads as a canonical mention and a mention of them
is written back as ``@login``; anyone else's mention is written as their name.

Removal: ``archive`` closes the issue as ``not_planned`` (reopening restores
it). GitHub's REST API cannot delete issues, so ``delete`` closes as
``not_planned`` and locks the conversation; an admin can delete it by hand.

Restore: an issue closed as not planned or duplicate is read into
``Snapshot.archived``; ``{"archived": False}`` reopens it (``state_reason``
``reopened``), the same issue with its comments. With ``done`` true as well (the
internal task is done) it ends closed as completed: GitHub ignores a
``state_reason`` unless the state changes, so that takes a reopen and a close.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from bridge import richtext, secrets
from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.core.model import Attachment, Comment, Section, Task
from bridge.core.ops import ARCHIVED
from bridge.core.ports import Capabilities, CheckResult, NewTask, PullResult, PullState, Removal
from bridge.errors import ConfigError, Invalid, Malformed, NotFound
from bridge.http import HttpClient, PacingPolicy, RequestStats, budget_for, pacing_for
from bridge.richtext.mentions import NOBODY
from connectors.github import field_labels, translate
from connectors.github.limits import TEXT_LIMITS
from connectors.github.mapping import GithubMapping, load_mapping
from connectors.github.people import UserDirectory
from connectors.github.pull import RepoPull
from connectors.github.ratelimits import PrimaryLimitTransport
from connectors.github.sections import SectionStore
from connectors.github.tasklist import Subtask, derived_key, join_body, split_body
from connectors.github.webhook_admin import GithubWebhookAdmin

DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
_PROJECT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")

# GitHub's "Best practices for using the REST API" (docs.github.com/rest/guides): make requests
# serially, not concurrently, and wait at least one second between POST/PATCH/PUT/DELETE requests,
# so a large first mirror stays under the secondary limits instead of being refused by them.
PACING = PacingPolicy(concurrency=1, write_spacing=1.0)

CAPABILITIES = Capabilities(
    tool="github",
    text_limits=TEXT_LIMITS,
    # No "parent_id": an issue cannot turn into a task-list line (or back) and keep its id.
    task_fields=frozenset({"title", "notes", "done", "section_id", "assignees", "labels"}),
    subtask_fields=frozenset({"title", "done"}),
    nested_depth=1,
    comments=True,
    edit_comments=True,
    attachments="link",  # as a comment of its own: issues take no attachments through the REST API
    removal=frozenset({"archive", "delete"}),
    # As "Name: value" labels (connectors/github/field_labels.py): any field name, each value as text.
    custom_fields=True,
    defined_fields=False,
    field_limit=field_labels.MAX_LABEL,  # a field is a "Name: value" label
    restore=True,  # closed as not planned or duplicate: reopened with PATCH state open, state_reason reopened
)


def github_error_message(raw: httpx.Response) -> str:
    """GitHub's ``message``, plus the first validation error's resource/field/code."""
    try:
        body = raw.json()
    except ValueError:
        return raw.text.strip()[:200]
    if not isinstance(body, dict):
        return ""
    text = str(body.get("message", ""))
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = first.get("message") or " ".join(str(first[k]) for k in ("resource", "field", "code") if first.get(k))
        text = f"{text} ({detail})"
    return text[:200]


class GithubConnector(GithubWebhookAdmin):
    def __init__(
        self,
        name: str,
        config: ConnectionConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        mapping: GithubMapping | None = None,
    ) -> None:
        if config.token is None or not config.token.get_secret_value():
            raise ConfigError(f"connection {name!r}: a GitHub connection needs a token", hint="set token: in the connection")
        token = config.token.get_secret_value()
        secrets.register(token)
        self.name = name
        self.capabilities = CAPABILITIES
        self.mapping = mapping or load_mapping()
        rate = config.rate_limit
        budget = budget_for("github", token, rate.requests if rate else 5000, rate.per_seconds if rate else 3600.0, clock)
        self.client = HttpClient(
            tool="github",
            base_url=config.base_url or DEFAULT_BASE_URL,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                # GitHub refuses requests without a User-Agent; HttpClient sends pm-bridge/<version> by default.
                **({"User-Agent": config.user_agent} if config.user_agent else {}),
            },
            budget=budget,
            pacing=pacing_for("github", token, PACING, clock),
            transport=PrimaryLimitTransport(transport, epoch=lambda: self.client.epoch()),
            clock=clock,
            timeout=config.timeout,
            max_wait=config.max_wait,
            error_message=github_error_message,
        )
        self._stores: dict[str, SectionStore] = {}
        self.directory = UserDirectory(self.client)
        # Per project: the people of its last pull, whom issue bodies and comments can mention.
        self._people: dict[str, richtext.People] = {}

    @property
    def stats(self) -> RequestStats:
        return self.client.stats

    # -- plumbing -------------------------------------------------------------

    def _path(self, project_id: str) -> str:
        if not _PROJECT.match(project_id):
            raise ConfigError(f"github: project {project_id!r} is not a repository name", hint='write it as "owner/repo"')
        return f"repos/{project_id}"

    def _store(self, project_id: str) -> SectionStore:
        store = self._stores.get(project_id)
        if store is None:
            store = self._stores[project_id] = SectionStore(self.client, self._path(project_id), self.mapping)
        return store

    def people(self, project_id: str) -> richtext.People:
        """Whom ``project_id``'s text can mention: the people of its last pull (nobody before one)."""
        return self._people.get(project_id, NOBODY)

    def _text(self, project_id: str, markdown: str) -> str:
        return richtext.write("github", markdown, self.people(project_id))

    def _comment(self, project_id: str, payload: Any) -> Comment:
        if not isinstance(payload, Mapping):
            raise Malformed(f"github: the comment response for {project_id} is not an object")
        login = translate.comment_login(payload)
        known = self.directory.known(login) if login else None
        return translate.comment(payload, self.people(project_id), {known.id: known} if known else None)

    def _issue_task(self, project_id: str, issue: Any) -> Task:
        store = self._store(project_id)
        if not isinstance(issue, Mapping):
            raise Malformed(f"github: the issue response for {project_id} is not an object")
        if store.view.stale(issue):
            store.load()
        return translate.issue_tasks(issue, store.view, self.people(project_id))[0]

    def _write_issue(self, project_id: str, number: int, payload: dict[str, Any]) -> dict[str, Any]:
        body = self.client.request("PATCH", f"{self._path(project_id)}/issues/{number}", json=payload).json()
        if not isinstance(body, dict):
            raise Malformed(f"github: PATCH issue {number} did not return an issue")
        return body

    @staticmethod
    def _number(task_id: str) -> int:
        try:
            return int(task_id)
        except ValueError:
            raise NotFound(f"github: {task_id!r} is not an issue number") from None

    # -- contract ---------------------------------------------------------------

    def check(self, project_id: str) -> CheckResult:
        user = self.client.get_json("user")
        repo = self.client.get_json(self._path(project_id))
        if not isinstance(user, dict) or not isinstance(repo, dict) or "login" not in user or "full_name" not in repo:
            raise Malformed("github: /user or the repository answered with an undocumented shape")
        if repo.get("has_issues") is False:
            # Every issue endpoint of such a repository answers 410 Gone: the first sync would fail on it.
            raise Invalid(
                f"github: issues are disabled in {repo['full_name']}, so there is nothing to mirror into or from",
                hint="turn on Issues under the repository's Settings → General → Features, or link another repository",
            )
        return CheckResult(user=str(user["login"]), project_name=str(repo["full_name"]))

    def pull(self, project_id: str, state: PullState | None = None) -> PullResult:
        run = RepoPull(self.client, self.name, project_id, self._store(project_id), self.mapping, self.directory)
        result = run.run(state)
        self._people[project_id] = run.people
        return result

    def create_section(self, project_id: str, name: str) -> Section:
        return self._store(project_id).create(name)

    def update_section(self, project_id: str, section: Section, name: str) -> Section:
        return self._store(project_id).rename(section, name)

    def remove_section(self, project_id: str, section: Section, mode: Removal) -> None:
        self._store(project_id).remove(section, mode)

    def create_task(self, project_id: str, task: NewTask) -> Task:
        if task.parent_id:
            return self._edit_subtasks(project_id, task.parent_id, None, {"title": task.title, "done": task.done})
        payload: dict[str, Any] = {"title": task.title, "assignees": list(task.assignees)}
        if task.notes:
            payload["body"] = self._text(project_id, task.notes)
        payload.update(self._store(project_id).issue_fields(task.section_id, list(task.labels)))
        payload["labels"] = [*payload["labels"], *field_labels.field_labels(task.custom_fields)]
        if payload.get("milestone") is None:
            payload.pop("milestone", None)
        issue = self.client.request("POST", f"{self._path(project_id)}/issues", json=payload).json()
        if task.done:
            # An issue is born open; closing it is a second request.
            issue = self._write_issue(project_id, translate.issue_number(issue), {"state": "closed", "state_reason": "completed"})
        return self._issue_task(project_id, issue)

    def update_task(self, project_id: str, current: Task, changes: dict[str, Any]) -> Task:
        if translate.split_subtask_id(current.id):
            if "parent_id" in changes and changes["parent_id"] != current.parent_id:
                raise Invalid("github: a subtask cannot move to another issue; remove it and create it under the new parent")
            return self._edit_subtasks(project_id, current.parent_id or "", current.id, changes)
        if changes.get("parent_id"):
            raise Invalid("github: an issue cannot become a subtask (subtasks are task-list lines of an issue body)")
        number = self._number(current.id)
        payload: dict[str, Any] = {}
        if "title" in changes:
            payload["title"] = changes["title"]
        if "notes" in changes:
            # The body also holds the subtask list: keep it as GitHub has it now.
            issue = self.client.get_json(f"{self._path(project_id)}/issues/{number}")
            subtasks = split_body(issue.get("body") if isinstance(issue, dict) else None, self.mapping.subtask_heading).subtasks
            notes = self._text(project_id, changes["notes"] or "")
            payload["body"] = join_body(notes, subtasks, self.mapping.subtask_heading)
        if ARCHIVED in changes:
            payload.update(self._archive_state(project_id, current, bool(changes[ARCHIVED]), changes.get("done")))
        elif "done" in changes:
            payload.update({"state": "closed", "state_reason": "completed"} if changes["done"] else {"state": "open"})
        relabelled = False
        if "section_id" in changes or "labels" in changes:
            store = self._store(project_id)
            try:
                before = store.issue_fields(current.section_id, list(current.labels))
            except NotFound:  # its section's label is gone, and GitHub took it off every issue with it
                before = store.issue_fields(None, list(current.labels))
            labels = list(changes.get("labels", current.labels))
            fields = store.issue_fields(changes.get("section_id", current.section_id), labels)
            if "section_id" in changes and "milestone" in fields:
                payload["milestone"] = fields["milestone"]
            relabelled = self._relabel(project_id, number, before["labels"], fields["labels"])
        if changes.get("custom_fields"):
            old, new = field_labels.relabelled(current.custom_fields, changes["custom_fields"])
            relabelled_fields = self._relabel(project_id, number, old, new)
            relabelled = relabelled or relabelled_fields
        if "assignees" in changes:
            payload["assignees"] = list(changes["assignees"])
        if payload:
            return self._issue_task(project_id, self._write_issue(project_id, number, payload))
        if relabelled:
            return self._issue_task(project_id, self.client.get_json(f"{self._path(project_id)}/issues/{number}"))
        return current  # due/start: GitHub issues cannot hold them (see capabilities)

    def _archive_state(self, project_id: str, current: Task, archived: bool, done: bool | None) -> dict[str, Any]:
        """The state fields that archive (close as not planned) or restore (reopen, or close as completed) an issue.

        GitHub ignores ``state_reason`` unless the state changes, so a closed issue changes its
        reason only through an open state in between: one more PATCH.
        """
        reopen = {"state": "open", "state_reason": "reopened"}
        if not archived and not done:
            return reopen
        # Restoring as done leaves "not planned"; archiving leaves "completed" (an open issue needs no reopen).
        if not archived or current.done:
            self._write_issue(project_id, self._number(current.id), reopen)
        return {"state": "closed", "state_reason": "not_planned" if archived else "completed"}

    def _relabel(self, project_id: str, number: int, old: list[str], new: list[str]) -> bool:
        """Add and remove only the labels that changed between ``old`` and ``new``; True if any request went.

        A PATCH with ``labels`` replaces the whole set with one built from the last pull, so a label
        someone added on GitHub in between would be lost; the add and remove endpoints touch only ours.
        """
        path = f"{self._path(project_id)}/issues/{number}/labels"
        known = {name.casefold() for name in old}  # GitHub matches label names case-insensitively
        added = [name for name in new if name.casefold() not in known]
        wanted = {name.casefold() for name in new}
        removed = [name for name in old if name.casefold() not in wanted]
        if added:
            self.client.request("POST", path, json={"labels": added})
        for name in removed:
            with contextlib.suppress(NotFound):  # someone took it off already
                self.client.request("DELETE", f"{path}/{urllib.parse.quote(name, safe='')}")
        return bool(added or removed)

    def remove_task(self, project_id: str, task: Task, mode: Removal) -> None:
        if translate.split_subtask_id(task.id):
            with contextlib.suppress(NotFound):  # the line (or its issue) is gone already
                self._edit_subtasks(project_id, task.parent_id or "", task.id, None)
            return
        number = self._number(task.id)
        try:
            issue = self._write_issue(project_id, number, {"state": "closed", "state_reason": "not_planned"})
            if issue.get("state_reason") not in self.mapping.archived_reasons:
                # It was closed already, and state_reason is ignored unless the state changes: reopen, then close.
                self._write_issue(project_id, number, {"state": "open"})
                self._write_issue(project_id, number, {"state": "closed", "state_reason": "not_planned"})
            if mode == "delete":
                self.client.request(
                    "PUT", f"{self._path(project_id)}/issues/{number}/lock", json={"lock_reason": self.mapping.delete_lock_reason}
                )
        except NotFound:
            pass  # deleted or transferred already

    def create_comment(self, project_id: str, task_id: str, text: str) -> Comment:
        if translate.split_subtask_id(task_id):
            raise Invalid("github: subtasks are task-list lines and cannot hold comments; comment on the issue")
        rendered = self._text(project_id, text)
        body = self.client.request(
            "POST", f"{self._path(project_id)}/issues/{self._number(task_id)}/comments", json={"body": rendered}
        ).json()
        return self._comment(project_id, body)

    def update_comment(self, project_id: str, comment: Comment, text: str) -> Comment:
        body = self.client.request(
            "PATCH", f"{self._path(project_id)}/issues/comments/{int(comment.id)}", json={"body": self._text(project_id, text)}
        ).json()
        return self._comment(project_id, body)

    def remove_comment(self, project_id: str, comment: Comment) -> None:
        with contextlib.suppress(NotFound):
            self.client.request("DELETE", f"{self._path(project_id)}/issues/comments/{int(comment.id)}")

    def create_attachment(self, project_id: str, task_id: str, name: str, url: str) -> Attachment:
        """A link, written as a comment of its own that reads back as an attachment (docs/files.md)."""
        if translate.split_subtask_id(task_id):
            raise Invalid("github: subtasks are task-list lines and cannot hold links; link on the issue")
        safe = url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
        payload = self.client.request(
            "POST", f"{self._path(project_id)}/issues/{self._number(task_id)}/comments",
            json={"body": translate.link_body(name, safe)},
        ).json()
        if not isinstance(payload, Mapping):
            raise Malformed(f"github: the comment response for {project_id} is not an object")
        link = translate.link_attachment(payload)
        if link is None:
            raise Malformed("github: the link comment came back changed")
        return link

    def remove_attachment(self, project_id: str, attachment: Attachment) -> None:
        with contextlib.suppress(NotFound):
            self.client.request("DELETE", f"{self._path(project_id)}/issues/comments/{int(attachment.id)}")

    def close(self) -> None:
        self.client.close()

    # -- subtasks: lines of the parent's body -----------------------------------------

    def _edit_subtasks(self, project_id: str, parent_id: str, subtask_id: str | None, changes: dict[str, Any] | None) -> Task:
        """Add (``subtask_id`` None), change, or remove (``changes`` None) one task-list line.

        The body holds people's notes too, so it is read right before the write
        (GitHub has no conditional PATCH; the window for a lost edit is one round trip).
        """
        number = self._number(parent_id)
        path = f"{self._path(project_id)}/issues/{number}"
        issue = self.client.get_json(path)
        if not isinstance(issue, dict):
            raise Malformed(f"github: GET issue {number} did not return an issue")
        heading = self.mapping.subtask_heading
        body = split_body(issue.get("body"), heading)
        items = list(body.subtasks)
        if subtask_id is None:
            assert changes is not None
            key = derived_key(str(changes["title"]), {s.key for s in items})
            items.append(Subtask(key, " ".join(str(changes["title"]).split()), bool(changes.get("done", False))))
        else:
            parsed = translate.split_subtask_id(subtask_id)
            key = parsed[1] if parsed else ""
            index = next((i for i, s in enumerate(items) if s.key == key), None)
            if index is None:
                raise NotFound(f"github: subtask {subtask_id} is no longer in issue {number}")
            if changes is None:
                del items[index]
            else:
                old = items[index]
                title = " ".join(str(changes.get("title", old.title)).split())
                items[index] = Subtask(key, title, bool(changes.get("done", old.done)))
        updated = self._write_issue(project_id, number, {"body": join_body(body.notes, items, heading)})
        if changes is None:
            return Task(id=subtask_id or "", title="", parent_id=parent_id)
        wanted = translate.subtask_id(number, key)
        for task in translate.issue_tasks(updated, self._store(project_id).view, self.people(project_id)):
            if task.id == wanted:
                return task
        raise Malformed(f"github: issue {number} came back without subtask {wanted}")
