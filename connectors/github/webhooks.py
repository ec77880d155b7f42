"""GitHub webhook deliveries: signature check and the little the daemon needs from a payload.

The secret is the one ``pm-bridge webhooks register`` put in the hook's
``config.secret``: the link side's token (bridge/webhook_tokens.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Literal

from bridge.core.ports import WebhookRequest, WebhookVerdict
from bridge.errors import Malformed

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENTS = ("issues", "issue_comment", "label", "milestone")
# What ``receive`` wants as ``secret``: the link side's token, given to GitHub as config.secret.
SECRET_SOURCE: Literal["handshake", "token", "app_secret"] = "token"


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=<hex HMAC-SHA256(secret, body)>``; compared in constant time."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


@dataclass(frozen=True)
class Delivery:
    event: str  # X-GitHub-Event: issues, issue_comment, label, milestone, ping
    action: str | None
    repository: str | None  # "owner/repo", the project id a link names

    @property
    def relevant(self) -> bool:
        """Whether the delivery can change a snapshot (a ping or a push cannot)."""
        return self.event in EVENTS


def parse_delivery(headers: dict[str, str], body: bytes) -> Delivery:
    """Read a delivery whose signature was already verified."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        payload: Any = json.loads(body)
    except ValueError:
        raise Malformed("github: the webhook delivery body is not JSON") from None
    if not isinstance(payload, dict):
        raise Malformed("github: the webhook delivery body is not a JSON object")
    repo = payload.get("repository")
    full_name = repo.get("full_name") if isinstance(repo, dict) else None
    action = payload.get("action")
    return Delivery(lowered.get("x-github-event", ""), action if isinstance(action, str) else None, full_name)


def receive(request: WebhookRequest, secret: str | None) -> WebhookVerdict:
    """Answer one delivery: 401 unless signed with ``secret``; a ping or an unrelated event triggers nothing."""
    if request.method.upper() != "POST":
        return WebhookVerdict(status=405, reason=f"github: {request.method} is not a webhook delivery")
    if not secret:
        return WebhookVerdict(status=401, reason="github: no webhook secret for this link side")
    header = request.headers.get(SIGNATURE_HEADER.lower())
    if header is None:
        return WebhookVerdict(status=401, reason="github: delivery without X-Hub-Signature-256")
    if not verify_signature(secret.encode(), request.body, header):
        return WebhookVerdict(status=401, reason="github: X-Hub-Signature-256 does not match the body")
    try:
        delivery = parse_delivery(request.headers, request.body)
    except Malformed as exc:
        return WebhookVerdict(status=400, reason=str(exc))
    if delivery.event == "ping":
        return WebhookVerdict(status=200, reason="github: ping")
    if not delivery.relevant:
        return WebhookVerdict(status=200, reason=f"github: {delivery.event or 'unnamed'} event ignored")
    action = f".{delivery.action}" if delivery.action else ""
    return WebhookVerdict(status=200, trigger=True, reason=f"github: {delivery.event}{action}")
