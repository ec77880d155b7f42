"""Managing a project's webhooks through the API (the connector's ``WebhookRegistry`` part).

``POST /buckets/{project}/webhooks.json {payload_url, types}``: the URL must be
HTTPS, and Basecamp signs nothing, so the link side's token in the URL is the
only proof a delivery is genuine (the ``secret`` argument has no use here).
Subscribes to the recording types a project's to-dos are made of.
"""

from __future__ import annotations

from typing import Any

from bridge.core.ports import Webhook
from bridge.errors import Malformed
from connectors.basecamp.rest import BasecampApi
from connectors.basecamp.webhooks import TYPES


def _webhook(raw: Any, project_id: str) -> Webhook:
    if not isinstance(raw, dict) or raw.get("id") is None or not isinstance(raw.get("payload_url"), str):
        raise Malformed("basecamp: a webhook lacks its id or payload_url")
    return Webhook(id=str(raw["id"]), project_id=project_id, callback_url=raw["payload_url"],
                   active=bool(raw.get("active", True)))


class BasecampWebhookAdmin:
    api: BasecampApi

    def register_webhook(self, project_id: str, callback_url: str, secret: str) -> Webhook:
        raw = self.api.write("POST", f"buckets/{project_id}/webhooks.json", {"payload_url": callback_url, "types": list(TYPES)})
        return _webhook(raw, project_id)

    def list_webhooks(self, project_id: str) -> list[Webhook]:
        return [_webhook(raw, project_id) for raw in self.api.many(f"buckets/{project_id}/webhooks.json")]

    def remove_webhook(self, project_id: str, webhook_id: str) -> None:
        self.api.write("DELETE", f"buckets/{project_id}/webhooks/{webhook_id}.json")
