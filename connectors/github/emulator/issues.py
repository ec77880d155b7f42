"""The GitHub emulator's issue routes: issues, their labels, assignees and lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from connectors.emulation.limits import enforce
from connectors.emulation.toolkit import EmuRequest, HttpError, json_response
from connectors.github.emulator.repo import R, Route, invalid, json_object, new_label, timestamp, too_long
from connectors.github.emulator.state import Issue, Repo
from connectors.github.limits import FIELDS, TEXT_LIMITS

if TYPE_CHECKING:
    from connectors.github.emulator.server import GithubEmulator

STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")
LOCK_REASONS = ("off-topic", "too heated", "resolved", "spam")


# What GitHub refuses, per issue field (connectors/github/limits.py).
ISSUE_LIMITS = {name: TEXT_LIMITS[kind] for name, kind in FIELDS.items()}


class IssueApi:
    def __init__(self, emu: GithubEmulator) -> None:
        self.emu = emu

    def table(self) -> list[Route]:
        return [
            ("GET", f"{R}/issues", self.list_issues),
            ("POST", f"{R}/issues", self.create_issue),
            ("GET", f"{R}/issues/{{number}}", self.get_issue),
            ("PATCH", f"{R}/issues/{{number}}", self.update_issue),
            ("GET", f"{R}/issues/{{number}}/labels", self.list_issue_labels),
            ("POST", f"{R}/issues/{{number}}/labels", self.add_issue_labels),
            ("PUT", f"{R}/issues/{{number}}/labels", self.set_issue_labels),
            ("DELETE", f"{R}/issues/{{number}}/labels", self.clear_issue_labels),
            ("DELETE", f"{R}/issues/{{number}}/labels/{{name}}", self.remove_issue_label),
            ("PUT", f"{R}/issues/{{number}}/lock", self.lock),
            ("DELETE", f"{R}/issues/{{number}}/lock", self.unlock),
            ("POST", f"{R}/issues/{{number}}/assignees", self.add_assignees),
            ("DELETE", f"{R}/issues/{{number}}/assignees", self.remove_assignees),
        ]

    # -- lookups ------------------------------------------------------------

    def _issue(self, req: EmuRequest) -> tuple[Repo, Issue]:
        return self.emu.issue_for(req)

    def _issue_json(self, req: EmuRequest, repo: Repo, issue: Issue) -> dict[str, Any]:
        return self.emu.renderer(req).issue(repo, issue)

    def _touch(self, req: EmuRequest, repo: Repo, issue: Issue, action: str, **extra: Any) -> None:
        issue.updated_at = self.emu.stamp()
        self.emu.emit(
            req,
            repo,
            "pull_request" if issue.pull_request else "issues",
            action,
            {"issue": self._issue_json(req, repo, issue), **extra},
        )

    def _label_ids(self, repo: Repo, names: Any) -> list[int]:
        """Label names (or objects with a name) to ids; missing labels are created, as GitHub does."""
        if not isinstance(names, list):
            raise invalid("Issue", "labels")
        ids: list[int] = []
        for item in names:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                raise invalid("Label", "name", name)
            label = repo.label_named(name) or new_label(self.emu, repo, name.strip())
            if label.id not in ids:
                ids.append(label.id)
        return ids

    def _assignees(self, repo: Repo, logins: Any) -> list[str]:
        if not isinstance(logins, list) or not all(isinstance(x, str) for x in logins):
            raise invalid("Issue", "assignees")
        for login in logins:
            if login not in repo.collaborators:
                raise invalid("Issue", "assignees", login)
        return list(dict.fromkeys(logins))

    def _milestone(self, repo: Repo, value: Any) -> int | None:
        if value is None:
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid("Issue", "milestone", value) from None
        if number not in repo.milestones:
            raise invalid("Issue", "milestone", value)
        return number

    # -- issues ---------------------------------------------------------------

    def list_issues(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        q = {k: v[-1] for k, v in req.query.items()}
        state = q.get("state", "open")
        sort, direction = q.get("sort", "created"), q.get("direction", "desc")
        if (
            state not in ("open", "closed", "all")
            or sort not in ("created", "updated", "comments")
            or direction not in ("asc", "desc")
        ):
            raise invalid("Issue", "state" if state not in ("open", "closed", "all") else "sort")
        issues = [i for i in repo.issues.values() if state == "all" or i.state == state]
        if "since" in q:
            since = timestamp(q["since"])
            issues = [i for i in issues if i.updated_at >= since]
        if q.get("labels"):
            wanted = {n.strip().casefold() for n in q["labels"].split(",") if n.strip()}
            issues = [i for i in issues if wanted <= {repo.labels[x].name.casefold() for x in i.labels if x in repo.labels}]
        if "milestone" in q:
            m = q["milestone"]
            issues = [
                i for i in issues if (m == "*" and i.milestone) or (m == "none" and not i.milestone) or str(i.milestone) == m
            ]
        if "assignee" in q:
            a = q["assignee"]
            issues = [i for i in issues if (a == "*" and i.assignees) or (a == "none" and not i.assignees) or a in i.assignees]
        if "creator" in q:
            issues = [i for i in issues if i.user == q["creator"]]
        comments = {n: 0 for n in repo.issues}
        for c in repo.comments.values():
            comments[c.issue] = comments.get(c.issue, 0) + 1
        keys: dict[str, Callable[[Issue], Any]] = {
            "created": lambda i: (i.created_at, i.number),
            "updated": lambda i: (i.updated_at, i.number),
            "comments": lambda i: (comments.get(i.number, 0), i.number),
        }
        issues.sort(key=keys[sort], reverse=direction == "desc")
        if req.lagging and issues:
            # A listing that lags behind writes: the most recent change is not visible yet.
            newest = max(issues, key=lambda i: i.updated_at)
            issues = [i for i in issues if i is not newest]
        return self.emu.paginate(req, [self._issue_json(req, repo, i) for i in issues], repo)

    def create_issue(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        body = json_object(req)
        title = body.get("title")
        if isinstance(title, int) and not isinstance(title, bool):
            title = str(title)
        if not isinstance(title, str) or not title.strip():
            raise invalid("Issue", "title", code="missing_field")
        text = body.get("body")
        enforce({"title": title, "body": text if isinstance(text, str) else None}, ISSUE_LIMITS, too_long("Issue"))
        if text is not None and not isinstance(text, str):
            raise invalid("Issue", "body")
        assignees = self._assignees(repo, body.get("assignees") or ([body["assignee"]] if body.get("assignee") else []))
        milestone = self._milestone(repo, body.get("milestone"))
        labels = self._label_ids(repo, body.get("labels") or [])
        now = self.emu.stamp()
        assert req.user
        issue = Issue(
            int(self.emu.new_id()),
            repo.next_number,
            title,
            req.user,
            now,
            now,
            text or None,
            labels=labels,
            assignees=assignees,
            milestone=milestone,
        )
        repo.next_number += 1
        repo.issues[issue.number] = issue
        rendered = self._issue_json(req, repo, issue)
        self.emu.emit(req, repo, "issues", "opened", {"issue": rendered})
        return json_response(201, rendered, {"location": rendered["url"]})

    def get_issue(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        return json_response(200, self._issue_json(req, repo, issue))

    def update_issue(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        body = json_object(req)
        before = (
            issue.title,
            issue.body,
            issue.state,
            issue.state_reason,
            list(issue.labels),
            list(issue.assignees),
            issue.milestone,
        )
        texts = {name: body.get(name) for name in ("title", "body") if isinstance(body.get(name), str)}
        enforce(texts, ISSUE_LIMITS, too_long("Issue"))
        if "title" in body:
            if not isinstance(body["title"], str | int) or not str(body["title"]).strip():
                raise invalid("Issue", "title", code="missing_field")
            issue.title = str(body["title"])
        if "body" in body:
            if body["body"] is not None and not isinstance(body["body"], str):
                raise invalid("Issue", "body")
            issue.body = body["body"] or None
        if "labels" in body:
            issue.labels = self._label_ids(repo, body["labels"])  # replaces the set
        if "assignees" in body:
            issue.assignees = self._assignees(repo, body["assignees"] or [])  # replaces the set
        if "milestone" in body:
            issue.milestone = self._milestone(repo, body["milestone"])
        action = "edited"
        if "state" in body:
            state, reason = body["state"], body.get("state_reason")
            if state not in ("open", "closed"):
                raise invalid("Issue", "state", state)
            if reason is not None and reason not in STATE_REASONS:
                raise invalid("Issue", "state_reason", reason)
            # state_reason is "ignored unless state is changed" (current description).
            if state != issue.state:
                assert req.user
                issue.state = state
                if state == "closed":
                    issue.state_reason = reason if reason in ("completed", "not_planned", "duplicate") else "completed"
                    issue.closed_at, issue.closed_by, action = self.emu.stamp(), req.user, "closed"
                else:
                    issue.state_reason, issue.closed_at, issue.closed_by, action = "reopened", None, None, "reopened"
        after = (
            issue.title,
            issue.body,
            issue.state,
            issue.state_reason,
            list(issue.labels),
            list(issue.assignees),
            issue.milestone,
        )
        if after != before:
            self._touch(req, repo, issue, action)
        return json_response(200, self._issue_json(req, repo, issue))

    def lock(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        reason = json_object(req).get("lock_reason")
        if reason is not None and reason not in LOCK_REASONS:
            raise invalid("Issue", "lock_reason", reason)
        if not issue.locked or issue.active_lock_reason != reason:
            issue.locked, issue.active_lock_reason = True, reason
            self._touch(req, repo, issue, "locked")
        return httpx.Response(204)

    def unlock(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        if issue.locked:
            issue.locked, issue.active_lock_reason = False, None
            self._touch(req, repo, issue, "unlocked")
        return httpx.Response(204)

    def add_assignees(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        added = self._assignees(repo, json_object(req).get("assignees") or [])
        new = [a for a in added if a not in issue.assignees]
        if new:
            issue.assignees += new
            self._touch(req, repo, issue, "assigned")
        return json_response(201, self._issue_json(req, repo, issue))

    def remove_assignees(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        gone = set(json_object(req).get("assignees") or [])
        if gone & set(issue.assignees):
            issue.assignees = [a for a in issue.assignees if a not in gone]
            self._touch(req, repo, issue, "unassigned")
        return json_response(200, self._issue_json(req, repo, issue))

    # -- issue labels -----------------------------------------------------------

    def _label_list(self, req: EmuRequest, repo: Repo, issue: Issue) -> httpx.Response:
        render = self.emu.renderer(req)
        return json_response(200, [render.label(repo, repo.labels[i]) for i in issue.labels if i in repo.labels])

    def _names_arg(self, req: EmuRequest) -> Any:
        body = req.json_body()
        return body.get("labels") if isinstance(body, dict) else body

    def list_issue_labels(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        return self._label_list(req, repo, issue)

    def add_issue_labels(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        names = self._names_arg(req)
        if not names:
            raise invalid("Label", "labels", code="missing_field")
        new = [i for i in self._label_ids(repo, names if isinstance(names, list) else [names]) if i not in issue.labels]
        if new:
            issue.labels += new
            self._touch(req, repo, issue, "labeled")
        return self._label_list(req, repo, issue)

    def set_issue_labels(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        names = self._names_arg(req) or []
        ids = self._label_ids(repo, names if isinstance(names, list) else [names])
        if ids != issue.labels:
            issue.labels = ids
            self._touch(req, repo, issue, "labeled")
        return self._label_list(req, repo, issue)

    def clear_issue_labels(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        if issue.labels:
            issue.labels = []
            self._touch(req, repo, issue, "unlabeled")
        return httpx.Response(204)

    def remove_issue_label(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        label = repo.label_named(req.path_params["name"])
        if label is None or label.id not in issue.labels:
            raise HttpError(404, "Label does not exist")
        issue.labels.remove(label.id)
        self._touch(req, repo, issue, "unlabeled")
        return self._label_list(req, repo, issue)
