"""The digest and the approval requests, sent through a real SMTP server (aiosmtpd) by the real engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.email.sink import SmtpSink
from tests.email.support import CLIENT, PARIS, EmailWorld, everything, html_part, parse, settings, smtp, text_part


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp() as server:
        yield server


@pytest.fixture
def world(tmp_path: Path, sink: SmtpSink) -> Iterator[EmailWorld]:
    w = EmailWorld(tmp_path, settings(sink.port, approve_now=False))
    yield w
    w.close()


def test_the_digest_goes_out_once_at_the_scheduled_hour_in_the_clients_time_zone(world: EmailWorld, sink: SmtpSink) -> None:
    world.task("Homepage layout", "Design", notes="Two columns\n---internal---\nmargin 12%")
    world.task("Budget overrun", "Internal QA")
    world.cycle()  # 08:00 in Paris: the first cycle, before the 09:00 slot
    assert sink.received == []

    world.at(dt.datetime(2026, 12, 7, 7, 59, tzinfo=dt.UTC)).cycle()  # 08:59 Paris: not yet
    assert sink.received == []
    world.at(dt.datetime(2026, 12, 7, 8, 1, tzinfo=dt.UTC)).cycle()  # 09:01 Paris
    assert len(sink.received) == 1
    received = sink.received[0]
    assert sorted(received.recipients) == sorted([CLIENT, "boss@client.example"])
    message = parse(received.data)
    text, html = text_part(message), html_part(message)
    assert "Homepage layout" in text and "Two columns" in text and "Homepage layout" in html
    assert "margin 12%" not in everything(received) and "Budget overrun" not in everything(received)
    assert "reply+" in text and "@replies.agency.example" in text

    world.at(dt.datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)).cycle()
    world.at(dt.datetime(2026, 12, 8, 9, 30, tzinfo=PARIS)).cycle()  # due again, but nothing changed: no mail
    assert len(sink.received) == 1


def test_a_digest_lists_new_completed_moved_comments_files_and_what_awaits_approval(world: EmailWorld, sink: SmtpSink) -> None:
    done = world.task("Logo brief", "Design")
    moved = world.task("Sitemap", "Design")
    world.cycle()
    world.at(dt.datetime(2026, 12, 7, 9, 5, tzinfo=PARIS)).cycle()
    sink_before = len(sink.received)

    anna, project = world.anna, world.project
    snapshot = world.internal()
    anna.update_task(project, snapshot.tasks[done], {"done": True})
    anna.update_task(project, snapshot.tasks[moved], {"due": dt.date(2026, 12, 24)})
    anna.create_comment(project, moved, "Draft is ready #client")
    anna.create_comment(project, moved, "Client is slow, push them")
    anna.create_attachment(project, moved, "sitemap [client].pdf", "https://files.example/sitemap.pdf")
    anna.create_attachment(project, moved, "costs.xlsx", "https://files.example/costs.xlsx")
    world.task("Final logo", "For approval", notes="Three variants")
    world.at(dt.datetime(2026, 12, 7, 12, 0, tzinfo=PARIS)).cycle()
    assert len(sink.received) == sink_before  # not before tomorrow 09:00

    world.at(dt.datetime(2026, 12, 8, 9, 0, tzinfo=PARIS)).cycle()
    assert len(sink.received) == sink_before + 1
    text = text_part(parse(sink.received[-1].data))
    completed = text.split("COMPLETED", 1)[1]
    assert "Logo brief" in completed.split("DUE DATES MOVED")[0]
    assert "Sitemap: no date → 2026-12-24" in text
    assert "Draft is ready" in text and "Client is slow" not in text
    assert 'sitemap.pdf on "Sitemap": https://files.example/sitemap.pdf' in text
    assert "costs.xlsx" not in text
    awaiting = text.split("WAITING FOR YOUR APPROVAL", 1)[1]
    assert "Final logo" in awaiting and '"approve" as the first word' in awaiting


def test_an_item_that_asks_for_approval_goes_out_at_once(tmp_path: Path, sink: SmtpSink) -> None:
    world = EmailWorld(tmp_path, settings(sink.port))
    try:
        world.task("Final logo", "For approval", notes="Three variants")
        world.task("Sitemap", "Design")
        world.cycle()
        assert len(sink.received) == 1  # the approval request, not the digest (not due yet)
        message = parse(sink.received[0].data)
        assert message["Subject"] == "Approval needed: Final logo"
        assert str(message["Reply-To"]).startswith("reply+") and "Sitemap" not in everything(sink.received[0])
        world.at(dt.datetime(2026, 12, 7, 8, 30, tzinfo=PARIS)).cycle()
        assert len(sink.received) == 1  # sent once
    finally:
        world.close()


def test_html_is_escaped_and_templates_can_be_overridden(tmp_path: Path, sink: SmtpSink) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("Custom for {{ project }}: {% for i in digest.new %}[{{ i.title }}]{% endfor %}\n")
    world = EmailWorld(tmp_path, settings(sink.port, templates=str(templates)))
    try:
        world.task("<script>alert(1)</script> & co", "Design")
        world.cycle()
        world.at(dt.datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)).cycle()
        message = parse(sink.received[-1].data)
        assert text_part(message).startswith("Custom for Acme website: [<script>alert(1)</script> & co]")
        html = html_part(message)  # the shipped HTML template, autoescaped
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html and "<script>" not in html
    finally:
        world.close()
