"""Webhooks in the Trello emulator: the ``/webhooks`` and ``/tokens/{token}/webhooks`` routes, and deliveries.

As the reference has it: creating a webhook (``callbackURL``, ``idModel``,
``description``, ``active``) first sends a HEAD to the callback URL and
refuses unless it answers 200. A webhook belongs to the token that created it
(``GET /tokens/{token}/webhooks``). Every action on the watched model (a
board, or one of its lists or cards) is POSTed as ``{action, model, webhook}``
with ``X-Trello-Webhook = base64(HMAC-SHA1(app secret, body + callbackURL))``,
the app secret being the OAuth secret of the API key that created the webhook.
Deliveries are queued in the emulator's outbox and retried as :data:`TRELLO_DELIVERY` says;
a 410 Gone answer deletes the webhook.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from connectors.emulation.toolkit import EmuRequest, HttpError
from connectors.emulation.webhooks import Attempt, Delivery, DeliveryPolicy, GiveUp
from connectors.trello.emulator.request import NOT_FOUND, flag, member_of, ok, required, text
from connectors.trello.emulator.store import OBJECT_ID, Action, World, iso
from connectors.trello.webhooks import sign

if TYPE_CHECKING:
    from connectors.trello.emulator.server import TrelloEmulator

Route = Callable[[World, EmuRequest], httpx.Response]

# Trello's webhooks guide (github.com/trello-archive/api-docs, app/templates/apis/webhooks.html):
# "If for some reason the connection is disrupted, or unavailable, the webhook will retry 3 times
# before stopping", and "if the webhook request from Trello, when POSTing to the callbackURL,
# receives an HTTP 410 Gone response, the webhook will be deleted". Issue #53 of that repository
# adds that a POST waits 30 seconds for an answer. The spacing of the retries is not documented;
# 30, 60 and 90 seconds is this emulator's choice. A delivery that fails four times is dropped and
# the webhook stays (its consecutiveFailures shows it); no documented rule disables it for that.
TRELLO_DELIVERY = DeliveryPolicy(
    retry_delays=(30.0, 60.0, 90.0),
    max_attempts=4,
    on_give_up=GiveUp.DROP,
    gone=frozenset({410}),
    timeout=30.0,
)


def default_app_secret(key: str) -> str:
    """The OAuth secret the emulator gives an API key unless told otherwise (64 hex digits, like Trello's)."""
    return hashlib.sha256(f"trello-emulator-oauth-secret:{key}".encode()).hexdigest()


@dataclass
class TrelloHook:
    id: str
    id_model: str
    callback_url: str
    description: str
    key: str
    token: str
    active: bool = True
    consecutive_failures: int = 0
    first_consecutive_fail_date: str | None = None

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "idModel": self.id_model,
            "callbackURL": self.callback_url,
            "active": self.active,
            "consecutiveFailures": self.consecutive_failures,
            "firstConsecutiveFailDate": self.first_consecutive_fail_date,
        }


class TrelloWebhooks:
    def __init__(self, emulator: TrelloEmulator) -> None:
        self.emulator = emulator
        self.hooks: dict[str, TrelloHook] = {}
        self.app_secrets: dict[str, str] = {}  # API key -> OAuth secret, when not the default
        emulator.world.listeners.append(self._on_action)
        emulator.outbox.policy = TRELLO_DELIVERY
        emulator.outbox.alive = self._alive
        emulator.outbox.retire = self._retire

    def app_secret(self, key: str) -> str:
        return self.app_secrets.get(key) or default_app_secret(key)

    def table(self) -> list[tuple[str, str, Route]]:
        return [
            ("POST", "/webhooks", self.create),
            ("GET", "/webhooks/{hook}", self.get),
            ("PUT", "/webhooks/{hook}", self.update),
            ("DELETE", "/webhooks/{hook}", self.delete),
            ("GET", "/tokens/{token}/webhooks", self.list_for_token),
            ("POST", "/tokens/{token}/webhooks", self.create),
            ("GET", "/tokens/{token}/webhooks/{hook}", self.get),
            ("PUT", "/tokens/{token}/webhooks/{hook}", self.update),
            ("DELETE", "/tokens/{token}/webhooks/{hook}", self.delete),
        ]

    # -- routes --------------------------------------------------------------------

    def _credentials(self, req: EmuRequest) -> tuple[str, str]:
        key, _, token = self.emulator.credential(req).partition("\x00")
        named = req.path_params.get("token")
        if named is not None and named != token:
            raise HttpError(401, "invalid token")
        return key, token

    def create(self, world: World, req: EmuRequest) -> httpx.Response:
        member = member_of(world, req)
        key, token = self._credentials(req)
        url = required(req, "callbackURL")
        model = required(req, "idModel")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise HttpError(400, "invalid value for callbackURL")
        if not OBJECT_ID.match(model) or not self._visible(world, model, member):
            raise HttpError(400, "invalid value for idModel")
        if any(h.callback_url == url and h.id_model == model and h.token == token for h in self.hooks.values()):
            raise HttpError(400, "A webhook with that callback, model, and token already exists")
        check = self.emulator.outbox.send(Delivery(url, method="HEAD"))
        if check.status != 200:
            got = check.status or "no answer"
            raise HttpError(400, f"URL ({url}) did not return 200 status code, got {got}")
        hook = TrelloHook(
            world.object_id(), model, url, text(req, "description") or "", key, token, active=flag(req, "active") is not False
        )
        self.hooks[hook.id] = hook
        return ok(hook.render())

    def _hook(self, req: EmuRequest) -> TrelloHook:
        _, token = self._credentials(req)
        hook = self.hooks.get(req.path_params["hook"])
        if hook is None or hook.token != token:
            raise HttpError(404, NOT_FOUND)
        return hook

    def get(self, world: World, req: EmuRequest) -> httpx.Response:
        return ok(self._hook(req).render())

    def update(self, world: World, req: EmuRequest) -> httpx.Response:
        hook = self._hook(req)
        member = member_of(world, req)
        model = text(req, "idModel")
        if model is not None:
            if not OBJECT_ID.match(model) or not self._visible(world, model, member):
                raise HttpError(400, "invalid value for idModel")
            hook.id_model = model
        hook.callback_url = text(req, "callbackURL") or hook.callback_url
        hook.description = text(req, "description", hook.description) or ""
        active = flag(req, "active")
        if active is not None:
            hook.active = active
        return ok(hook.render())

    def delete(self, world: World, req: EmuRequest) -> httpx.Response:
        hook_id = self._hook(req).id
        del self.hooks[hook_id]
        self.emulator.outbox.forget(hook_id)
        return ok({"_value": None})

    def list_for_token(self, world: World, req: EmuRequest) -> httpx.Response:
        _, token = self._credentials(req)
        return ok([h.render() for h in self.hooks.values() if h.token == token])

    # -- deliveries -------------------------------------------------------------------

    @staticmethod
    def _visible(world: World, model: str, member: str) -> bool:
        if model in world.boards:
            return member in world.boards[model].members
        owner = world.cards.get(model) or world.lists.get(model)
        return owner is not None and member in world.boards[owner.id_board].members

    def _model(self, world: World, model: str) -> dict[str, Any]:
        if model in world.boards:
            return world.boards[model].render()
        if model in world.cards:
            return world.render_card(world.cards[model])
        return world.lists[model].render()

    def _on_action(self, action: Action) -> None:
        world = self.emulator.world
        touched = {action.id_board} | {
            str(action.data[k].get("id")) for k in ("card", "list") if isinstance(action.data.get(k), dict)
        }
        for hook in list(self.hooks.values()):
            if not hook.active or hook.id_model not in touched:
                continue
            body = json.dumps(
                {"action": world.render_action(action), "model": self._model(world, hook.id_model), "webhook": hook.render()}
            ).encode()
            headers = {
                "content-type": "application/json",
                "x-trello-webhook": sign(self.app_secret(hook.key), body, hook.callback_url),
            }
            self.emulator.outbox.enqueue(Delivery(hook.callback_url, body, headers, hook=hook.id), self._delivered)

    def _alive(self, hook_id: str) -> bool:
        hook = self.hooks.get(hook_id)
        return hook is not None and hook.active

    def _retire(self, hook_id: str, how: GiveUp) -> None:
        if how is GiveUp.DELETE:  # a 410 Gone answer: the only way a delivery ends a Trello webhook
            with self.emulator.lock:
                self.hooks.pop(hook_id, None)

    def _delivered(self, attempt: Attempt) -> None:
        with self.emulator.lock:
            hook = self.hooks.get(attempt.delivery.hook)
            if hook is None:
                return
            if attempt.ok:
                hook.consecutive_failures, hook.first_consecutive_fail_date = 0, None
            else:
                hook.consecutive_failures += 1
                if hook.first_consecutive_fail_date is None:
                    hook.first_consecutive_fail_date = iso(self.emulator.world.wall())
