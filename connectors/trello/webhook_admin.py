"""Managing a board's webhooks through the API (the connector's ``WebhookRegistry`` part).

``POST /webhooks`` (``idModel`` = the board, ``callbackURL``): Trello first
sends a HEAD to the URL and creates nothing unless it answers 200, so the
receiver must be up. Webhooks belong to the token, and are listed per token
(``GET /tokens/{token}/webhooks``); this keeps the board's. Deliveries are
signed with the application's OAuth secret, which the bridge does not choose:
the ``secret`` argument has no use here.
"""

from __future__ import annotations

import re
from typing import Any

from bridge.core.ports import Webhook
from bridge.errors import Malformed
from connectors.trello.rest import TrelloApi

DESCRIPTION = "pm-bridge"
_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")


def _webhook(raw: Any) -> Webhook:
    if not isinstance(raw, dict) or not raw.get("id") or not isinstance(raw.get("callbackURL"), str):
        raise Malformed("trello: a webhook lacks its id or callbackURL")
    return Webhook(id=str(raw["id"]), project_id=str(raw.get("idModel") or ""), callback_url=raw["callbackURL"],
                   active=bool(raw.get("active", True)))


class TrelloWebhookAdmin:
    api: TrelloApi
    token: str

    def _board_id(self, project_id: str) -> str:
        """Webhooks name the board by its id; a link may name it by its short link."""
        if _OBJECT_ID.match(project_id):
            return project_id
        board = self.api.obj(f"boards/{project_id}", {"fields": "id"})
        if not isinstance(board.get("id"), str):
            raise Malformed(f"trello: board {project_id} came back without an id")
        return board["id"]

    def register_webhook(self, project_id: str, callback_url: str, secret: str) -> Webhook:
        params = {"idModel": self._board_id(project_id), "callbackURL": callback_url, "description": DESCRIPTION}
        return _webhook(self.api.write("POST", "webhooks", params))

    def list_webhooks(self, project_id: str) -> list[Webhook]:
        board = self._board_id(project_id)
        hooks = [_webhook(raw) for raw in self.api.many(f"tokens/{self.token}/webhooks")]
        return [hook for hook in hooks if hook.project_id == board]

    def remove_webhook(self, project_id: str, webhook_id: str) -> None:
        self.api.write("DELETE", f"webhooks/{webhook_id}")
