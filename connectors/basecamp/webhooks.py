"""Basecamp webhook deliveries: authenticating them and reading what they are about.

Basecamp signs nothing (webhooks.md documents no signature or HMAC), so a
delivery is trusted through a secret the payload URL carries, for example
``https://bridge.example/hooks/basecamp/<secret>``. :func:`verify_token`
compares it in constant time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from bridge.errors import Malformed


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
