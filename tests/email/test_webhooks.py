"""Replies posted by a mail provider (Postmark, Mailgun, SendGrid): each provider's check, then end to end
through the daemon's delivery handling into the next cycle."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from bridge.config.email import InboundSettings, WebhookInbound
from bridge.config.schema import Config
from bridge.core.ports import WebhookRequest
from bridge.daemon.hooks import Deliveries
from bridge.daemon.metrics import Metrics
from bridge.webhook_tokens import webhook_token
from connectors.email import webhooks
from connectors.email.sink import SmtpSink
from tests.email.support import CLIENT, PARIS, EmailWorld, parse, reply, settings, smtp

MAILGUN_KEY = "mailgun-signing-key-123"
POSTMARK_PASSWORD = "postmark-basic-pass-456"
MASTER = "master-webhook-secret-789"
PRIVATE = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(PRIVATE.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        for name, value in fields.items()
    ) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def mailgun(raw: bytes, *, key: str = MAILGUN_KEY, timestamp: float | None = None, signature: str | None = None,
            ) -> WebhookRequest:
    stamp, token = str(int(timestamp or time.time())), uuid.uuid4().hex
    fields = {"timestamp": stamp, "token": token, "signature": signature or webhooks.mailgun_signature(key, stamp, token),
              "body-mime": raw.decode()}
    body, content_type = multipart(fields)
    return WebhookRequest(method="POST", url="https://bridge.example/hooks/acme/client/t", headers={"content-type": content_type},
                          body=body)


def sendgrid(raw: bytes, *, private: ec.EllipticCurvePrivateKey = PRIVATE, timestamp: float | None = None) -> WebhookRequest:
    body, content_type = multipart({"email": raw.decode(), "to": "x", "from": "y"})
    stamp = str(int(timestamp or time.time()))
    signature = base64.b64encode(private.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    headers = {"content-type": content_type, webhooks.SENDGRID_SIGNATURE: signature, webhooks.SENDGRID_TIMESTAMP: stamp}
    return WebhookRequest(method="POST", url="https://bridge.example/hooks/acme/client/t", headers=headers, body=body)


def postmark(to: str, text: str, *, password: str = POSTMARK_PASSWORD, sender: str = CLIENT) -> WebhookRequest:
    payload = {"FromFull": {"Email": sender, "Name": "Carla Client"}, "From": sender, "OriginalRecipient": to, "To": to,
               "Subject": "Re: update", "TextBody": f"{text}\n\nOn Mon, Agency wrote:\n> quoted", "MessageID": "abc-1",
               "Headers": [{"Name": "In-Reply-To", "Value": "<approval-t1@replies.agency.example>"}]}
    auth = base64.b64encode(f"postmark:{password}".encode()).decode()
    return WebhookRequest(method="POST", url="https://bridge.example/hooks/acme/client/t",
                          headers={"content-type": "application/json", "authorization": f"Basic {auth}"},
                          body=json.dumps(payload).encode())


def secret(provider: str, key: str) -> str:
    return f"{provider}:900:{key}"


RAW = reply("reply+t1-99999-abc@replies.agency.example", "Looks good")


def test_mailgun_checks_the_hmac_of_timestamp_and_token() -> None:
    accepted = webhooks.receive(mailgun(RAW), secret("mailgun", MAILGUN_KEY))
    assert accepted.status == 200 and accepted.trigger and accepted.message == RAW
    assert webhooks.receive(mailgun(RAW, key="forged"), secret("mailgun", MAILGUN_KEY)).status == 401
    assert webhooks.receive(mailgun(RAW, timestamp=time.time() - 3600), secret("mailgun", MAILGUN_KEY)).status == 401
    unsigned = mailgun(RAW, signature="0" * 64)
    assert webhooks.receive(unsigned, secret("mailgun", MAILGUN_KEY)).status == 401


def test_sendgrid_checks_the_ecdsa_signature_of_timestamp_and_body() -> None:
    accepted = webhooks.receive(sendgrid(RAW), secret("sendgrid", SENDGRID_PUBLIC))
    assert accepted.status == 200 and accepted.message is not None and b"Looks good" in accepted.message
    forged = sendgrid(RAW, private=ec.generate_private_key(ec.SECP256R1()))
    assert webhooks.receive(forged, secret("sendgrid", SENDGRID_PUBLIC)).status == 401
    tampered = sendgrid(RAW)
    tampered = tampered.model_copy(update={"body": tampered.body.replace(b"Looks good", b"Looks bad!")})
    assert webhooks.receive(tampered, secret("sendgrid", SENDGRID_PUBLIC)).status == 401
    unsigned = sendgrid(RAW).model_copy(update={"headers": {"content-type": "multipart/form-data; boundary=x"}})
    assert webhooks.receive(unsigned, secret("sendgrid", SENDGRID_PUBLIC)).status == 401
    assert webhooks.receive(sendgrid(RAW, timestamp=time.time() - 3600), secret("sendgrid", SENDGRID_PUBLIC)).status == 401


def test_postmark_checks_the_basic_auth_of_its_webhook_url() -> None:
    accepted = webhooks.receive(postmark("reply+t1-1-a@r.example", "Fine"), secret("postmark", POSTMARK_PASSWORD))
    assert accepted.status == 200 and accepted.message is not None
    message = parse(accepted.message)
    assert message["From"].addresses[0].addr_spec == CLIENT and message["In-Reply-To"] == "<approval-t1@replies.agency.example>"
    forged = postmark("reply+t1-1-a@r.example", "Fine", password="guess")
    assert webhooks.receive(forged, secret("postmark", POSTMARK_PASSWORD)).status == 401
    bare = forged.model_copy(update={"headers": {"content-type": "application/json"}})
    assert webhooks.receive(bare, secret("postmark", POSTMARK_PASSWORD)).status == 401


def test_the_configured_provider_is_the_only_check_a_delivery_can_pass() -> None:
    # A SendGrid public key is public: a delivery must not pass it off as a Postmark password.
    as_postmark = postmark("reply+t1-1-a@r.example", "Fine", password=SENDGRID_PUBLIC)
    assert webhooks.receive(as_postmark, secret("sendgrid", SENDGRID_PUBLIC)).status == 401
    assert webhooks.receive(mailgun(RAW), secret("postmark", MAILGUN_KEY)).status == 401
    assert webhooks.receive(mailgun(RAW), None).status == 401


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp() as server:
        yield server


def _config(world: EmailWorld, provider: str, key: str) -> Config:
    email = settings(None, inbound=InboundSettings(webhook=WebhookInbound(provider=provider, signing_key=SecretStr(key))))
    return Config.model_validate({
        "state": world.state_url,
        "connections": {"agency": {"kind": "memory", "base_url": "memory://email-tests", "token": "t"},
                        "client-mail": {"kind": "email", "email": email.model_dump(mode="python")}},
        "links": {"acme": {"internal": {"connection": "agency", "project": world.project},
                           "client": {"connection": "client-mail", "project": "Acme website"}}},
        "daemon": {"webhook_secret": MASTER},
    })


@pytest.mark.parametrize("provider", ["mailgun", "sendgrid", "postmark"])
def test_a_reply_posted_to_the_daemon_reaches_the_internal_task(tmp_path: Path, sink: SmtpSink, provider: str) -> None:
    world = EmailWorld(tmp_path, settings(sink.port))
    try:
        task = world.task("Final logo", "For approval")
        world.cycle()
        reply_to = str(parse(sink.received[0].data)["Reply-To"])
        key = {"mailgun": MAILGUN_KEY, "sendgrid": SENDGRID_PUBLIC, "postmark": POSTMARK_PASSWORD}[provider]
        woken: list[str] = []
        deliveries = Deliveries(_config(world, provider, key), world.store, woken.append, Metrics())
        raw = reply(reply_to, "approve, lovely")
        request = {"mailgun": lambda: mailgun(raw), "sendgrid": lambda: sendgrid(raw),
                   "postmark": lambda: postmark(reply_to, "approve, lovely")}[provider]()
        token = webhook_token(MASTER, "acme", "client")
        # Mailgun signs the timestamp and token only (its documented scheme), the others the whole delivery.
        forged = mailgun(raw, key="forged") if provider == "mailgun" else request.model_copy(update={
            "headers": {**request.headers, "authorization": "Basic eDp5"}, "body": request.body.replace(b"lovely", b"LOVELY")})
        assert deliveries.handle("acme", "client", token, forged).status == 401
        verdict = deliveries.handle("acme", "client", token, request)
        assert verdict.status == 200 and woken == ["acme"]
        world.at(dt.datetime(2026, 12, 7, 8, 10, tzinfo=PARIS)).cycle()
        internal = world.internal()
        assert "client-approved" in internal.tasks[task].labels
        assert [c.text for c in internal.comments_of(task)] == ["Client Carla Client: approve, lovely"]
    finally:
        world.close()
