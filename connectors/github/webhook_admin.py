"""Managing a repository's webhooks through the API (the connector's ``WebhookRegistry`` part).

``POST /repos/{o}/{r}/hooks`` with ``config.secret`` (GitHub then signs every
delivery with ``X-Hub-Signature-256``) and the events a snapshot depends on;
GitHub answers the creation with a ``ping`` delivery. Needs a token allowed to
administer the repository's webhooks (fine-grained: "Webhooks: Read and write").
"""

from __future__ import annotations

from typing import Any, Protocol

from bridge.core.ports import Webhook
from bridge.errors import Malformed
from bridge.http import HttpClient, iter_link
from connectors.github.webhooks import EVENTS


class _Repository(Protocol):
    client: HttpClient

    def _path(self, project_id: str) -> str: ...


def _webhook(raw: Any, project_id: str) -> Webhook:
    config = raw.get("config") if isinstance(raw, dict) else None
    if not isinstance(config, dict) or raw.get("id") is None:
        raise Malformed("github: a hook lacks its id or config")
    return Webhook(id=str(raw["id"]), project_id=project_id, callback_url=str(config.get("url") or ""),
                   active=bool(raw.get("active", True)))


class GithubWebhookAdmin:
    def register_webhook(self: _Repository, project_id: str, callback_url: str, secret: str) -> Webhook:
        config = {"url": callback_url, "content_type": "json", "secret": secret, "insecure_ssl": "0"}
        payload = {"name": "web", "active": True, "events": list(EVENTS), "config": config}
        raw = self.client.request("POST", f"{self._path(project_id)}/hooks", json=payload).json()
        return _webhook(raw, project_id)

    def list_webhooks(self: _Repository, project_id: str) -> list[Webhook]:
        return [_webhook(raw, project_id) for raw in iter_link(self.client, f"{self._path(project_id)}/hooks",
                                                              {"per_page": 100})]

    def remove_webhook(self: _Repository, project_id: str, webhook_id: str) -> None:
        self.client.request("DELETE", f"{self._path(project_id)}/hooks/{webhook_id}")
