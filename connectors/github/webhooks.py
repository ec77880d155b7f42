"""GitHub webhook deliveries: signature check and the little the daemon needs from a payload."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from bridge.errors import Malformed

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENTS = ("issues", "issue_comment", "label", "milestone")


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
