"""Managing an Asana project's webhooks through the API (the connector's ``WebhookRegistry`` part).

``POST /webhooks {resource, target}`` does not return until Asana's handshake
with the target succeeded, so the receiver must be up before registering.
Listing needs the project's workspace (``GET /webhooks?workspace=&resource=``).
"""

from __future__ import annotations

from typing import Any

from bridge.core.ports import Webhook
from bridge.errors import Malformed
from bridge.http import HttpClient, iter_offset
from connectors.asana.reader import AsanaReader
from connectors.asana.translate import data_of

_FIELDS = "active,resource,target"


def _webhook(raw: Any, project_id: str) -> Webhook:
    if not isinstance(raw, dict) or not raw.get("gid") or not isinstance(raw.get("target"), str):
        raise Malformed("asana: a webhook lacks its gid or target")
    resource = raw.get("resource")
    watched = str(resource.get("gid")) if isinstance(resource, dict) and resource.get("gid") else project_id
    return Webhook(id=str(raw["gid"]), project_id=watched, callback_url=raw["target"], active=bool(raw.get("active", True)))


class AsanaWebhookAdmin:
    client: HttpClient
    reader: AsanaReader

    def register_webhook(self, project_id: str, callback_url: str, secret: str) -> Webhook:
        # ``secret`` has no place here: Asana picks the secret and hands it over in the handshake.
        body = self.client.request(
            "POST", "webhooks", json={"data": {"resource": project_id, "target": callback_url}}, params={"opt_fields": _FIELDS}
        )
        return _webhook(data_of(body.json(), "webhook"), project_id)

    def list_webhooks(self, project_id: str) -> list[Webhook]:
        _, workspace = self.reader.project(project_id)
        params = {"workspace": workspace, "resource": project_id, "limit": 100, "opt_fields": _FIELDS}
        return [_webhook(raw, project_id) for raw in iter_offset(self.client, "webhooks", params)]

    def remove_webhook(self, project_id: str, webhook_id: str) -> None:
        self.client.request("DELETE", f"webhooks/{webhook_id}")
