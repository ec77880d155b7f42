"""The GitHub emulator's issue comment routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from connectors.emulation.limits import enforce
from connectors.emulation.toolkit import EmuRequest, HttpError, json_response
from connectors.github.emulator.repo import R, Route, invalid, json_object, timestamp, too_long
from connectors.github.emulator.state import Issue, IssueComment, Repo
from connectors.github.limits import COMMENT_FIELDS, TEXT_LIMITS

if TYPE_CHECKING:
    from connectors.github.emulator.server import GithubEmulator


# What GitHub refuses in a comment (connectors/github/limits.py).
COMMENT_LIMITS = {name: TEXT_LIMITS[kind] for name, kind in COMMENT_FIELDS.items()}


class CommentApi:
    def __init__(self, emu: GithubEmulator) -> None:
        self.emu = emu

    def table(self) -> list[Route]:
        # These come before /issues/{number}, which would otherwise match "comments".
        return [
            ("GET", f"{R}/issues/comments", self.list_repo_comments),
            ("GET", f"{R}/issues/comments/{{comment_id}}", self.get_comment),
            ("PATCH", f"{R}/issues/comments/{{comment_id}}", self.update_comment),
            ("DELETE", f"{R}/issues/comments/{{comment_id}}", self.delete_comment),
            ("GET", f"{R}/issues/{{number}}/comments", self.list_issue_comments),
            ("POST", f"{R}/issues/{{number}}/comments", self.create_comment),
        ]

    def _issue(self, req: EmuRequest) -> tuple[Repo, Issue]:
        return self.emu.issue_for(req)

    def _issue_json(self, req: EmuRequest, repo: Repo, issue: Issue) -> dict[str, Any]:
        return self.emu.renderer(req).issue(repo, issue)

    # -- comments ---------------------------------------------------------------

    def _comment(self, req: EmuRequest) -> tuple[Repo, IssueComment]:
        repo = self.emu.repo_for(req)
        raw = req.path_params["comment_id"]
        found = repo.comments.get(int(raw)) if raw.isdigit() else None
        if found is None:
            raise HttpError(404, "Not Found")
        return repo, found

    def _comment_page(self, req: EmuRequest, repo: Repo, comments: list[IssueComment]) -> httpx.Response:
        q = {k: v[-1] for k, v in req.query.items()}
        if "since" in q:
            since = timestamp(q["since"])
            comments = [c for c in comments if c.updated_at >= since]
        if "sort" in q:
            if q["sort"] not in ("created", "updated"):
                raise invalid("IssueComment", "sort", q["sort"])
            attr = "created_at" if q["sort"] == "created" else "updated_at"
            comments.sort(key=lambda c: (getattr(c, attr), c.id), reverse=q.get("direction", "desc") == "desc")
        else:
            comments.sort(key=lambda c: c.id)  # "By default, issue comments are ordered by ascending ID."
        if req.lagging and comments:
            newest = max(comments, key=lambda c: (c.updated_at, c.id))
            comments = [c for c in comments if c is not newest]
        render = self.emu.renderer(req)
        return self.emu.paginate(req, [render.comment(repo, c) for c in comments], repo)

    def list_repo_comments(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        return self._comment_page(req, repo, list(repo.comments.values()))

    def list_issue_comments(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        return self._comment_page(req, repo, [c for c in repo.comments.values() if c.issue == issue.number])

    def create_comment(self, req: EmuRequest) -> httpx.Response:
        repo, issue = self._issue(req)
        text = json_object(req).get("body")
        enforce({"body": text if isinstance(text, str) else None}, COMMENT_LIMITS, too_long("IssueComment"))
        if not isinstance(text, str) or not text.strip():
            raise invalid("IssueComment", "body", code="missing_field")
        now = self.emu.stamp()
        assert req.user
        found = IssueComment(int(self.emu.new_id()), issue.number, text, req.user, now, now)
        repo.comments[found.id] = found
        rendered = self.emu.renderer(req).comment(repo, found)
        # A new comment counts as activity on its issue: the issue's updated_at moves too.
        issue.updated_at = now
        self.emu.emit(req, repo, "issue_comment", "created", {"issue": self._issue_json(req, repo, issue), "comment": rendered})
        return json_response(201, rendered, {"location": rendered["url"]})

    def get_comment(self, req: EmuRequest) -> httpx.Response:
        repo, found = self._comment(req)
        return json_response(200, self.emu.renderer(req).comment(repo, found))

    def update_comment(self, req: EmuRequest) -> httpx.Response:
        repo, found = self._comment(req)
        text = json_object(req).get("body")
        enforce({"body": text if isinstance(text, str) else None}, COMMENT_LIMITS, too_long("IssueComment"))
        if not isinstance(text, str) or not text.strip():
            raise invalid("IssueComment", "body", code="missing_field")
        if text != found.body:
            found.body, found.updated_at = text, self.emu.stamp()
            issue = repo.issues[found.issue]
            self.emu.emit(
                req,
                repo,
                "issue_comment",
                "edited",
                {"issue": self._issue_json(req, repo, issue), "comment": self.emu.renderer(req).comment(repo, found)},
            )
        return json_response(200, self.emu.renderer(req).comment(repo, found))

    def delete_comment(self, req: EmuRequest) -> httpx.Response:
        repo, found = self._comment(req)
        rendered = self.emu.renderer(req).comment(repo, found)
        del repo.comments[found.id]
        self.emu.emit(
            req,
            repo,
            "issue_comment",
            "deleted",
            {"issue": self._issue_json(req, repo, repo.issues[found.issue]), "comment": rendered},
        )
        return httpx.Response(204)
