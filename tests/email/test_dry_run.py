"""``sync --dry-run`` with an email client changes nothing anywhere: no IMAP flag set, no inbox, view, change or
meta row written, nothing sent; yet its plan shows what the waiting replies would do (real pymap IMAP server)."""

from __future__ import annotations

import datetime as dt
import imaplib
from typing import Any

import sqlalchemy as sa

from bridge.store import mailbox
from bridge.store.tables import email_changes, email_inbox, email_items, email_meta
from connectors.email.sink import SmtpSink
from tests.email.support import IMAP_PASSWORD, IMAP_USER, PARIS, EmailWorld, deliver, parse, reply


def email_tables(world: EmailWorld) -> dict[str, list[Any]]:
    with world.store.engine.connect() as db:
        return {table.name: sorted(map(tuple, db.execute(sa.select(table))), key=repr)
                for table in (email_items, email_inbox, email_meta, email_changes)}


def imap_flags(port: int) -> tuple[list[str], str]:
    """The unseen UIDs of the mailbox and every message's flags, read without changing them."""
    client = imaplib.IMAP4("127.0.0.1", port)
    try:
        client.login(IMAP_USER, IMAP_PASSWORD)
        client.select("INBOX", readonly=True)
        _, unseen = client.uid("SEARCH", "UNSEEN")
        _, flags = client.uid("FETCH", "1:*", "(FLAGS)")
        return bytes(unseen[0] or b"").decode().split(), repr(flags)
    finally:
        client.logout()


def test_a_dry_run_reads_replies_into_its_plan_but_changes_nothing(world: EmailWorld, servers: tuple[SmtpSink, int]) -> None:
    sink, port = servers
    task = world.task("Final logo", "For approval")
    world.cycle()
    approval = next(parse(r.data) for r in sink.received if "Final logo" in str(parse(r.data)["Subject"]))
    deliver(port, reply(str(approval["Reply-To"]), "Approved, thanks"))  # by IMAP
    mailbox.keep(world.store.engine, "client-mail", "webhook",  # by a provider's webhook
                 reply("request@replies.agency.example", "A careers page please", subject="Careers page"),
                 world.now)
    world.task("Sitemap", "Design")  # and an agency change the dry run would mirror
    before_tables, before_imap, before_sent = email_tables(world), imap_flags(port), len(sink.received)
    assert before_imap[0], "the reply waits unseen"

    world.at(dt.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))  # past the digest hour too
    report = world.engine.run(world.link, dry_run=True)

    assert report.status == "dry-run", report.errors
    assert report.plan is not None
    internal_writes = {(op.kind, op.action) for op in report.plan.writes("internal")}
    assert ("comment", "create") in internal_writes and ("task", "create") in internal_writes  # the plan shows them
    assert email_tables(world) == before_tables  # no view, inbox, change or meta row changed
    assert imap_flags(port) == before_imap  # still unseen, no flag set
    assert len(sink.received) == before_sent  # nothing sent
    assert world.internal().comments_of(task) == []

    # Nothing was consumed: the real cycle takes both in.
    world.cycle()
    internal = world.internal()
    assert [c.text for c in internal.comments_of(task)] == ["Client Carla Client: Approved, thanks"]
    assert "client-approved" in internal.tasks[task].labels
    assert any(t.title == "Careers page" for t in internal.tasks.values())
    assert imap_flags(port)[0] == []
