"""The GitHub emulator's repository-level routes (labels, milestones, assignees) and request helpers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from connectors.emulation.toolkit import EmuRequest, HttpError, json_response
from connectors.github.emulator.state import Label, Milestone, Repo

if TYPE_CHECKING:
    from connectors.github.emulator.server import GithubEmulator

Route = tuple[str, str, Callable[[EmuRequest], httpx.Response]]
R = "/repos/{owner}/{repo}"


class ValidationFailed(HttpError):
    """A 422 with GitHub's ``errors`` list."""

    def __init__(self, errors: list[dict[str, Any]], message: str = "Validation Failed") -> None:
        super().__init__(422, message)
        self.errors = errors


def invalid(resource: str, field: str, value: Any = None, code: str = "invalid") -> HttpError:
    """A 422 shaped as GitHub's validation errors."""
    error: dict[str, Any] = {"resource": resource, "code": code, "field": field}
    if value is not None:
        error["value"] = value
    return ValidationFailed([error])


def too_long(resource: str) -> Callable[[str, int], HttpError]:
    """GitHub's refusal of a text over its limit (connectors/github/limits.py): a 422 with a custom error."""

    def refuse(field: str, limit: int) -> HttpError:
        message = f"{field} is too long (maximum is {limit} characters)"
        return ValidationFailed([{"resource": resource, "code": "custom", "field": field, "message": message}])

    return refuse


def json_object(req: EmuRequest) -> dict[str, Any]:
    body = req.json_body()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise HttpError(400, "Problems parsing JSON")
    return body


def new_label(emu: GithubEmulator, repo: Repo, name: str, color: str = "ededed", description: str | None = None) -> Label:
    label = Label(int(emu.new_id()), name, color, description)
    repo.labels[label.id] = label
    return label


def timestamp(value: str) -> str:
    """``since`` as the stored ``YYYY-MM-DDTHH:MM:SSZ`` form (string order = time order)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("Issue", "since", value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RepoObjectsApi:
    def __init__(self, emu: GithubEmulator) -> None:
        self.emu = emu

    def table(self) -> list[Route]:
        return [
            ("GET", f"{R}/labels", self.list_labels),
            ("POST", f"{R}/labels", self.create_label),
            ("GET", f"{R}/labels/{{name}}", self.get_label),
            ("PATCH", f"{R}/labels/{{name}}", self.update_label),
            ("DELETE", f"{R}/labels/{{name}}", self.delete_label),
            ("GET", f"{R}/milestones", self.list_milestones),
            ("POST", f"{R}/milestones", self.create_milestone),
            ("GET", f"{R}/milestones/{{number}}", self.get_milestone),
            ("PATCH", f"{R}/milestones/{{number}}", self.update_milestone),
            ("DELETE", f"{R}/milestones/{{number}}", self.delete_milestone),
            ("GET", f"{R}/assignees", self.list_assignees),
            ("GET", f"{R}/assignees/{{login}}", self.check_assignee),
        ]

    # -- labels -----------------------------------------------------------------

    def _label(self, req: EmuRequest) -> tuple[Repo, Label]:
        repo = self.emu.repo_for(req)
        label = repo.label_named(req.path_params["name"])
        if label is None:
            raise HttpError(404, "Not Found")
        return repo, label

    def list_labels(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        render = self.emu.renderer(req)
        ordered = sorted(repo.labels.values(), key=lambda label: label.name.casefold())
        return self.emu.paginate(req, [render.label(repo, label) for label in ordered], repo)

    def create_label(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        body = json_object(req)
        name, color = body.get("name"), str(body.get("color", "ededed")).lstrip("#")
        if not isinstance(name, str) or not name.strip():
            raise invalid("Label", "name", code="missing_field")
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            raise invalid("Label", "color")
        if repo.label_named(name):
            raise invalid("Label", "name", code="already_exists")
        label = new_label(self.emu, repo, name.strip(), color, body.get("description"))
        rendered = self.emu.renderer(req).label(repo, label)
        return json_response(201, rendered, {"location": rendered["url"]})

    def get_label(self, req: EmuRequest) -> httpx.Response:
        repo, label = self._label(req)
        return json_response(200, self.emu.renderer(req).label(repo, label))

    def update_label(self, req: EmuRequest) -> httpx.Response:
        repo, label = self._label(req)
        body = json_object(req)
        new_name = body.get("new_name", body.get("name"))
        if new_name is not None:
            other = repo.label_named(str(new_name))
            if not str(new_name).strip() or (other is not None and other.id != label.id):
                raise invalid("Label", "name", code="already_exists" if other else "invalid")
            label.name = str(new_name).strip()
        if "color" in body:
            if not re.fullmatch(r"[0-9a-fA-F]{6}", str(body["color"]).lstrip("#")):
                raise invalid("Label", "color")
            label.color = str(body["color"]).lstrip("#")
        if "description" in body:
            label.description = body["description"]
        return json_response(200, self.emu.renderer(req).label(repo, label))

    def delete_label(self, req: EmuRequest) -> httpx.Response:
        repo, label = self._label(req)
        del repo.labels[label.id]
        for issue in repo.issues.values():
            if label.id in issue.labels:
                issue.labels.remove(label.id)
        return httpx.Response(204)

    # -- milestones -------------------------------------------------------------

    def _milestone_at(self, req: EmuRequest) -> tuple[Repo, Milestone]:
        repo = self.emu.repo_for(req)
        raw = req.path_params["number"]
        found = repo.milestones.get(int(raw)) if raw.isdigit() else None
        if found is None:
            raise HttpError(404, "Not Found")
        return repo, found

    def list_milestones(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        state = req.query.get("state", ["open"])[-1]
        found = [m for m in repo.milestones.values() if state == "all" or m.state == state]
        found.sort(
            key=lambda m: (m.due_on is None, m.due_on or "", m.number), reverse=req.query.get("direction", ["asc"])[-1] == "desc"
        )
        render = self.emu.renderer(req)
        return self.emu.paginate(req, [render.milestone(repo, m) for m in found], repo)

    def create_milestone(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        body = json_object(req)
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise invalid("Milestone", "title", code="missing_field")
        if any(m.title == title for m in repo.milestones.values()):
            raise invalid("Milestone", "title", code="already_exists")
        state = body.get("state", "open")
        if state not in ("open", "closed"):
            raise invalid("Milestone", "state", state)
        now = self.emu.stamp()
        assert req.user
        number = max(repo.milestones, default=0) + 1
        found = Milestone(
            int(self.emu.new_id()),
            number,
            title,
            req.user,
            now,
            now,
            state,
            body.get("description"),
            body.get("due_on"),
            now if state == "closed" else None,
        )
        repo.milestones[number] = found
        rendered = self.emu.renderer(req).milestone(repo, found)
        return json_response(201, rendered, {"location": rendered["url"]})

    def get_milestone(self, req: EmuRequest) -> httpx.Response:
        repo, found = self._milestone_at(req)
        return json_response(200, self.emu.renderer(req).milestone(repo, found))

    def update_milestone(self, req: EmuRequest) -> httpx.Response:
        repo, found = self._milestone_at(req)
        body = json_object(req)
        if "title" in body:
            if not isinstance(body["title"], str) or not body["title"].strip():
                raise invalid("Milestone", "title")
            found.title = body["title"]
        if "state" in body:
            if body["state"] not in ("open", "closed"):
                raise invalid("Milestone", "state", body["state"])
            found.closed_at = self.emu.stamp() if body["state"] == "closed" else None
            found.state = body["state"]
        for key in ("description", "due_on"):
            if key in body:
                setattr(found, key, body[key])
        found.updated_at = self.emu.stamp()
        return json_response(200, self.emu.renderer(req).milestone(repo, found))

    def delete_milestone(self, req: EmuRequest) -> httpx.Response:
        repo, found = self._milestone_at(req)
        del repo.milestones[found.number]
        for issue in repo.issues.values():
            if issue.milestone == found.number:
                issue.milestone = None
        return httpx.Response(204)

    # -- assignees --------------------------------------------------------------

    def list_assignees(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        render = self.emu.renderer(req)
        return self.emu.paginate(req, [render.user(login) for login in sorted(repo.collaborators, key=str.casefold)], repo)

    def check_assignee(self, req: EmuRequest) -> httpx.Response:
        repo = self.emu.repo_for(req)
        if req.path_params["login"] not in repo.collaborators:
            raise HttpError(404, "Not Found")
        return httpx.Response(204)
