"""Each emulator's webhook API (register, list, remove through the connector) and its deliveries on a change."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from bridge.clock import VirtualClock
from bridge.core.ports import Connector, NewTask, WebhookRegistry, WebhookRequest, WebhookVerdict
from bridge.errors import BridgeError
from bridge.webhook_tokens import callback_url, webhook_token
from connectors import asana, basecamp, github, trello
from connectors.emulation.sandbox import Sandbox
from connectors.emulation.webhooks import to_receiver
from tests.webhooks.conftest import MASTER, PUBLIC, Receiver

SANDBOXES: dict[str, Callable[[VirtualClock], Sandbox]] = {
    "asana": lambda clock: asana.Sandbox(clock=clock),
    "trello": lambda clock: trello.Sandbox(clock=clock),
    "github": lambda clock: github.Sandbox(clock=clock),
    "basecamp": lambda clock: basecamp.Sandbox(clock=clock),
}


@dataclass
class Setup:
    kind: str
    sandbox: Sandbox
    project: str
    bridge: Connector
    receiver: Receiver

    @property
    def registry(self) -> WebhookRegistry:
        assert isinstance(self.bridge, WebhookRegistry)
        return self.bridge

    def url(self, side: str = "client") -> str:
        return callback_url(PUBLIC, "acme", side, webhook_token(MASTER, "acme", side))

    def register(self) -> str:
        hook = self.registry.register_webhook(self.project, self.url(), webhook_token(MASTER, "acme", "client"))
        assert hook.callback_url == self.url() and hook.active
        return hook.id

    def change(self) -> None:
        self.sandbox.connector("human").create_task(self.project, NewTask(title="Client asks for a logo"))


@pytest.fixture(params=sorted(SANDBOXES))
def setup(request: pytest.FixtureRequest) -> Setup:
    kind: str = request.param
    sandbox = SANDBOXES[kind](VirtualClock())
    project = sandbox.create_project("Acme x Agency", ["To do", "Done"])
    receiver = Receiver({"acme/client": kind})
    if kind == "trello":
        secret = sandbox.connection().webhook_secret
        assert secret is not None
        receiver.app_secrets["acme/client"] = secret.get_secret_value()
    sandbox.emulator.outbox.use(to_receiver(receiver))
    return Setup(kind, sandbox, project, sandbox.connector("bridge"), receiver)


def test_register_list_remove_round_trip(setup: Setup) -> None:
    assert setup.registry.list_webhooks(setup.project) == []
    hook_id = setup.register()
    listed = setup.registry.list_webhooks(setup.project)
    assert [(h.id, h.callback_url, h.active) for h in listed] == [(hook_id, setup.url(), True)]
    setup.registry.remove_webhook(setup.project, hook_id)
    assert setup.registry.list_webhooks(setup.project) == []
    with pytest.raises(BridgeError):
        setup.registry.remove_webhook(setup.project, hook_id)


def test_a_change_is_queued_then_delivered_signed_and_triggers(setup: Setup) -> None:
    setup.register()
    setup.sandbox.emulator.deliver_pending()  # what creation sends (Asana's heartbeat, GitHub's ping)
    before = len(setup.receiver.verdicts)
    setup.change()
    # Nothing went out while the emulator answered the write: deliveries wait in the outbox.
    assert len(setup.receiver.verdicts) == before and setup.sandbox.emulator.outbox.pending
    attempts = setup.sandbox.emulator.deliver_pending()
    assert attempts and all(a.status == 200 for a in attempts)
    assert setup.receiver.triggered() and not setup.sandbox.emulator.outbox.pending


def test_after_removal_changes_are_not_delivered(setup: Setup) -> None:
    hook_id = setup.register()
    setup.sandbox.emulator.deliver_pending()
    setup.registry.remove_webhook(setup.project, hook_id)
    setup.change()
    assert setup.sandbox.emulator.deliver_pending() == []


def test_a_delivery_signed_for_another_side_is_refused(setup: Setup) -> None:
    """The emulator's real payload and signature, replayed to another link side's URL, fail there."""
    setup.register()
    setup.change()
    setup.receiver.kinds["acme/internal"] = setup.kind
    setup.receiver.app_secrets["acme/internal"] = "another-app-secret"
    attempts = setup.sandbox.emulator.deliver_pending()
    replayed = attempts[-1].delivery
    request = WebhookRequest(method="POST", url=setup.url("internal"), headers=replayed.headers, body=replayed.body)
    if setup.kind == "basecamp":
        # Nothing is signed: the URL is the credential, so only the client side's token opens the client side.
        verdict = basecamp.webhooks.receive(request, webhook_token(MASTER, "acme", "client"))
    else:
        verdict = setup.receiver(request)
    assert verdict.status in (401, 403) and not verdict.trigger


def test_asana_creation_fails_when_the_target_does_not_echo_the_handshake() -> None:
    sandbox = asana.Sandbox(clock=VirtualClock())
    project = sandbox.create_project("P", ["A"])
    sandbox.emulator.outbox.use(httpx.MockTransport(lambda request: httpx.Response(200)))
    with pytest.raises(BridgeError, match="handshake"):
        sandbox.connector("bridge").register_webhook(project, f"{PUBLIC}/hooks/a/b/c", "x")  # type: ignore[attr-defined]
    assert sandbox.connector("bridge").list_webhooks(project) == []  # type: ignore[attr-defined]


def test_asana_handshake_is_signed_by_the_secret_later_deliveries_use() -> None:
    sandbox = asana.Sandbox(clock=VirtualClock())
    project = sandbox.create_project("P", ["A"])
    seen: list[httpx.Request] = []

    def target(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204, headers={"X-Hook-Secret": request.headers.get("x-hook-secret", "")})

    sandbox.emulator.outbox.use(httpx.MockTransport(target))
    sandbox.connector("bridge").register_webhook(project, f"{PUBLIC}/hooks/a/b/c", "x")  # type: ignore[attr-defined]
    secret = seen[0].headers["x-hook-secret"]
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    sandbox.emulator.deliver_pending()
    heartbeat, event = seen[1], seen[-1]
    assert json.loads(heartbeat.content) == {"events": []}
    assert json.loads(event.content)["events"][0]["resource"]["name"] == "T"
    for delivery in (heartbeat, event):
        assert asana.webhooks.verify_signature(secret, delivery.content, delivery.headers["x-hook-signature"])


def test_trello_creation_needs_a_200_on_the_head_check() -> None:
    sandbox = trello.Sandbox(clock=VirtualClock())
    board = sandbox.create_project("B", ["L"])
    methods: list[str] = []

    def gone(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        return httpx.Response(404)

    sandbox.emulator.outbox.use(httpx.MockTransport(gone))
    with pytest.raises(BridgeError, match="did not return 200"):
        sandbox.connector("bridge").register_webhook(board, f"{PUBLIC}/hooks/a/b/c", "x")  # type: ignore[attr-defined]
    assert methods == ["HEAD"]


def test_github_ping_on_creation_carries_the_hook_and_is_signed() -> None:
    sandbox = github.Sandbox(clock=VirtualClock())
    repo = sandbox.create_project("R", [])
    answers: list[WebhookVerdict] = []

    def answer(request: WebhookRequest) -> WebhookVerdict:
        answers.append(github.webhooks.receive(request, "tok"))
        return answers[-1]

    sandbox.emulator.outbox.use(to_receiver(answer))
    hook = sandbox.connector("bridge").register_webhook(repo, f"{PUBLIC}/hooks/a/b/c", "tok")  # type: ignore[attr-defined]
    (attempt,) = sandbox.emulator.deliver_pending()
    assert attempt.delivery.headers["x-github-event"] == "ping"
    assert json.loads(attempt.delivery.body)["hook_id"] == int(hook.id)
    assert answers[0] == WebhookVerdict(status=200, reason="github: ping")


def test_basecamp_recent_deliveries_show_the_target_answer() -> None:
    sandbox = basecamp.Sandbox(clock=VirtualClock())
    project = sandbox.create_project("P", ["L"])
    sandbox.emulator.outbox.use(httpx.MockTransport(lambda request: httpx.Response(503)))
    bridge = sandbox.connector("bridge")
    hook = bridge.register_webhook(project, f"{PUBLIC}/hooks/a/b/c", "x")  # type: ignore[attr-defined]
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    hooks = sandbox.emulator.store.webhooks  # type: ignore[attr-defined]
    assert "response" not in hooks[int(hook.id)].deliveries[0]  # not attempted yet
    sandbox.emulator.deliver_pending()
    response = hooks[int(hook.id)].deliveries[0]["response"]
    assert (response["code"], response["message"]) == (503, "Service Unavailable")
