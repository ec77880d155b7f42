"""How each emulator retries a failed delivery, gives up, and sends heartbeats, on a virtual clock."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask
from bridge.webhook_tokens import callback_url, webhook_token
from connectors import asana, basecamp, github, trello
from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.sandbox import USERS, Sandbox
from connectors.emulation.webhooks import Attempt, DeliveryPolicy, to_receiver
from tests.webhooks.conftest import MASTER, PUBLIC, Receiver

DAY, HOUR = 24 * 3600.0, 3600.0
URL = f"{PUBLIC}/hooks/acme/client/tok"

SANDBOXES: dict[str, Callable[[VirtualClock], Sandbox]] = {
    "asana": lambda clock: asana.Sandbox(clock=clock),
    "basecamp": lambda clock: basecamp.Sandbox(clock=clock),
    "github": lambda clock: github.Sandbox(clock=clock),
    "trello": lambda clock: trello.Sandbox(clock=clock),
}


class Target:
    """A webhook receiver that fails the first ``failures`` tries of each delivery body with ``status``.

    Asana's handshake and Trello's HEAD check are always answered the way the tools want, so a
    webhook can be created whatever the target does later.
    """

    def __init__(self, clock: VirtualClock, failures: int = 0, status: int = 503) -> None:
        self.clock, self.failures, self.status = clock, failures, status
        self.tries: Counter[bytes] = Counter()
        self.seen: list[tuple[float, httpx.Request, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(200)
        if "x-hook-secret" in request.headers:
            return httpx.Response(200, headers={"X-Hook-Secret": request.headers["x-hook-secret"]})
        body = request.read()
        self.tries[body] += 1
        status = self.status if self.tries[body] <= self.failures else 200
        self.seen.append((self.clock.now(), request, status))
        return httpx.Response(status, text="down for maintenance" if status >= 300 else "{}")


def world(kind: str, target: Target) -> tuple[Sandbox, str, str]:
    """A sandbox delivering to ``target``, a project and the id of a webhook on it."""
    sandbox = SANDBOXES[kind](target.clock)
    project = sandbox.create_project("Acme x Agency", ["To do"])
    sandbox.emulator.outbox.use(httpx.MockTransport(target))
    hook = sandbox.connector("bridge").register_webhook(project, URL, "tok")  # type: ignore[attr-defined]
    return sandbox, project, hook.id


def drain_until(sandbox: Sandbox, clock: VirtualClock, done: Callable[[], bool], limit: int = 1000) -> list[Attempt]:
    """Move the clock from one due delivery to the next and send it, until ``done()``."""
    attempts = sandbox.emulator.deliver_pending()
    for _ in range(limit):
        if done():
            return attempts
        due = sandbox.emulator.outbox.next_due()
        assert due is not None, "nothing more is due"
        clock.advance(max(due - clock.now(), 0.0))
        attempts += sandbox.emulator.deliver_pending()
    raise AssertionError("never done")


# -- retries that end in a success ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "gaps"), [("asana", (60.0, 120.0)), ("basecamp", (60.0, 120.0)), ("trello", (30.0, 60.0))])
def test_a_receiver_failing_twice_gets_each_delivery_once_successfully_at_the_backoff_times(
    kind: str, gaps: tuple[float, float]
) -> None:
    clock = VirtualClock()
    target = Target(clock)
    sandbox, project, _ = world(kind, target)
    sandbox.emulator.deliver_pending()  # what creation sends
    target.seen.clear()
    target.failures = 2
    sandbox.connector("human").create_task(project, NewTask(title="Client asks for a logo"))
    start = clock.now()
    assert sandbox.emulator.deliver_pending() and all(s == 503 for _, _, s in target.seen)

    clock.advance(gaps[0] - 1)
    assert sandbox.emulator.deliver_pending() == []  # not due yet
    clock.advance(1)
    assert {a.status for a in sandbox.emulator.deliver_pending()} == {503}
    clock.advance(gaps[1])
    assert {a.status for a in sandbox.emulator.deliver_pending()} == {200}
    assert sandbox.emulator.outbox.pending == []

    clock.advance(HOUR)
    assert [a for a in sandbox.emulator.deliver_pending() if a.delivery.body in target.tries] == []
    bodies = {request.content for _, request, _ in target.seen}
    assert bodies
    for body in bodies:
        tries = [(at, status) for at, request, status in target.seen if request.content == body]
        assert tries == [(start, 503), (start + gaps[0], 503), (start + gaps[0] + gaps[1], 200)]


def test_github_does_not_retry_a_failed_delivery() -> None:
    clock = VirtualClock()
    target = Target(clock, failures=1)
    sandbox, project, _ = world("github", target)
    (ping,) = sandbox.emulator.deliver_pending()
    assert (ping.status, ping.retry_at) == (503, None) and sandbox.emulator.outbox.pending == []
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    assert [a.status for a in sandbox.emulator.deliver_pending()] == [503]
    clock.advance(DAY)
    assert sandbox.emulator.deliver_pending() == [] and len(target.seen) == 2


# -- Asana: giving up after 24 hours, heartbeats every 8 ----------------------------------------------------------


def asana_webhook(sandbox: Sandbox, gid: str) -> dict[str, Any]:
    """``GET /webhooks/{gid}`` as any client would send it; None when Asana answers 404."""
    with httpx.Client(
        base_url=sandbox.emulator.base_url,
        transport=sandbox.emulator.transport(),
        headers={"Authorization": f"Bearer {USERS['bridge'].token}"},
    ) as http:
        response = http.get(f"/webhooks/{gid}")
    return {"status": response.status_code, **(response.json().get("data") or {})}


def test_asana_retries_with_growing_backoff_then_deletes_the_webhook_after_24_hours() -> None:
    clock = VirtualClock()
    target = Target(clock, failures=10**6, status=500)
    sandbox, project, gid = world("asana", target)
    start = clock.now()
    (first,) = sandbox.emulator.deliver_pending()  # the heartbeat after the handshake
    assert (first.status, first.retry_at) == (500, start + 60)

    shown = asana_webhook(sandbox, gid)
    assert shown["status"] == 200 and shown["last_failure_content"].startswith("500 Internal Server Error")
    assert "down for maintenance" in shown["last_failure_content"] and "last_success_at" not in shown
    assert shown["delivery_retry_count"] == 0
    assert shown["next_attempt_after"] > shown["last_failure_at"]
    assert shown["failure_deletion_timestamp"][:10] == "2024-01-02"  # the sandbox's day one, plus 24 hours

    hooks: dict[str, Any] = sandbox.emulator.webhooks  # type: ignore[attr-defined]
    attempts = drain_until(sandbox, clock, lambda: gid not in hooks)
    mine = [a for a in [first, *attempts] if a.delivery is first.delivery]
    times = [a.at - start for a in mine]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert gaps[:7] == [60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0] and max(gaps) == 3600.0
    assert times[-1] == DAY and mine[-1].retry_at is None  # the try on the 24-hour mark failed: deleted
    assert asana_webhook(sandbox, gid)["status"] == 404
    assert sandbox.connector("bridge").list_webhooks(project) == []  # type: ignore[attr-defined]

    # Nothing more goes to the target: queued retries and heartbeats went with the webhook.
    assert sandbox.emulator.outbox.pending == [] and sandbox.emulator.outbox.next_due() is None
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    clock.advance(9 * HOUR)
    assert sandbox.emulator.deliver_pending() == []


def test_asana_failures_then_a_success_reset_the_retry_count() -> None:
    clock = VirtualClock()
    target = Target(clock, failures=3)
    sandbox, _, gid = world("asana", target)
    drain_until(sandbox, clock, lambda: not sandbox.emulator.outbox.pending)
    shown = asana_webhook(sandbox, gid)
    assert shown["delivery_retry_count"] == 0 and shown["last_success_at"] > shown["last_failure_at"]
    assert "next_attempt_after" not in shown and "failure_deletion_timestamp" not in shown


def test_asana_heartbeat_every_eight_hours_is_signed_empty_and_does_not_ask_for_a_cycle() -> None:
    clock = VirtualClock()
    sandbox = asana.Sandbox(clock=clock)
    project = sandbox.create_project("P", ["A"])
    receiver = Receiver({"acme/internal": "asana"})
    sandbox.emulator.outbox.use(to_receiver(receiver))
    token = webhook_token(MASTER, "acme", "internal")
    hook = sandbox.connector("bridge").register_webhook(  # type: ignore[attr-defined]
        project, callback_url(PUBLIC, "acme", "internal", token), "unused"
    )
    secret = receiver.stored["acme/internal"]
    sandbox.emulator.deliver_pending()  # the heartbeat right after the handshake

    beats: list[Attempt] = []
    for _ in range(2):
        clock.advance(8 * HOUR - 1)
        assert sandbox.emulator.deliver_pending() == []
        clock.advance(1)
        beats += sandbox.emulator.deliver_pending()
    assert len(beats) == 2 and all(b.status == 200 for b in beats)
    for beat in beats:
        assert json.loads(beat.delivery.body) == {"events": []}
        assert asana.webhooks.verify_signature(secret, beat.delivery.body, beat.delivery.headers["x-hook-signature"])
    assert [v.reason for _, v in receiver.verdicts][-2:] == ["asana: heartbeat"] * 2
    assert receiver.triggered() == []  # the bridge's receiver answers a heartbeat without a cycle
    assert asana_webhook(sandbox, hook.id)["last_success_at"] > asana_webhook(sandbox, hook.id)["created_at"]

    # A clock that jumps three days sends one heartbeat, not nine, and the next is 8 hours on.
    clock.advance(3 * DAY)
    assert len(sandbox.emulator.deliver_pending()) == 1
    clock.advance(8 * HOUR)
    assert len(sandbox.emulator.deliver_pending()) == 1


def test_asana_heartbeats_stop_when_the_webhook_is_deleted() -> None:
    clock = VirtualClock()
    sandbox, project, gid = world("asana", Target(clock))
    sandbox.emulator.deliver_pending()
    sandbox.connector("bridge").remove_webhook(project, gid)  # type: ignore[attr-defined]
    clock.advance(2 * DAY)
    assert sandbox.emulator.deliver_pending() == []


# -- Basecamp: delivery records, and deactivation after 10 attempts -------------------------------------------------


def basecamp_webhook(sandbox: Sandbox, hook_id: str) -> dict[str, Any]:
    with httpx.Client(
        base_url=f"{sandbox.emulator.base_url}/{ACCOUNT_ID}",
        transport=sandbox.emulator.transport(),
        headers={"Authorization": f"Bearer {USERS['bridge'].token}", "User-Agent": basecamp.emulator.sandbox.SANDBOX_USER_AGENT},
    ) as http:
        response = http.get(f"/webhooks/{hook_id}.json")
    assert response.status_code == 200
    shown: dict[str, Any] = response.json()
    return shown


def test_basecamp_recent_deliveries_are_the_25_newest_exchanges_newest_first() -> None:
    clock = VirtualClock()
    target = Target(clock)
    sandbox, project, hook_id = world("basecamp", target)
    anna = sandbox.connector("human")
    for n in range(30):
        anna.create_task(project, NewTask(title=f"Task {n}"))
        clock.advance(1)
    sandbox.emulator.deliver_pending()
    records = basecamp_webhook(sandbox, hook_id)["recent_deliveries"]
    assert len(records) == 25
    stamps = [r["created_at"] for r in records]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 25
    titles = [r["request"]["body"]["recording"]["title"] for r in records if r["request"]["body"]["kind"] == "todo_created"]
    assert titles[0] == "Task 29" and "Task 0" not in titles
    assert all(r["response"]["code"] == 200 and r["response"]["body"] == "{}" for r in records)
    assert records[0]["request"]["headers"]["User-Agent"] == "Basecamp3 Webhook"


def test_basecamp_record_shows_the_latest_attempt_of_a_retried_delivery() -> None:
    clock = VirtualClock()
    target = Target(clock, failures=1)
    sandbox, project, hook_id = world("basecamp", target)
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    sandbox.emulator.deliver_pending()
    (record,) = basecamp_webhook(sandbox, hook_id)["recent_deliveries"]
    assert (record["response"]["code"], record["response"]["message"]) == (503, "Service Unavailable")
    clock.advance(60)
    sandbox.emulator.deliver_pending()
    (record,) = basecamp_webhook(sandbox, hook_id)["recent_deliveries"]
    assert (record["response"]["code"], record["response"]["message"]) == (200, "OK")


def test_basecamp_deactivates_a_webhook_after_ten_failed_attempts() -> None:
    clock = VirtualClock()
    target = Target(clock, failures=10**6)
    sandbox, project, hook_id = world("basecamp", target)
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    start = clock.now()
    attempts = drain_until(sandbox, clock, lambda: not sandbox.emulator.outbox.pending)
    assert [a.number for a in attempts] == list(range(1, 11))
    assert attempts[-1].at - start == 60 * (2**9 - 1)  # a minute, doubling, nine times
    assert basecamp_webhook(sandbox, hook_id)["active"] is False
    sandbox.connector("human").create_task(project, NewTask(title="After"))
    clock.advance(DAY)
    assert sandbox.emulator.deliver_pending() == [] and len(target.seen) == 10


# -- Trello: three retries, and 410 Gone ------------------------------------------------------------------------------


def test_trello_410_gone_deletes_the_webhook_without_retrying() -> None:
    clock = VirtualClock()
    target = Target(clock, failures=10**6, status=410)
    sandbox, project, _ = world("trello", target)
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    attempts = sandbox.emulator.deliver_pending()
    assert attempts and attempts[0].status == 410 and attempts[0].retry_at is None
    assert sandbox.connector("bridge").list_webhooks(project) == []  # type: ignore[attr-defined]
    assert sandbox.emulator.outbox.pending == []
    sandbox.connector("human").create_task(project, NewTask(title="After"))
    clock.advance(HOUR)
    assert sandbox.emulator.deliver_pending() == []


def test_trello_stops_after_three_retries_and_keeps_the_webhook() -> None:
    clock = VirtualClock()
    target = Target(clock, failures=10**6)
    sandbox, project, hook_id = world("trello", target)
    sandbox.connector("human").create_task(project, NewTask(title="T"))
    start = clock.now()
    attempts = drain_until(sandbox, clock, lambda: not sandbox.emulator.outbox.pending)
    per_body = Counter(a.delivery.body for a in attempts)
    assert set(per_body.values()) == {4}
    assert sorted({a.at - start for a in attempts}) == [0.0, 30.0, 90.0, 180.0]
    (listed,) = sandbox.connector("bridge").list_webhooks(project)  # type: ignore[attr-defined]
    assert listed.id == hook_id and listed.active
    hook = sandbox.emulator.webhooks.hooks[hook_id]  # type: ignore[attr-defined]
    assert hook.consecutive_failures == 4 * len(per_body)


# -- the policy object --------------------------------------------------------------------------------------------------


def test_a_policy_that_retries_must_end_somewhere() -> None:
    with pytest.raises(ValueError, match="max_attempts or give_up_after"):
        DeliveryPolicy(retry_delays=(60.0,))
    with pytest.raises(ValueError, match="positive"):
        DeliveryPolicy(retry_delays=(0.0,), max_attempts=2)
