"""Inbound email posted by a mail provider to the daemon: Postmark, Mailgun or SendGrid, each with its own check.

Each provider's documented proof of origin (docs/email.md):

* **Mailgun** signs every POST: ``signature`` = hex HMAC-SHA256 of ``timestamp + token`` under the
  account's HTTP webhook signing key; a stale ``timestamp`` is a replay.
* **SendGrid** Inbound Parse with a signature security policy: ``X-Twilio-Email-Event-Webhook-Signature``
  is a base64 ECDSA (P-256, SHA-256) signature of ``timestamp + body``, timestamp in
  ``X-Twilio-Email-Event-Webhook-Timestamp``, checked with the policy's public key.
* **Postmark** inbound webhooks carry no signature: the documented protection is HTTP basic auth in
  the webhook URL (``https://user:password@host/...``); the password is the signing key here.

The connection's ``email.inbound.webhook`` pins the provider: a delivery never chooses the check it
passes. The verdict carries the message as RFC 822 bytes; the daemon keeps it for the connection's
next pull, where the sender, reply token and size are checked like a message read over IMAP.
Pure apart from reading the wall clock for the replay window.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import hashlib
import hmac
import json
import time
from email.message import EmailMessage, Message
from email.utils import formataddr
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from bridge.core.ports import WebhookRequest, WebhookVerdict

SECRET_SOURCE: Literal["handshake", "token", "app_secret"] = "app_secret"
SENDGRID_SIGNATURE = "x-twilio-email-event-webhook-signature"
SENDGRID_TIMESTAMP = "x-twilio-email-event-webhook-timestamp"
# Headers of a provider's parsed fields worth keeping on the rebuilt message.
KEPT_HEADERS = ("message-id", "in-reply-to", "references", "authentication-results", "cc", "delivered-to")


def _refuse(status: int, reason: str) -> WebhookVerdict:
    return WebhookVerdict(status=status, reason=reason)


def _form(request: WebhookRequest) -> dict[str, str | bytes]:
    """The fields of a multipart/form-data or urlencoded body (values of file parts as bytes)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qsl

        return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    if not content_type.startswith("multipart/form-data"):
        return {}
    parsed = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body,
                                      policy=email.policy.HTTP)
    fields: dict[str, str | bytes] = {}
    for part in parsed.iter_parts() if parsed.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = data if part.get_filename() else data.decode(part.get_content_charset() or "utf-8", "replace")
    return fields


def _text(value: str | bytes | None) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")


def _rebuild(sender: str, to: str, subject: str, text: str, headers: list[tuple[str, str]]) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers:
        if name.casefold() in KEPT_HEADERS and name not in message:
            message[name] = value
    message.set_content(text or "")
    return message.as_bytes()


def _fresh(timestamp: str, max_age: float) -> bool:
    try:
        return abs(time.time() - float(timestamp)) <= max_age
    except ValueError:
        return False


def mailgun_signature(key: str, timestamp: str, token: str) -> str:
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def _mailgun(request: WebhookRequest, key: str, max_age: float) -> WebhookVerdict:
    fields = _form(request)
    timestamp, token, signature = (_text(fields.get(k)) for k in ("timestamp", "token", "signature"))
    if not (timestamp and token and signature):
        return _refuse(401, "mailgun: no timestamp/token/signature (unsigned)")
    if not hmac.compare_digest(mailgun_signature(key, timestamp, token).encode(), signature.encode()):
        return _refuse(401, "mailgun: the signature does not match")
    if not _fresh(timestamp, max_age):
        return _refuse(401, "mailgun: the signed timestamp is too old (replay?)")
    if "body-mime" in fields:
        raw = fields["body-mime"]
        return _accepted(raw if isinstance(raw, bytes) else raw.encode())
    try:
        headers = [(str(n), str(v)) for n, v in json.loads(_text(fields.get("message-headers")) or "[]")]
    except (ValueError, TypeError):
        headers = []
    sender = _text(fields.get("from")) or _text(fields.get("sender"))
    return _accepted(_rebuild(sender, _text(fields.get("recipient")), _text(fields.get("subject")),
                              _text(fields.get("body-plain")), headers))


def _sendgrid_key(key: str) -> ec.EllipticCurvePublicKey | None:
    try:
        loaded = load_pem_public_key(key.encode()) if "BEGIN PUBLIC KEY" in key else load_der_public_key(base64.b64decode(key))
    except (ValueError, binascii.Error):
        return None
    return loaded if isinstance(loaded, ec.EllipticCurvePublicKey) else None


def _sendgrid(request: WebhookRequest, key: str, max_age: float) -> WebhookVerdict:
    signature, timestamp = request.headers.get(SENDGRID_SIGNATURE), request.headers.get(SENDGRID_TIMESTAMP)
    if not signature or not timestamp:
        return _refuse(401, "sendgrid: no signature headers (unsigned)")
    public_key = _sendgrid_key(key)
    if public_key is None:
        return _refuse(401, "sendgrid: email.inbound.webhook.signing_key is not an EC public key")
    try:
        public_key.verify(base64.b64decode(signature), timestamp.encode() + request.body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return _refuse(401, "sendgrid: the signature does not match")
    if not _fresh(timestamp, max_age):
        return _refuse(401, "sendgrid: the signed timestamp is too old (replay?)")
    fields = _form(request)
    if "email" in fields:  # "POST the raw, full MIME message"
        raw = fields["email"]
        return _accepted(raw if isinstance(raw, bytes) else raw.encode())
    header_block: Message = email.message_from_string(_text(fields.get("headers")) + "\n\n", policy=email.policy.default)
    return _accepted(_rebuild(_text(fields.get("from")), _text(fields.get("to")), _text(fields.get("subject")),
                              _text(fields.get("text")), [(n, str(v)) for n, v in header_block.items()]))


def _postmark(request: WebhookRequest, key: str) -> WebhookVerdict:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    try:
        password = base64.b64decode(encoded).decode().partition(":")[2] if scheme.casefold() == "basic" else ""
    except (ValueError, binascii.Error):
        password = ""
    if not password:
        return _refuse(401, "postmark: no basic auth (unsigned)")
    if not hmac.compare_digest(password.encode(), key.encode()):
        return _refuse(401, "postmark: wrong basic auth password")
    try:
        payload: Any = json.loads(request.body)
    except ValueError:
        return _refuse(400, "postmark: the body is not JSON")
    if not isinstance(payload, dict):
        return _refuse(400, "postmark: the body is not an inbound message")
    if isinstance(payload.get("RawEmail"), str):
        return _accepted(payload["RawEmail"].encode())
    headers = [(str(h.get("Name")), str(h.get("Value"))) for h in payload.get("Headers") or [] if isinstance(h, dict)]
    if payload.get("MessageID"):
        headers.append(("Message-ID", f"<{payload['MessageID']}>"))
    full: dict[str, Any] = payload["FromFull"] if isinstance(payload.get("FromFull"), dict) else {}
    sender = formataddr((str(full.get("Name") or ""), str(full.get("Email") or ""))) if full.get("Email") \
        else str(payload.get("From") or "")
    to = str(payload.get("OriginalRecipient") or payload.get("To") or "")
    return _accepted(_rebuild(sender, to, str(payload.get("Subject") or ""), str(payload.get("TextBody") or ""), headers))


def _accepted(raw: bytes) -> WebhookVerdict:
    return WebhookVerdict(status=200, trigger=True, message=raw, reason="inbound email accepted for the next pull")


def receive(request: WebhookRequest, secret: str | None) -> WebhookVerdict:
    """``secret`` is ``provider:max_age:key`` from the connection's ``email.inbound.webhook``."""
    if request.method.upper() != "POST":
        return _refuse(405, f"email: {request.method} is not an inbound delivery")
    provider, _, rest = (secret or "").partition(":")
    max_age_text, _, key = rest.partition(":")
    if not key:
        return _refuse(401, "email: no inbound webhook configured (email.inbound.webhook)")
    max_age = float(max_age_text or 900)
    if provider == "mailgun":
        return _mailgun(request, key, max_age)
    if provider == "sendgrid":
        return _sendgrid(request, key, max_age)
    if provider == "postmark":
        return _postmark(request, key)
    return _refuse(401, f"email: unknown provider {provider!r}")
