"""The base of the Basecamp emulator's route groups: who is asking, what they may see, change events.

Route groups (``emulator_todos``, ``emulator_recordings``, ``emulator_account``)
subclass :class:`EmulatorBase`; :class:`~connectors.basecamp.emulator.server.BasecampEmulator`
combines them.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx

from bridge.clock import Clock
from connectors.basecamp.emulator.http import paginate, respond
from connectors.basecamp.emulator.render import Renderer, stamp
from connectors.basecamp.emulator.store import Person, Project, Recording, Store, Todo
from connectors.basecamp.emulator.webhooks import queue_delivery
from connectors.emulation.toolkit import Emulator, EmuRequest, HttpError

R = TypeVar("R", bound=Recording)


class EmulatorBase(Emulator):
    tool = "basecamp"
    # "commonly … 50 requests per 10 second period per IP address" (README): counted per token here.
    rate_limit = (50.0, 10.0)

    def __init__(self, *, clock: Clock | None = None, latency: float = 0.0,
                 rate_limit: tuple[float, float] | None | bool = True, geared: bool = False) -> None:
        super().__init__(clock=clock, latency=latency, rate_limit=rate_limit)
        self.store = Store(self.clock)
        self.geared = geared

    # -- who and what ---------------------------------------------------------

    def me(self, req: EmuRequest) -> Person:
        assert req.user is not None  # authenticate() ran before any handler
        return self.store.people[int(req.user)]

    def render(self, req: EmuRequest) -> Renderer:
        return Renderer(self.store, req.base_url)

    def project(self, req: EmuRequest, ident: int) -> Project:
        project = self.store.projects.get(ident)
        if project is None or int(req.user or 0) not in project.people or project.status == "trashed":
            raise HttpError(404, "Not Found")
        return project

    def find(self, req: EmuRequest, kind: type[R], name: str = "id") -> R:
        """A recording the user may reach; a legacy ``/buckets/{bucket}/…`` path must name its project."""
        raw = req.path_params.get(name, "")
        recording = self.store.recordings.get(int(raw)) if raw.isdigit() else None
        if recording is None or not isinstance(recording, kind):
            raise HttpError(404, "Not Found")
        bucket = req.path_params.get("bucket")
        if bucket is not None and bucket != str(recording.bucket):
            raise HttpError(404, "Not Found")
        self.project(req, recording.bucket)
        return recording

    def listing(self, req: EmuRequest, items: list[Recording]) -> httpx.Response:
        """A paginated listing; a lagging one does not show the most recent change yet."""
        if req.lagging and items:
            newest = max(items, key=lambda r: (r.updated_at, r.id))
            items = [r for r in items if r is not newest]
        render = self.render(req)
        return paginate(req, [render.recording(r) for r in items], geared=self.geared)

    def one(self, req: EmuRequest, recording: Recording, status: int = 200) -> httpx.Response:
        headers = {"Location": self.render(req).app_url(recording)} if status == 201 else None
        return respond(req, self.render(req).recording(recording), status=status, headers=headers,
                       modified=recording.updated_at)

    # -- change events and webhook deliveries -------------------------------------

    def changed(self, req: EmuRequest, recording: Recording, action: str, **details: Any) -> None:
        """Stamp a change, record its event and queue a delivery for every matching webhook."""
        me = self.me(req)
        self.store.touch(recording, me.id, action, **details)
        kind = f"{recording.type.lower().replace('::', '_')}_{action}"
        for hook in self.store.webhooks.values():
            if hook.bucket != recording.bucket or not hook.active:
                continue
            if "all" not in hook.types and recording.type not in hook.types:
                continue
            render = self.render(req)
            payload: dict[str, Any] = {
                "id": self.store.new_id(),
                "kind": kind,
                "details": details,
                "created_at": stamp(recording.updated_at),
                "recording": {k: v for k, v in render.recording(recording).items()
                              if k not in ("description", "completed", "assignees", "completion_subscribers")},
                "creator": render.person(me),
            }
            text = getattr(recording, "content", getattr(recording, "description", ""))
            payload["recording"]["content"] = text if isinstance(recording, Todo) else render.rich(text)
            hook.deliveries.append(queue_delivery(self, self.store.new_id(), hook, payload, recording.updated_at))

    def pending_deliveries(self, webhook_id: int) -> list[dict[str, Any]]:
        """The payloads Basecamp would POST to a webhook's URL, oldest first (for daemon tests)."""
        hook = self.store.webhooks[webhook_id]
        return [d["request"]["body"] for d in hook.deliveries]
