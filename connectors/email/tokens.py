"""Per-item reply addresses: ``reply+<item>-<expiry>-<signature>@<reply domain>``.

The signature is an HMAC-SHA256 of (connection, project, item, expiry day) under the
connection's ``email.signing_key``, so a reply address cannot be made up, moved to
another item or project, or used after it expires. Everything is lower case: some
mail servers fold the case of the local part. Pure: no I/O, the day comes in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

SIGNATURE_CHARS = 24  # hex: 96 bits
_TOKEN = re.compile(r"^reply\+([a-z0-9]+)-(\d+)-([0-9a-f]+)$")


@dataclass(frozen=True)
class ReplyTarget:
    item: str
    expires_day: int  # days since 1970-01-01


def _signature(key: str, connection: str, project: str, item: str, expires_day: int) -> str:
    message = "\0".join((connection, project, item, str(expires_day))).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def reply_address(key: str, connection: str, project: str, item: str, expires_day: int, domain: str) -> str:
    if not re.fullmatch(r"[a-z0-9]+", item):
        raise ValueError(f"item id {item!r} cannot go into a reply address")
    return f"reply+{item}-{expires_day}-{_signature(key, connection, project, item, expires_day)}@{domain}"


def is_reply_address(address: str, domain: str) -> bool:
    local, _, host = address.casefold().rpartition("@")
    return host == domain.casefold() and local.startswith("reply+")


def verify(key: str, connection: str, project: str, address: str, domain: str, today: int) -> ReplyTarget | str:
    """The item a reply address names, or why it is refused (a reason for the log, never the address's secret)."""
    local, _, host = address.casefold().rpartition("@")
    if host != domain.casefold():
        return "reply address on another domain"
    match = _TOKEN.match(local)
    if match is None:
        return "malformed reply token"
    item, day, signature = match.group(1), int(match.group(2)), match.group(3)
    expected = _signature(key, connection, project, item, day)
    if len(signature) != SIGNATURE_CHARS or not hmac.compare_digest(signature.encode(), expected.encode()):
        return "forged reply token (bad signature)"
    if day < today:
        return "expired reply token"
    return ReplyTarget(item=item, expires_day=day)
