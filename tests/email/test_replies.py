"""Replies come back through a real IMAP server (pymap): comments, approvals, requests; and what is refused."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from bridge.store import mailbox
from connectors.email.sink import SmtpSink
from tests.email.support import PARIS, EmailWorld, deliver, parse, reply


def _approval_reply_to(world: EmailWorld, sink: SmtpSink, title: str) -> str:
    message = next(parse(r.data) for r in sink.received if parse(r.data)["Subject"] == f"Approval needed: {title}")
    return str(message["Reply-To"])


def test_a_reply_becomes_the_clients_comment_without_quote_or_signature(world: EmailWorld, servers: tuple[SmtpSink, int]) -> None:
    sink, port = servers
    task = world.task("Final logo", "For approval")
    world.cycle()
    deliver(port, reply(_approval_reply_to(world, sink, "Final logo"), "Could the blue be darker?", quoted="SECRET QUOTE"))
    world.at(dt.datetime(2026, 12, 7, 8, 10, tzinfo=PARIS)).cycle()
    comments = [c.text for c in world.internal().comments_of(task)]
    assert comments == ["Client Carla Client: Could the blue be darker?"]
    labels = world.internal().tasks[task].labels
    assert "client-approved" not in labels
    world.at(dt.datetime(2026, 12, 7, 8, 20, tzinfo=PARIS)).cycle()  # read once: never copied twice
    assert len(world.internal().comments_of(task)) == 1


def test_a_reply_starting_with_approve_approves_the_item(world: EmailWorld, servers: tuple[SmtpSink, int]) -> None:
    sink, port = servers
    task = world.task("Final logo", "For approval")
    other = world.task("Sitemap", "For approval")
    world.cycle()
    deliver(port, reply(_approval_reply_to(world, sink, "Final logo"), "Approved! Go ahead."))
    world.at(dt.datetime(2026, 12, 7, 8, 10, tzinfo=PARIS)).cycle()
    internal = world.internal()
    assert "client-approved" in internal.tasks[task].labels
    assert "client-approved" not in internal.tasks[other].labels
    assert [c.text for c in internal.comments_of(task)] == ["Client Carla Client: Approved! Go ahead."]
    # The client's view now shows it approved, and it no longer waits for her.
    view = world.email.view("Acme website")
    copy = view.tasks[world.client_id(task)]
    assert view.sections[copy.section_id or ""].name == "Approved"


def test_a_new_message_to_the_link_address_becomes_a_client_request(world: EmailWorld, servers: tuple[SmtpSink, int]) -> None:
    _, port = servers
    world.task("Sitemap", "Design")
    world.cycle()
    deliver(port, reply("request@replies.agency.example", "We need a careers page.", subject="Careers page"))
    world.at(dt.datetime(2026, 12, 7, 8, 10, tzinfo=PARIS)).cycle()
    internal = world.internal()
    requests = [t for t in internal.tasks.values() if t.title == "Careers page"]
    assert len(requests) == 1
    assert internal.sections[requests[0].section_id or ""].name == "Client requests"
    assert requests[0].notes.strip() == "We need a careers page."


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("forged", "forged reply token"),
        ("expired", "expired reply token"),
        ("unknown_sender", "unknown sender"),
        ("too_large", "too large"),
        ("unsigned", "addressed to neither"),
        ("dmarc", "dmarc=fail"),
    ],
)
def test_what_cannot_be_believed_is_refused_logged_and_never_posted(
    world: EmailWorld, servers: tuple[SmtpSink, int], caplog: pytest.LogCaptureFixture, case: str, reason: str
) -> None:
    sink, port = servers
    task = world.task("Final logo", "For approval")
    world.cycle()
    good = _approval_reply_to(world, sink, "Final logo")
    local, domain = good.split("@")
    body = "approve BODY-MUST-NOT-BE-LOGGED"
    raw = {
        "forged": lambda: reply(local[:-4] + "0000@" + domain, body),
        "expired": lambda: reply(world.email.reply_address("Acme website", world.client_id(task)), body),
        "unknown_sender": lambda: reply(good, body, sender="mallory@evil.example"),
        "too_large": lambda: reply(good, body + " " + "x" * 30_000),
        "unsigned": lambda: reply("someone@replies.agency.example", body),
        "dmarc": lambda: reply(good, body, extra={"Authentication-Results": "mx.example; dmarc=fail header.from=client.example"}),
    }[case]()
    if case == "expired":  # a reply address issued long ago
        world.now -= dt.timedelta(days=200)
        raw = reply(world.email.reply_address("Acme website", world.client_id(task)), body)
        world.now += dt.timedelta(days=200)
    deliver(port, raw)
    with caplog.at_level(logging.WARNING, logger="pm_bridge.email"):
        world.at(world.now + dt.timedelta(minutes=10)).cycle()
    internal = world.internal()
    assert internal.comments_of(task) == []
    assert "client-approved" not in internal.tasks[task].labels
    refusals = [r for r in caplog.records if r.getMessage().startswith("email refused")]
    assert len(refusals) == 1 and reason in getattr(refusals[0], "reason", "")
    assert "BODY-MUST-NOT-BE-LOGGED" not in caplog.text
    assert any(reason in r for r in mailbox.refusals(world.store.engine, "client-mail"))


def test_the_same_message_twice_is_taken_in_once(world: EmailWorld, servers: tuple[SmtpSink, int]) -> None:
    """A provider's retry, a replayed delivery or a message left unseen: one Message-ID, one comment."""
    sink, port = servers
    task = world.task("Final logo", "For approval")
    world.cycle()
    raw = reply(_approval_reply_to(world, sink, "Final logo"), "Only once please")
    deliver(port, raw)
    deliver(port, raw)
    world.at(dt.datetime(2026, 12, 7, 8, 10, tzinfo=PARIS)).cycle()
    assert [c.text for c in world.internal().comments_of(task)] == ["Client Carla Client: Only once please"]
    assert mailbox.refusals(world.store.engine, "client-mail") == ["a message already taken in (same Message-ID)"]
