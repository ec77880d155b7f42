"""Comments, recording status, events and the cross-project recordings listing.

``GET /projects/recordings.json?type=…`` is Basecamp's only way to ask "what
changed": it lists one recording type across buckets, by ``status`` (default
active; a recording under an archived or trashed parent counts as archived or
trashed), sorted by ``created_at`` or ``updated_at``, each item rendered with
its full type-specific partial (so a to-do carries its description and
assignees, a comment its content).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from connectors.basecamp.emulator.access import EmulatorBase
from connectors.basecamp.emulator.http import body_of, check_lengths, no_content, paginate, required_text, sanitize
from connectors.basecamp.emulator.render import stamp
from connectors.basecamp.emulator.store import RECORDING_TYPES, STATUSES, Comment, Recording, Todoset
from connectors.basecamp.limits import COMMENT_FIELDS
from connectors.emulation.toolkit import EmuRequest, HttpError

Route = tuple[str, str, Callable[[EmuRequest], httpx.Response]]
_STATUS_ACTIONS = {"trashed": "trashed", "archived": "archived", "active": "unarchived"}


def _one_of(req: EmuRequest, name: str, allowed: tuple[str, ...], default: str | None) -> str:
    value = (req.query.get(name) or [default or ""])[-1]
    if value not in allowed:
        raise HttpError(400, f"{name} must be one of {', '.join(allowed)}")
    return value


class RecordingRoutes(EmulatorBase):
    def recording_routes(self) -> list[Route]:
        return [
            ("GET", "/projects/recordings.json", self.list_recordings),
            ("GET", "/recordings/{id}/comments.json", self.list_comments),
            ("POST", "/recordings/{id}/comments.json", self.create_comment),
            ("GET", "/comments/{id}.json", self.get_comment),
            ("PUT", "/comments/{id}.json", self.update_comment),
            ("PUT", "/recordings/{id}/status/{status}.json", self.set_status),
            ("GET", "/recordings/{id}/events.json", self.list_events),
        ]

    def list_recordings(self, req: EmuRequest) -> httpx.Response:
        kind = _one_of(req, "type", RECORDING_TYPES, None)
        status = _one_of(req, "status", STATUSES, "active")
        sort = _one_of(req, "sort", ("created_at", "updated_at"), "created_at")
        direction = _one_of(req, "direction", ("desc", "asc"), "desc")
        user = int(req.user or 0)
        visible = {p.id for p in self.store.projects.values() if user in p.people and p.status == "active"}
        raw = (req.query.get("bucket") or [""])[-1]
        if raw:
            wanted = {int(b) for b in raw.split(",") if b.strip().isdigit()}
            buckets = {b for b in wanted if b in visible}
        else:
            buckets = visible
        items = [r for r in self.store.recordings.values()
                 if r.type == kind and r.bucket in buckets and self.store.effective_status(r) == status]
        items.sort(key=lambda r: (getattr(r, sort), r.id), reverse=direction == "desc")
        return self.listing(req, list(items))

    # -- comments -------------------------------------------------------------

    def list_comments(self, req: EmuRequest) -> httpx.Response:
        parent = self.find(req, Recording)
        if isinstance(parent, Comment | Todoset):
            raise HttpError(404, "Not Found")
        comments = [c for c in self.store.children(parent.id, Comment) if c.status == "active"]
        comments.sort(key=lambda c: (c.created_at, c.id))
        return self.listing(req, comments)

    def create_comment(self, req: EmuRequest) -> httpx.Response:
        parent = self.find(req, Recording)
        if isinstance(parent, Comment | Todoset):
            raise HttpError(404, "Not Found")
        body = body_of(req)
        check_lengths(body, COMMENT_FIELDS)
        content = sanitize(required_text(body, "content"))
        now = self.store.now()
        comment = Comment(id=self.store.new_id(), type="Comment", bucket=parent.bucket, parent=parent.id,
                          creator=self.me(req).id, created_at=now, updated_at=now, content=content,
                          parent_title=parent.title)
        self.store.add(comment)
        self.changed(req, comment, "created")
        return self.one(req, comment, 201)

    def get_comment(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, self.find(req, Comment))

    def update_comment(self, req: EmuRequest) -> httpx.Response:
        comment = self.find(req, Comment)
        body = body_of(req)
        check_lengths(body, COMMENT_FIELDS)
        comment.content = sanitize(required_text(body, "content"))
        self.changed(req, comment, "content_updated")
        return self.one(req, comment)

    # -- status and history -------------------------------------------------------

    def set_status(self, req: EmuRequest) -> httpx.Response:
        status = req.path_params.get("status", "")
        if status not in _STATUS_ACTIONS:
            raise HttpError(404, "Not Found")
        recording = self.find(req, Recording)
        if isinstance(recording, Todoset):
            raise HttpError(422, "the to-do set cannot change status")
        if recording.status != status:
            action = _STATUS_ACTIONS[status] if recording.status != "trashed" else "untrashed"
            recording.status = status
            self.changed(req, recording, action)
        return no_content()

    def list_events(self, req: EmuRequest) -> httpx.Response:
        recording = self.find(req, Recording)
        render = self.render(req)
        events = [e for e in self.store.events if e.recording == recording.id]
        events.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        body = [
            {"id": e.id, "recording_id": e.recording, "action": e.action, "details": {**e.details, "notified_recipient_ids": []},
             "created_at": stamp(e.created_at), "creator": render.person(self.store.people[e.creator]),
             "boosts_count": 0,
             "boosts_url": f"{render.api}/buckets/{recording.bucket}/recordings/{recording.id}/events/{e.id}/boosts.json"}
            for e in events
        ]
        return paginate(req, body, geared=self.geared)

