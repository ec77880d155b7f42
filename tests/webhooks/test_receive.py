"""Each tool's ``receive``: documented test vectors, handshakes, tampered bodies and signatures refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

import pytest

from bridge.core.ports import WebhookRequest, WebhookVerdict
from bridge.webhook_tokens import callback_url, receive_secret, webhook_token
from connectors.asana import webhooks as asana
from connectors.basecamp import webhooks as basecamp
from connectors.github import webhooks as github
from connectors.trello import webhooks as trello
from tests.spec.reference import ROOT

REFERENCE = ROOT
URL = "https://bridge.test/hooks/acme/client/0123456789abcdef0123456789abcdef"


def post(body: bytes, url: str = URL, method: str = "POST", **headers: str) -> WebhookRequest:
    return WebhookRequest(method=method, url=url, headers={k.replace("_", "-").lower(): v for k, v in headers.items()},
                          body=body)


def assert_refused(verdict: WebhookVerdict, *secrets: str, body: bytes = b"") -> None:
    assert verdict.status in (401, 403) and not verdict.trigger and verdict.secret is None
    assert verdict.reason
    for hidden in (*secrets, body.decode()):
        assert not hidden or hidden not in verdict.reason


# -- GitHub --------------------------------------------------------------------------------


def test_github_documented_test_vector() -> None:
    vector = json.loads((REFERENCE / "github/examples/webhook_signature_test_vector.json").read_text())
    body = vector["payload"].encode()
    assert github.verify_signature(vector["secret"].encode(), body, vector["X-Hub-Signature-256"])
    assert not github.verify_signature(vector["secret"].encode(), body + b" ", vector["X-Hub-Signature-256"])


def _github(event: str, payload: Mapping[str, object], secret: str, *, tamper: bool = False) -> WebhookRequest:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return post(body + (b" " if tamper else b""), x_github_event=event, x_hub_signature_256=signature)


def test_github_relevant_events_trigger_and_ping_does_not() -> None:
    example = json.loads((REFERENCE / "github/webhooks/payload-examples/issues.opened.payload.json").read_text())
    opened = github.receive(_github("issues", example, "tok"), "tok")
    assert (opened.status, opened.trigger) == (200, True)
    ping = json.loads((REFERENCE / "github/webhooks/payload-examples/ping.payload.json").read_text())
    assert github.receive(_github("ping", ping, "tok"), "tok") == WebhookVerdict(status=200, reason="github: ping")
    push = github.receive(_github("push", {"ref": "refs/heads/main"}, "tok"), "tok")
    assert (push.status, push.trigger) == (200, False)


def test_github_refuses_tampered_unsigned_and_wrongly_keyed() -> None:
    payload = {"action": "opened", "issue": {"number": 1}, "repository": {"full_name": "o/r"}}
    body = json.dumps(payload).encode()
    assert_refused(github.receive(_github("issues", payload, "tok", tamper=True), "tok"), "tok", body=body)
    assert_refused(github.receive(_github("issues", payload, "other"), "tok"), "tok", "other", body=body)
    assert_refused(github.receive(post(body, x_github_event="issues"), "tok"), "tok", body=body)
    assert_refused(github.receive(_github("issues", payload, "tok"), None), body=body)


# -- Asana ----------------------------------------------------------------------------------


def test_asana_handshake_echoes_the_secret_and_hands_it_over() -> None:
    verdict = asana.receive(post(b"", x_hook_secret="s3cr3t"), None)
    assert verdict.status == 200 and verdict.headers == {"X-Hook-Secret": "s3cr3t"}
    assert verdict.secret == "s3cr3t" and not verdict.trigger


def test_asana_refuses_a_second_handshake_that_would_swap_the_secret() -> None:
    verdict = asana.receive(post(b"", x_hook_secret="attacker"), "kept")
    assert verdict.status == 403 and verdict.secret is None and "kept" not in verdict.reason


def test_asana_signed_events_trigger_and_heartbeat_does_not() -> None:
    events = json.loads((REFERENCE / "asana/examples/events.json").read_text())["data"]
    body = json.dumps({"events": events}).encode()
    signed = asana.receive(post(body, x_hook_signature=asana.sign("kept", body)), "kept")
    assert (signed.status, signed.trigger) == (200, True)
    heartbeat = b'{"events": []}'
    beat = asana.receive(post(heartbeat, x_hook_signature=asana.sign("kept", heartbeat)), "kept")
    assert (beat.status, beat.trigger) == (200, False)
    # The signature is the hex HMAC-SHA256 of the raw body.
    assert asana.sign("kept", body) == hmac.new(b"kept", body, hashlib.sha256).hexdigest()


def test_asana_refuses_tampered_unsigned_and_before_handshake() -> None:
    body = b'{"events": [{"action": "changed"}]}'
    signature = asana.sign("kept", body)
    assert_refused(asana.receive(post(body + b" ", x_hook_signature=signature), "kept"), "kept", body=body)
    assert_refused(asana.receive(post(body, x_hook_signature=signature[:-1] + "0"), "kept"), "kept", body=body)
    assert_refused(asana.receive(post(body), "kept"), "kept", body=body)
    assert_refused(asana.receive(post(body, x_hook_signature=signature), None), body=body)


# -- Trello ---------------------------------------------------------------------------------


def test_trello_signature_is_base64_hmac_sha1_of_body_and_callback_url() -> None:
    body = json.dumps({"action": {"type": "updateCard"}, "model": {"id": "b"}}).encode()
    expected = base64.b64encode(hmac.new(b"app", body + URL.encode(), hashlib.sha1).digest()).decode()
    verdict = trello.receive(post(body, x_trello_webhook=expected), "app")
    assert (verdict.status, verdict.trigger) == (200, True)


def test_trello_head_check_is_answered_without_a_secret() -> None:
    assert trello.receive(post(b"", method="HEAD"), None).status == 200


def test_trello_refuses_tampered_body_other_url_and_wrong_secret() -> None:
    body = json.dumps({"action": {"type": "updateCard"}}).encode()
    signature = trello.sign("app", body, URL)
    assert_refused(trello.receive(post(body.replace(b"update", b"delete"), x_trello_webhook=signature), "app"), "app",
                   body=body)
    # Signed for another callback URL: the signature binds the URL too.
    assert_refused(trello.receive(post(body, url=URL + "x", x_trello_webhook=signature), "app"), "app", body=body)
    assert_refused(trello.receive(post(body, x_trello_webhook=signature), "other"), "app", "other", body=body)
    assert_refused(trello.receive(post(body, x_trello_webhook=signature), None), body=body)


# -- Basecamp -------------------------------------------------------------------------------


def test_basecamp_documented_delivery_with_the_right_token() -> None:
    token = webhook_token("master", "acme", "client")
    example = (REFERENCE / "basecamp/examples/webhook_payload.event.json").read_bytes()
    url = callback_url("https://bridge.test", "acme", "client", token)
    # The documented example is about a Message, which a to-do mirror does not read.
    ignored = WebhookVerdict(status=200, reason="basecamp: message_created ignored")
    assert basecamp.receive(post(example, url=url), token) == ignored
    todo = json.loads(example)
    todo["kind"], todo["recording"]["type"] = "todo_completed", "Todo"
    verdict = basecamp.receive(post(json.dumps(todo).encode(), url=url), token)
    assert (verdict.status, verdict.trigger) == (200, True)


@pytest.mark.parametrize(("kind", "recording", "hints"), [
    ("todo_completed", "Todo", {"todos"}),
    ("todo_content_updated", "Todo", {"todos"}),
    ("comment_created", "Comment", {"comments"}),
    ("todolist_archived", "Todolist", {"sections", "todos"}),  # its to-dos go with it, undelivered
])
def test_basecamp_delivery_names_the_listing_to_ask(kind: str, recording: str, hints: set[str]) -> None:
    token = webhook_token("master", "acme", "client")
    body = json.loads((REFERENCE / "basecamp/examples/webhook_payload.event.json").read_bytes())
    body["kind"], body["recording"]["type"] = kind, recording
    verdict = basecamp.receive(post(json.dumps(body).encode(), url=callback_url("https://bridge.test", "acme", "client", token)),
                               token)
    assert verdict.trigger and verdict.hints == hints


def test_basecamp_refuses_a_wrong_or_missing_token() -> None:
    token = webhook_token("master", "acme", "client")
    body = (REFERENCE / "basecamp/examples/webhook_payload.event.json").read_bytes()
    wrong = callback_url("https://bridge.test", "acme", "client", webhook_token("master", "acme", "internal"))
    assert_refused(basecamp.receive(post(body, url=wrong), token), token, body=body)
    assert_refused(basecamp.receive(post(body, url=callback_url("https://bridge.test", "acme", "client", token)), None),
                   token, body=body)


# -- tokens ---------------------------------------------------------------------------------


def test_tokens_are_derived_per_link_side_and_master() -> None:
    token = webhook_token("master", "acme", "client")
    assert len(token) == 32 and int(token, 16) >= 0
    assert token == webhook_token("master", "acme", "client")
    others = {webhook_token("master", "acme", "internal"), webhook_token("master", "acme2", "client"),
              webhook_token("other", "acme", "client")}
    assert token not in others and len(others) == 3
    assert token == hmac.new(b"master", b"acme/client", hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize(("module", "expected"), [(asana, "stored"), (github, "token"), (basecamp, "token"), (trello, "app")])
def test_each_tool_names_the_secret_it_checks(module: object, expected: str) -> None:
    source = module.SECRET_SOURCE  # type: ignore[attr-defined]
    assert receive_secret(source, token="token", stored="stored", app_secret="app") == expected
