"""Trello webhook deliveries: the HEAD check and the ``X-Trello-Webhook`` signature.

From the reference: when a webhook is created Trello sends a HEAD to the
callback URL and creates the webhook only on a 200. Deliveries are POSTs whose
body holds the ``action`` and the ``model``, signed with
``X-Trello-Webhook: base64(HMAC-SHA1(application OAuth secret, body + callbackURL))``
where the URL is the callback exactly as registered. The secret is the
application's (the Power-Up's) OAuth secret, not anything the bridge chooses:
the connection's ``webhook_secret``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Literal

from bridge.core.ports import WebhookRequest, WebhookVerdict

SIGNATURE_HEADER = "x-trello-webhook"
# What ``receive`` wants as ``secret``: the application's OAuth secret (connection webhook_secret).
SECRET_SOURCE: Literal["handshake", "token", "app_secret"] = "app_secret"


def sign(secret: str, body: bytes, callback_url: str) -> str:
    digest = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_signature(secret: str, body: bytes, callback_url: str, header: str | None) -> bool:
    """True when ``header`` signs ``body`` + ``callback_url`` with ``secret``; compared in constant time."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body, callback_url).encode(), header.strip().encode())


def receive(request: WebhookRequest, secret: str | None) -> WebhookVerdict:
    """Answer one call from Trello; ``secret`` is the application's OAuth secret."""
    method = request.method.upper()
    if method == "HEAD":
        return WebhookVerdict(status=200, reason="trello: callback URL check")
    if method != "POST":
        return WebhookVerdict(status=405, reason=f"trello: {request.method} is not a webhook delivery")
    if not secret:
        return WebhookVerdict(status=401, reason="trello: no application secret configured (set webhook_secret on the "
                                                 "Trello connection to the Power-Up's OAuth secret)")
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None:
        return WebhookVerdict(status=401, reason="trello: delivery without X-Trello-Webhook")
    if not verify_signature(secret, request.body, request.url, header):
        return WebhookVerdict(status=401, reason="trello: X-Trello-Webhook does not match the body and callback URL")
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    action = payload.get("action") if isinstance(payload, dict) else None
    if not isinstance(action, dict):
        return WebhookVerdict(status=400, reason="trello: the delivery body has no action")
    return WebhookVerdict(status=200, trigger=True, reason=f"trello: {action.get('type', 'action')}")
