"""Emulator routes for ``/webhooks``, and the deliveries Asana makes to each webhook's target.

As the reference has it (docs/_webhooks.html.md, the spec's createWebhook):

* ``POST /webhooks {data: {resource, target, filters?}}`` POSTs a handshake with
  ``X-Hook-Secret`` to the target *while the create call waits*; the target must
  answer 200/204 echoing the header, or nothing is created. The 201 carries the
  webhook and the secret; a heartbeat (``{"events": []}``) follows.
* every event on the resource (a project hears about its tasks, subtasks and
  comments) is POSTed as ``{"events": [event]}`` with ``X-Hook-Signature``, the
  hex HMAC-SHA256 of the body keyed with the secret; filters pass an event when
  any of them matches.
* ``GET /webhooks?workspace=&resource=`` lists the caller's webhooks;
  ``GET|PUT|DELETE /webhooks/{gid}``.

Deliveries are queued (``emulator.deliver_pending()``, or the background sender
of ``pm-bridge emulate``); the handshake alone is synchronous. How they are
retried, and the heartbeat every 8 hours, is :data:`ASANA_DELIVERY`; the
webhook's ``last_success_at``, ``last_failure_at``, ``last_failure_content``,
``delivery_retry_count``, ``next_attempt_after`` and
``failure_deletion_timestamp`` follow the attempts, as the spec's
WebhookResponse describes them.
"""

from __future__ import annotations

import datetime as dt
import http
import json
import secrets
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.asana.emulator.http import AsanaApi
from connectors.asana.emulator.records import event_compact
from connectors.asana.webhooks import sign
from connectors.emulation import EmuRequest, HttpError
from connectors.emulation.toolkit import json_response
from connectors.emulation.webhooks import Attempt, Delivery, DeliveryPolicy, GiveUp

Handler = Callable[[EmuRequest], httpx.Response]

DAY, HOUR = 24 * 3600.0, 3600.0
# docs/_webhooks.html.md. "Errors and retries": an error status or a timeout is retried with
# exponential backoff, and a webhook that could not deliver for 24 hours is deleted. The steps are
# not documented; they double from a minute up to an hour, since the guide promises delivery
# resumes "no longer than approximately an hour" after a target an hour down comes back.
# "Webhook heartbeat events": an empty delivery every eight hours, deleted after 24 hours of no
# answer, which is the same 24-hour rule. The 10 s a target has to answer is Asana's.
ASANA_DELIVERY = DeliveryPolicy(
    retry_delays=(60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, HOUR),
    give_up_after=DAY,
    on_give_up=GiveUp.DELETE,
    heartbeat_every=8 * HOUR,
    timeout=10.0,
)


@dataclass
class AsanaHook:
    gid: str
    resource: dict[str, Any]  # the watched project or task, as a reference
    target: str
    secret: str
    owner: str  # the user gid whose token created it: lists show only the caller's
    created_at: str
    filters: list[dict[str, Any]] = field(default_factory=list)
    active: bool = True
    last_success_at: str | None = None
    last_failure_at: str | None = None
    last_failure_content: str = ""
    delivery_retry_count: int = 0
    next_attempt_after: str | None = None
    failure_deletion_timestamp: str | None = None

    def compact(self) -> dict[str, Any]:
        return {
            "gid": self.gid,
            "resource_type": "webhook",
            "active": self.active,
            "resource": self.resource,
            "target": self.target,
        }

    def full(self) -> dict[str, Any]:
        # The spec does not let the timestamps be null: a webhook that never delivered leaves them out.
        stamps = {
            k: v
            for k, v in (
                ("last_success_at", self.last_success_at),
                ("last_failure_at", self.last_failure_at),
                ("next_attempt_after", self.next_attempt_after),
                ("failure_deletion_timestamp", self.failure_deletion_timestamp),
            )
            if v is not None
        }
        return {
            **self.compact(),
            "created_at": self.created_at,
            "filters": self.filters,
            **stamps,
            "last_failure_content": self.last_failure_content,
            "delivery_retry_count": self.delivery_retry_count,
        }

    def passes(self, event: dict[str, Any]) -> bool:
        if not self.filters:
            return True
        resource = event.get("resource") or {}
        change = event.get("change") or {}
        for rule in self.filters:
            checks = (
                ("resource_type", resource.get("resource_type")),
                ("resource_subtype", resource.get("resource_subtype")),
                ("action", event.get("action")),
            )
            if all(rule.get(key) in (None, value) for key, value in checks) and (
                not rule.get("fields") or change.get("field") in rule["fields"]
            ):
                return True
        return False


class WebhookRoutes(AsanaApi):
    def webhook_routes(self) -> list[tuple[str, str, Handler]]:
        self.webhooks: dict[str, AsanaHook] = {}
        self.feed.listeners.append(self._on_event)
        self.outbox.policy = ASANA_DELIVERY
        self.outbox.alive = self._alive
        self.outbox.retire = self._retire
        return [
            ("GET", "/webhooks", self.list_webhooks),
            ("POST", "/webhooks", self.create_webhook),
            ("GET", "/webhooks/{gid}", self.get_webhook),
            ("PUT", "/webhooks/{gid}", self.update_webhook),
            ("DELETE", "/webhooks/{gid}", self.delete_webhook),
        ]

    # -- routes --------------------------------------------------------------------------

    def create_webhook(self, req: EmuRequest) -> httpx.Response:
        data = self.data(req)
        resource, target = data.get("resource"), data.get("target")
        if not resource:
            raise HttpError(400, "resource: Missing input")
        if not isinstance(target, str) or not target:
            raise HttpError(400, "target: Missing input")
        parts = urllib.parse.urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise HttpError(400, f"target: Not a valid URL: {target}")
        watched = self._watchable(str(resource))
        filters = data.get("filters") or []
        if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
            raise HttpError(400, "filters: Must be a list of webhook filters")
        secret = secrets.token_hex(32)
        answer = self.outbox.send(Delivery(target, b"", {"x-hook-secret": secret}))
        if answer.status not in (200, 204) or answer.headers.get("x-hook-secret") != secret:
            got = f"status {answer.status}" if answer.status else f"no answer ({answer.error})"
            raise HttpError(
                400,
                f"target: The webhook handshake with the target failed ({got}, X-Hook-Secret "
                f"{'echoed' if answer.headers.get('x-hook-secret') == secret else 'not echoed'})",
            )
        hook = AsanaHook(self.store.new_gid(), watched, target, secret, self.me(req), self.store.now(), filters)
        self.webhooks[hook.gid] = hook
        self._deliver(hook, [])  # the heartbeat that follows a handshake
        self.outbox.heartbeat(hook.gid, lambda: self._delivery(hook, []), self._delivered)
        body = {"data": hook.full(), "X-Hook-Secret": secret}
        return json_response(201, body, {"location": f"{req.base_url}/api/1.0/webhooks/{hook.gid}"})

    def list_webhooks(self, req: EmuRequest) -> httpx.Response:
        workspace = self.query(req, "workspace", required=True)
        if workspace != self.store.workspace.gid:
            raise HttpError(404, f"workspace: Unknown object: {workspace}")
        resource = self.query(req, "resource")
        hooks = [
            h for h in self.webhooks.values() if h.owner == self.me(req) and (resource is None or h.resource["gid"] == resource)
        ]
        return self.page(req, hooks, AsanaHook.full, AsanaHook.compact)

    def _hook(self, req: EmuRequest) -> AsanaHook:
        hook = self.webhooks.get(req.path_params["gid"])
        if hook is None or hook.owner != self.me(req):
            raise HttpError(404, f"webhook: Unknown object: {req.path_params['gid']}")
        return hook

    def get_webhook(self, req: EmuRequest) -> httpx.Response:
        return self.one(req, self._hook(req).full())

    def update_webhook(self, req: EmuRequest) -> httpx.Response:
        hook = self._hook(req)
        filters = self.data(req).get("filters")
        if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
            raise HttpError(400, "filters: Must be a list of webhook filters")
        hook.filters = filters
        return self.one(req, hook.full())

    def delete_webhook(self, req: EmuRequest) -> httpx.Response:
        gid = self._hook(req).gid
        del self.webhooks[gid]
        self.outbox.forget(gid)
        return self.empty()

    # -- deliveries ------------------------------------------------------------------------

    def _watchable(self, gid: str) -> dict[str, Any]:
        if gid in self.store.projects:
            return self.store.projects[gid].ref()
        if gid in self.store.tasks:
            return self.store.tasks[gid].ref()
        raise HttpError(404, f"resource: Unknown object: {gid}")

    def _on_event(self, resources: set[str], event: dict[str, Any]) -> None:
        touched = set(resources)
        for ref in (event.get("resource"), event.get("parent")):
            if isinstance(ref, dict):
                touched.add(str(ref.get("gid")))
        for hook in list(self.webhooks.values()):
            if hook.active and hook.resource["gid"] in touched and hook.passes(event):
                self._deliver(hook, [event_compact(event)])

    def _delivery(self, hook: AsanaHook, events: list[dict[str, Any]]) -> Delivery:
        body = json.dumps({"events": events}).encode()
        headers = {"content-type": "application/json", "x-hook-signature": sign(hook.secret, body)}
        return Delivery(hook.target, body, headers, hook=hook.gid)

    def _deliver(self, hook: AsanaHook, events: list[dict[str, Any]]) -> None:
        self.outbox.enqueue(self._delivery(hook, events), self._delivered)

    def _alive(self, gid: str) -> bool:
        hook = self.webhooks.get(gid)
        return hook is not None and hook.active

    def _retire(self, gid: str, how: GiveUp) -> None:
        # Asana only ever deletes: "if we are unable to deliver a message for 24 hours, the webhook will be deleted".
        with self.lock:
            self.webhooks.pop(gid, None)

    def _stamp(self, at: float) -> str:
        """The emulator's wall time at clock reading ``at``, as Asana writes timestamps."""
        now = dt.datetime.fromisoformat(self.store.now().replace("Z", "+00:00"))
        moment = now + dt.timedelta(seconds=at - self.clock.now())
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _delivered(self, attempt: Attempt) -> None:
        with self.lock:
            hook = self.webhooks.get(attempt.delivery.hook)
            if hook is None:
                return
            if attempt.number > 1:
                hook.delivery_retry_count += 1
            if attempt.ok:
                hook.last_success_at = self._stamp(attempt.at)
                hook.delivery_retry_count = 0
                hook.failure_deletion_timestamp = None
            else:
                hook.last_failure_at = self._stamp(attempt.at)
                hook.last_failure_content = failure_content(attempt)
                if hook.failure_deletion_timestamp is None:
                    hook.failure_deletion_timestamp = self._stamp(attempt.at + DAY)
            retry = self.outbox.retry_due(hook.gid)
            hook.next_attempt_after = None if retry is None else self._stamp(retry)


def failure_content(attempt: Attempt) -> str:
    """Like the spec's example ``500 Server Error\\n\\nCould not complete the request``: status line, then body."""
    if not attempt.status:
        return f"no answer ({attempt.error})"
    try:
        reason = http.HTTPStatus(attempt.status).phrase
    except ValueError:
        reason = ""
    line = f"{attempt.status} {reason}".strip()
    return f"{line}\n\n{attempt.text}" if attempt.text else line
