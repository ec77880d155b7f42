"""Invariant 1 for email: every message sent (every header, the text and HTML parts, any attachment) goes
to the link's client addresses only and carries nothing hidden from that client.

One internal project feeds two clients: acme reads by email, globex works in Trello. The agency hides
tasks, notes below the cut line, unmarked comments and files, and shares some items with one client by
name; globex types comments and requests in Trello. Nothing hidden from acme, and nothing globex wrote,
may appear in any message acme's addresses receive.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask
from bridge.store import Store
from bridge.sync.engine import Engine, LinkRuntime, LinkSide
from connectors.email import EmailConnector
from connectors.memory.sandbox import MemorySandbox
from connectors.registry import tool_module
from tests.email.support import CLIENT, PARIS, SECTIONS, everything, link_rules, parse, settings, smtp

CLIENTS = ("acme", "globex")


def test_no_message_carries_anything_hidden_from_its_client_or_written_by_another(tmp_path: Path) -> None:
    clock = VirtualClock()
    internal = MemorySandbox(clock=clock)
    project = internal.create_project("Website", SECTIONS)
    anna = internal.connector("human", "anna")
    bridge_internal = internal.connector("bridge", "internal")
    sections = {s.name: s.id for s in anna.pull(project).snapshot.sections.values()}
    trello = tool_module("trello")
    globex_sb = trello.Sandbox(trello.Emulator(clock=clock), clock)
    board = globex_sb.create_project("Globex x Agency", [])
    globex_client = globex_sb.connector("client", "carla")

    now = [dt.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)]
    state = f"sqlite:///{tmp_path}/state.db"
    store = Store.open(state)
    with smtp() as sink:
        mail = EmailConnector("acme-mail", settings(sink.port), state, now=lambda: now[0])
        links = {
            "acme": LinkRuntime("acme", link_rules("acme", CLIENTS), LinkSide(bridge_internal, project),
                                LinkSide(mail, "Acme website")),
            "globex": LinkRuntime("globex", link_rules("globex", CLIENTS), LinkSide(bridge_internal, project),
                                  LinkSide(globex_sb.connector("bridge", "client"), board)),
        }
        engine = Engine(store, workers=2)

        def task(title: str, section: str, notes: str = "", labels: tuple[str, ...] = ()) -> str:
            return anna.create_task(project, NewTask(title=title, notes=notes, section_id=sections[section],
                                                     labels=list(labels))).id

        def cycle(at: dt.datetime) -> None:
            now[0] = at
            for link in links.values():
                report = engine.run(link)
                assert report.status == "ok", report.errors

        shared = task("Homepage SHARED-1", "Design", notes="Visible notes\n---internal---\nCUT-NOTES-SECRET")
        task("Budget HIDDEN-TASK", "Internal QA", notes="HIDDEN-NOTES")
        task("Globex only GLOBEX-NAMED", "Internal QA", labels=("client:globex",))
        task("Acme by name ACME-NAMED", "Internal QA", labels=("client:acme",))
        approval = task("Final logo APPROVE-1", "For approval", notes="Three variants")
        anna.create_comment(project, shared, "Internal chatter COMMENT-SECRET")
        anna.create_comment(project, shared, "Please look #client")
        anna.create_attachment(project, shared, "costs FILE-SECRET.xlsx", "https://files.example/FILE-URL-SECRET")
        anna.create_attachment(project, shared, "mockup [client].png", "https://files.example/mockup.png")
        cycle(now[0])

        # globex types in Trello: a comment on the shared card and a request of its own.
        cards = globex_client.pull(board).snapshot
        card = next(t for t in cards.tasks.values() if t.title == "Homepage SHARED-1")
        globex_client.create_comment(board, card.id, "GLOBEX-TYPED comment")
        globex_client.create_task(board, NewTask(title="GLOBEX-REQUEST page", section_id=card.section_id))
        cycle(dt.datetime(2026, 12, 7, 8, 30, tzinfo=PARIS))
        anna.create_comment(project, approval, "More for you #client")
        cycle(dt.datetime(2026, 12, 7, 9, 30, tzinfo=PARIS))  # the digest
        cycle(dt.datetime(2026, 12, 8, 9, 30, tzinfo=PARIS))  # the next one

        received = sink.received
        mail.close()
    store.close()

    subjects = [str(parse(r.data)["Subject"]) for r in received]
    assert "Approval needed: Final logo APPROVE-1" in subjects and "Acme website: your update" in subjects
    allowed = {CLIENT, "boss@client.example"}
    for message in received:
        assert set(message.recipients) <= allowed
        text = everything(message)
        for secret in ("CUT-NOTES-SECRET", "HIDDEN-TASK", "HIDDEN-NOTES", "GLOBEX-NAMED", "COMMENT-SECRET", "FILE-SECRET",
                       "FILE-URL-SECRET", "GLOBEX-TYPED", "GLOBEX-REQUEST", "globex", "Globex", "#client", "[client]"):
            assert secret not in text, (secret, str(parse(message.data)["Subject"]))
    everything_sent = "\n".join(everything(m) for m in received)
    for shown in ("Homepage SHARED-1", "Visible notes", "ACME-NAMED", "Please look", "mockup", "More for you"):
        assert shown in everything_sent, shown
