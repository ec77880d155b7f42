"""Basecamp webhook deliveries: authenticating them and reading what they are about.

Basecamp signs nothing (webhooks.md documents no signature or HMAC), so a
delivery is trusted through a secret the payload URL carries, for example
``https://bridge.example/hooks/basecamp/<secret>``. :func:`verify_token`
compares it in constant time. The daemon's URLs end in the link side's token
(``{public_url}/hooks/{link}/{side}/{token}``), so :func:`receive` compares the
URL's last path segment with the token it is given.
"""

from __future__ import annotations

import hmac
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Literal

from bridge.core.ports import WebhookRequest, WebhookVerdict
from bridge.errors import Malformed

# What ``receive`` wants as ``secret``: the link side's token, which the URL must carry.
SECRET_SOURCE: Literal["handshake", "token", "app_secret"] = "token"
# The recording types a bridge webhook subscribes to: what a project's to-dos are made of.
TYPES = ("Todo", "Todolist", "Comment")
# What a delivery about each type tells the next pull to ask (connectors/basecamp/incremental.py). A
# list's delivery names the to-dos too: archiving or restoring a list moves its to-dos without a
# delivery of their own (webhooks.md, "status propagation to children recordings").
HINTS: dict[str, frozenset[str]] = {
    "Todo": frozenset({"todos"}),
    "Todolist": frozenset({"sections", "todos"}),
    "Comment": frozenset({"comments"}),
}


def verify_token(expected: str, presented: str) -> bool:
    """True when the secret a delivery presents is the configured one; an empty secret never matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


@dataclass(frozen=True)
class Delivery:
    """What a delivery tells the daemon: which project to sync, and why."""

    kind: str  # e.g. "todo_created", "todo_completed", "comment_created"
    project_id: str
    recording_id: str
    recording_type: str


def parse_delivery(body: Any) -> Delivery:
    """The few fields a delivery body (``{id, kind, details, created_at, recording, creator}``) must carry."""
    try:
        recording = body["recording"]
        return Delivery(kind=str(body["kind"]), project_id=str(int(recording["bucket"]["id"])),
                        recording_id=str(int(recording["id"])), recording_type=str(recording["type"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise Malformed(f"basecamp: a webhook delivery lacks the documented fields ({type(exc).__name__}: {exc})") from None


def receive(request: WebhookRequest, secret: str | None) -> WebhookVerdict:
    """Answer one delivery: 403 unless the URL's last path segment is ``secret``."""
    if request.method.upper() != "POST":
        return WebhookVerdict(status=405, reason=f"basecamp: {request.method} is not a webhook delivery")
    path = urllib.parse.urlsplit(request.url).path.rstrip("/")
    presented = urllib.parse.unquote(path.rsplit("/", 1)[-1])
    if not verify_token(secret or "", presented):
        return WebhookVerdict(status=403, reason="basecamp: the token in the URL is not this link side's")
    try:
        delivery = parse_delivery(json.loads(request.body))
    except (ValueError, Malformed):
        # Not the parser's message: it may quote a value from the body.
        return WebhookVerdict(status=400, reason="basecamp: the delivery body lacks the documented fields")
    if delivery.recording_type not in TYPES:
        return WebhookVerdict(status=200, reason=f"basecamp: {delivery.kind} ignored")
    return WebhookVerdict(status=200, trigger=True, reason=f"basecamp: {delivery.kind}", hints=HINTS[delivery.recording_type])
