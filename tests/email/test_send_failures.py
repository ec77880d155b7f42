"""A message the relay refuses for good (550) is held and tried again with a growing pause: the cycle still takes
in replies and writes to the internal tool, the other messages and the digest still go, and the cycle fails
visibly (the failing-cycles alert keys on it) until the message is delivered."""

from __future__ import annotations

import datetime as dt

from connectors.email.sink import SmtpSink
from tests.email.support import PARIS, EmailWorld, deliver, parse, reply


def subjects(sink: SmtpSink) -> list[str]:
    return [str(parse(r.data)["Subject"]) for r in sink.received]


def refused_logo(data: bytes) -> bool:
    return b"Subject: Approval needed: Final logo" in data


def test_a_refused_message_waits_with_backoff_while_the_rest_of_the_cycle_goes_on(
    world: EmailWorld, servers: tuple[SmtpSink, int]
) -> None:
    sink, port = servers
    sink.refuse(refused_logo)
    logo = world.task("Final logo", "For approval")
    sitemap = world.task("Sitemap", "For approval")

    first = world.engine.run(world.link)  # 08:00
    assert subjects(sink) == ["Approval needed: Sitemap"]  # the other approval was not blocked
    assert first.status == "failed" and "550" in first.errors[0] and "not delivered" in first.errors[0]
    assert len(world.email.view("Acme website").tasks) == 2  # the mirror's writes all happened
    attempts = sink.attempts

    # A minute has not passed: no new attempt, but the client's reply is taken in and written internally.
    approval = next(parse(r.data) for r in sink.received)
    deliver(port, reply(str(approval["Reply-To"]), "Approved"))
    second = world.at(dt.datetime(2026, 12, 7, 8, 0, 30, tzinfo=PARIS)).engine.run(world.link)
    assert second.status == "failed" and "550" in second.errors[0]  # still visible
    assert sink.attempts == attempts
    internal = world.internal()
    assert "client-approved" in internal.tasks[sitemap].labels
    assert [c.text for c in internal.comments_of(sitemap)] == ["Client Carla Client: Approved"]

    # Past the digest hour and the pause: the digest goes, the held message is tried again (refused again).
    third = world.at(dt.datetime(2026, 12, 7, 9, 5, tzinfo=PARIS)).engine.run(world.link)
    assert third.status == "failed"
    assert sink.attempts == attempts + 2
    assert len(subjects(sink)) == 2 and "Approval needed" not in subjects(sink)[1]  # the digest

    # The relay takes it again: after the (doubled) pause it is delivered, once, and the cycle is ok.
    sink.refuse(None)
    world.at(dt.datetime(2026, 12, 7, 9, 6, tzinfo=PARIS)).engine.run(world.link)  # 1 min < 2 min pause
    assert "Approval needed: Final logo" not in subjects(sink)
    assert world.at(dt.datetime(2026, 12, 7, 9, 8, tzinfo=PARIS)).engine.run(world.link).status == "ok"
    assert subjects(sink).count("Approval needed: Final logo") == 1
    assert world.at(dt.datetime(2026, 12, 7, 9, 20, tzinfo=PARIS)).engine.run(world.link).status == "ok"
    assert subjects(sink).count("Approval needed: Final logo") == 1
    assert logo in world.internal().tasks


def test_a_refused_digest_is_held_and_sent_later_covering_what_changed_meanwhile(
    world: EmailWorld, servers: tuple[SmtpSink, int]
) -> None:
    sink, _ = servers
    world.task("Sitemap", "Design")
    world.cycle()
    sink.refuse(lambda data: b"Approval needed" not in data)
    report = world.at(dt.datetime(2026, 12, 7, 9, 5, tzinfo=PARIS)).engine.run(world.link)
    assert report.status == "failed" and sink.received == []
    world.task("Careers page", "Design")
    sink.refuse(None)
    assert world.at(dt.datetime(2026, 12, 7, 9, 7, tzinfo=PARIS)).engine.run(world.link).status == "ok"
    assert len(sink.received) == 1
    digest = sink.received[0].data.decode()
    assert "Sitemap" in digest and "Careers page" in digest


def test_a_held_request_for_an_item_no_longer_waiting_is_dropped(world: EmailWorld, servers: tuple[SmtpSink, int]) -> None:
    sink, _ = servers
    sink.refuse(refused_logo)
    logo = world.task("Final logo", "For approval")
    assert world.engine.run(world.link).status == "failed"
    snap = world.internal()
    world.anna.update_task(world.project, snap.tasks[logo], {"section_id": world.sections["Design"]})
    report = world.at(dt.datetime(2026, 12, 7, 8, 0, 30, tzinfo=PARIS)).engine.run(world.link)
    assert report.status == "ok", report.errors  # nothing is held any more: the cycle is no longer failing
    sink.refuse(None)
    world.at(dt.datetime(2026, 12, 7, 8, 5, tzinfo=PARIS)).cycle()
    assert "Approval needed: Final logo" not in subjects(sink)
