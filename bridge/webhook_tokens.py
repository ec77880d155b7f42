"""Per-link-side webhook tokens, and which secret a tool's ``receive`` checks a delivery against.

Every webhook URL ends in a token, ``{public_url}/hooks/{link}/{side}/{token}``.
Tokens are derived from the master secret (``daemon.webhook_secret``) rather
than stored, so the daemon and ``pm-bridge webhooks`` agree on them without
sharing state, and changing the master secret revokes every URL at once.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

TOKEN_LENGTH = 32
SecretSource = Literal["handshake", "token", "app_secret"]


def webhook_token(master: str, link: str, side: str) -> str:
    """The URL token of one link side: HMAC-SHA256(master, "link/side") in hex, cut to 32 characters."""
    return hmac.new(master.encode(), f"{link}/{side}".encode(), hashlib.sha256).hexdigest()[:TOKEN_LENGTH]


def callback_url(public_url: str, link: str, side: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/hooks/{link}/{side}/{token}"


def receive_secret(source: SecretSource, *, token: str, stored: str | None, app_secret: str | None) -> str | None:
    """What to pass as ``secret`` to a tool's ``receive``; ``source`` is its module's ``SECRET_SOURCE``.

    ``handshake``: what the tool handed over and the daemon stored (Asana);
    ``token``: the link side's URL token, which ``pm-bridge webhooks register``
    gave the tool as its signing secret (GitHub) or which is the only proof
    there is (Basecamp); ``app_secret``: the connection's ``webhook_secret``,
    the key the tool signs with whoever registered (Trello's OAuth secret).
    """
    if source == "handshake":
        return stored
    if source == "token":
        return token
    return app_secret
