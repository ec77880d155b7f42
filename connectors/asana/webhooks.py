"""Asana webhook deliveries: the ``X-Hook-Secret`` handshake and ``X-Hook-Signature`` checks.

From the reference (docs/_webhooks.html.md): while ``POST /webhooks`` is in
flight, Asana POSTs a handshake carrying ``X-Hook-Secret``; the target answers
200 echoing the header, and keeps the value, which is sent this once. Every
later delivery carries ``X-Hook-Signature``, an HMAC-SHA256 of the raw body
keyed with that secret (hex digits here: the copied docs do not name the
encoding; hex is the common reading, unverified), and a body ``{"events": [...]}``
which is empty for a heartbeat.

A handshake is accepted only while no secret is stored for the link side:
otherwise anyone who learnt the URL could swap the secret and then sign
deliveries of their own. ``pm-bridge webhooks register`` clears the stored
secret right before it creates a webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Literal

from bridge.core.ports import WebhookRequest, WebhookVerdict

SECRET_HEADER = "x-hook-secret"
SIGNATURE_HEADER = "x-hook-signature"
# What ``receive`` wants as ``secret``: the value the handshake handed over (stored by the daemon).
SECRET_SOURCE: Literal["handshake", "token", "app_secret"] = "handshake"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the hex HMAC-SHA256 of ``body``; compared in constant time."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().lower().encode())


def receive(request: WebhookRequest, secret: str | None) -> WebhookVerdict:
    """Answer one call from Asana; ``secret`` is the handshake secret stored for this link side, if any."""
    if request.method.upper() != "POST":
        return WebhookVerdict(status=405, reason=f"asana: {request.method} is not a webhook delivery")
    handshake = request.headers.get(SECRET_HEADER)
    if handshake is not None:
        if not handshake.strip():
            return WebhookVerdict(status=400, reason="asana: handshake with an empty X-Hook-Secret")
        if secret:
            return WebhookVerdict(
                status=403,
                reason="asana: handshake refused, this link side already holds a webhook "
                "secret (run `pm-bridge webhooks register` to replace the webhook)",
            )
        return WebhookVerdict(status=200, headers={"X-Hook-Secret": handshake}, secret=handshake, reason="asana: handshake")
    if not secret:
        return WebhookVerdict(
            status=401,
            reason="asana: no webhook secret stored for this link side (the handshake never "
            "reached the bridge; run `pm-bridge webhooks register` again)",
        )
    if SIGNATURE_HEADER not in request.headers:
        return WebhookVerdict(status=401, reason="asana: delivery without X-Hook-Signature")
    if not verify_signature(secret, request.body, request.headers[SIGNATURE_HEADER]):
        return WebhookVerdict(status=401, reason="asana: X-Hook-Signature does not match the body")
    events = _events(request.body)
    if events is None:
        return WebhookVerdict(status=400, reason='asana: the delivery body is not an {"events": [...]} object')
    if not events:
        return WebhookVerdict(status=200, reason="asana: heartbeat")
    return WebhookVerdict(status=200, trigger=True, reason=f"asana: {len(events)} event(s)")


def _events(body: bytes) -> list[Any] | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    events = payload.get("events") if isinstance(payload, dict) else None
    return events if isinstance(events, list) else None
