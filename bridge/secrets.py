"""Keeping credentials out of logs, errors, the state store and the audit log."""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_known: set[str] = set()

# Query parameters and headers that carry credentials in the four tools' APIs.
_PARAM = re.compile(r"(?i)\b(token|key|access_token|api_key|secret|password)=([^&\s\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer|token|oauth)\s+[A-Za-z0-9._~+/=-]{8,}")


def register(secret: str | None) -> None:
    """Remember a secret so :func:`redact` removes it wherever it shows up."""
    if secret and len(secret) >= 4:
        with _lock:
            _known.add(secret)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, "***")
    text = _PARAM.sub(lambda m: f"{m.group(1)}=***", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
