"""Keeping credentials out of what the store writes (docs/design.md invariant 10)."""

from __future__ import annotations

from typing import Any

from bridge.secrets import redact


def scrub(value: Any) -> Any:
    """Redact every string inside a JSON-able value, keys included.

    Redacting string by string rather than the serialised document keeps the
    result valid JSON and catches a secret even where JSON escaping would have
    changed its spelling (a quote or backslash inside it).
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrub(str(key)): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def scrub_text(value: str | None) -> str | None:
    return None if value is None else redact(value)
