"""Email as the client side of every internal tool: the pairing scenarios of tests/engine/test_pairings.py
that apply to a client who reads and answers by email, end to end through the internal tool's emulator,
a real SMTP server and the inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.clock import VirtualClock
from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, PullResult
from bridge.store import Store, mailbox
from bridge.sync.engine import Engine
from connectors.email import EmailConnector
from connectors.email.sink import SmtpSink
from tests.email.support import PARIS, everything, reply, settings, smtp
from tests.engine.test_pairings import HIDDEN, LAUNCH, add_subtasks, by_title, holds, seed, titles
from tests.engine.world import World, default_rules, internal_sections

INTERNAL = ("asana", "trello", "github", "basecamp")
PROJECT = "Acme x Agency"


class Carla:
    """The client: reads her view (what the emails showed her) and answers by email."""

    def __init__(self, mail: EmailConnector) -> None:
        self.mail = mail

    def pull(self, project_id: str) -> PullResult:
        return PullResult(snapshot=self.mail.view(project_id))

    def send(self, raw: bytes) -> None:
        mailbox.keep(self.mail.engine, self.mail.name, "imap", raw, self.mail.now())


class EmailWorld(World):
    """tests/engine/world.py's World with an email client instead of a client tool."""

    def __init__(self, internal_kind: str, store_url: str, sink: SmtpSink) -> None:
        self.internal_kind, self.client_kind, self.store_url = internal_kind, "email", store_url
        self.clock = VirtualClock()
        self.isb = self._sandbox(internal_kind)
        self.internal_project = self.isb.create_project("Acme website", internal_sections(internal_kind))
        self.isb.setup_access_field(self.internal_project)
        self.client_project = PROJECT
        self.rules = default_rules(internal_kind)
        self.now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)
        self.bridge_internal = self.isb.connector("bridge", "internal")
        self.mail = EmailConnector("client-mail", settings(sink.port, approval_sections=["Design"]), store_url,
                                   now=lambda: self.now)
        self.bridge_client = self.mail  # type: ignore[assignment]
        self.anna = self.isb.connector("human", "anna")
        self.carla = Carla(self.mail)  # type: ignore[assignment]
        self.store = Store.open(store_url)
        self.engine = Engine(self.store, workers=2)
        self.sink = sink

    def client_writes(self) -> int:
        return self.mail.stats.writes

    def later(self, **delta: Any) -> EmailWorld:
        self.now += dt.timedelta(**delta)
        return self


@pytest.fixture(params=INTERNAL, ids=lambda kind: f"{kind}-to-email")
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmailWorld]:
    with smtp() as sink:
        w = EmailWorld(request.param, f"sqlite:///{tmp_path}/state.db", sink)
        yield w
        w.mail.close()
        w.store.close()


def synced(w: EmailWorld) -> None:
    report = w.sync()
    assert report.status == "ok", report.errors


def view(w: EmailWorld) -> Snapshot:
    return w.mail.view(PROJECT)


def assert_no_leaks(w: EmailWorld) -> None:
    assert w.sink.received, "no message went out: the leak check would read nothing"
    leaked = [h for m in w.sink.received for h in HIDDEN if h in everything(m)]
    assert leaked == []


def test_first_mirror_shows_exactly_the_shared_work_and_the_digest_says_so(world: EmailWorld) -> None:
    seed(world)
    synced(world)
    snap = view(world)
    assert titles(snap) == {"Homepage layout": "Design", "Sign off test plan": "Shared with you", "Launch": "Design"}
    tasks = {t.title: t for t in snap.tasks.values()}
    assert tasks["Homepage layout"].notes == "Hero"
    assert tasks["Launch"].due == (LAUNCH if holds(world, "due") else None)
    assert [c.text for c in snap.comments.values()] == ["Anna Agency: first draft is up"]
    expected_files = [] if world.bridge_internal.capabilities.attachments == "none" else ["Brief.pdf"]
    assert sorted(a.name for a in snap.attachments.values()) == expected_files
    synced(world.later(hours=1, minutes=5))  # 09:05 in Paris: the digest
    digests = [m for m in world.sink.received if b"your update" in m.data]
    assert len(digests) == 1
    text = everything(digests[0])
    assert all(title in text for title in ("Homepage layout", "Sign off test plan", "Launch", "first draft is up"))
    writes = world.client_writes(), world.internal_writes(), len(world.sink.received)
    synced(world.later(minutes=30))
    assert (world.client_writes(), world.internal_writes(), len(world.sink.received)) == writes  # quiet
    assert_no_leaks(world)


def test_a_reply_an_approval_and_a_request_come_back(world: EmailWorld) -> None:
    seed(world)
    synced(world)
    snap = view(world)
    home, launch = by_title(snap, "Homepage layout"), by_title(snap, "Launch")
    world.carla.send(reply(world.mail.reply_address(PROJECT, home), "Nice, but bigger logo"))  # type: ignore[attr-defined]
    world.carla.send(reply(world.mail.reply_address(PROJECT, launch), "Approved"))  # type: ignore[attr-defined]
    world.carla.send(reply("request@replies.agency.example", "For the jobs page", subject="Careers page"))  # type: ignore[attr-defined]
    synced(world.later(minutes=10))
    synced(world.later(minutes=10))
    internal = world.anna.pull(world.internal_project).snapshot
    home_id = by_title(internal, "Homepage layout")
    assert [c.text for c in internal.comments.values() if c.task_id == home_id and "bigger logo" in c.text] == [
        "Client Carla Client: Nice, but bigger logo"
    ]
    launch_task = next(t for t in internal.tasks.values() if t.title.startswith("Launch"))
    approval = world.rules.inbound.approval if world.rules else None
    assert approval is not None
    if approval.internal_label and "labels" in world.bridge_internal.capabilities.task_fields:
        assert approval.internal_label in launch_task.labels
    else:
        assert internal.sections[launch_task.section_id or ""].name == approval.internal_section
    requests = [t for t in internal.tasks.values() if t.title.startswith("Careers page")]
    assert len(requests) == 1 and internal.sections[requests[0].section_id or ""].name == "Client requests"
    assert "Careers page" in titles(view(world))  # shared back to her


def test_a_hidden_and_a_removed_task_leave_the_view_and_the_next_digest(world: EmailWorld) -> None:
    ids = seed(world)
    synced(world)
    snap = world.anna.pull(world.internal_project).snapshot
    world.anna.update_task(world.internal_project, snap.tasks[ids["home"]], world.access("none", title="Homepage layout"))
    world.anna.remove_task(world.internal_project, snap.tasks[ids["launch"]], "delete")
    synced(world.later(minutes=10))
    assert set(titles(view(world))) == {"Sign off test plan"}
    synced(world.later(hours=1))  # 09:10: the first digest, of what is still shared
    text = "\n".join(everything(m) for m in world.sink.received if b"your update" in m.data)
    assert "Sign off test plan" in text and "Homepage layout" not in text and "Launch" not in text


def test_an_unlinked_client_creates_nothing_in_the_view_by_itself(world: EmailWorld) -> None:
    world.anna.create_task(world.internal_project, NewTask(title="Internal only", section_id=world.section("Internal QA")))
    synced(world)
    assert view(world).tasks == {}
    synced(world.later(hours=2))
    assert world.sink.received == []  # nothing shared, nothing changed: no digest


# -- the rest of tests/engine/test_pairings.py, where an email client's capabilities let it apply ------------------
#
# Not applicable, by the email connector's capabilities (connectors/email/connector.py: CAPABILITIES):
# - the client-side half of "an edit on each side" and the client's own comment edit: she can only reply,
#   approve or ask; there is nothing in an email to mark done, rename or edit once sent;
# - "the client list follows the agency's order": ``position`` is not among its task fields (as on GitHub);
# - "twin links": an item of an email has no URL to point the internal task at;
# - "a create lost on the client side": there is no remote API whose answer can be lost; each write of the
#   view is one transaction of the state database (a failed send is held and retried: test_send_failures.py).


def digest_texts(w: EmailWorld) -> str:
    return "\n".join(everything(m) for m in w.sink.received if b"your update" in m.data)


def assert_quiet(w: EmailWorld) -> None:
    """The next cycle finds nothing to do: no write to the view or the internal tool, no message."""
    writes = w.client_writes(), w.internal_writes(), len(w.sink.received)
    report = w.sync()
    assert report.status == "ok" and report.applied == 0, report.errors
    assert (w.client_writes(), w.internal_writes(), len(w.sink.received)) == writes


def test_an_agency_edit_reaches_the_view_and_the_digest(world: EmailWorld) -> None:
    ids = seed(world)
    synced(world)
    synced(world.later(hours=1, minutes=5))  # 09:05: the first digest, of the new work
    first = len(world.sink.received)
    internal = world.anna.pull(world.internal_project).snapshot
    notes = "Hero, bigger\n---internal---\nmargin 45% SECRET-6"
    world.anna.update_task(world.internal_project, internal.tasks[ids["home"]], {"title": "Homepage v2", "notes": notes})
    moved = {"done": True} | ({"due": LAUNCH + dt.timedelta(days=7)} if holds(world, "due") else {})
    world.anna.update_task(world.internal_project, internal.tasks[ids["launch"]], moved)
    synced(world.later(minutes=10))
    snap = view(world)
    assert snap.tasks[by_title(snap, "Homepage v2")].notes == "Hero, bigger"
    launch = snap.tasks[by_title(snap, "Launch")]
    assert (launch.done, launch.due) == (True, moved.get("due"))
    synced(world.later(days=1))  # the next day's digest says what changed
    assert len(world.sink.received) == first + 1
    text = everything(world.sink.received[-1]).replace("\r\n", "\n")
    assert "COMPLETED\n * Launch" in text
    if holds(world, "due"):
        assert "DUE DATES MOVED\n * Launch" in text
    assert_quiet(world.later(minutes=10))
    assert_no_leaks(world)


def test_a_comment_each_way_arrives_once(world: EmailWorld) -> None:
    ids = seed(world)
    synced(world)
    world.anna.create_comment(world.internal_project, ids["launch"], "#client going live Monday")
    world.anna.create_comment(world.internal_project, ids["launch"], "ops on call SECRET-7")
    home = by_title(view(world), "Homepage layout")
    world.carla.send(reply(world.mail.reply_address(PROJECT, home), "Love it"))  # type: ignore[attr-defined]
    synced(world.later(minutes=10))
    synced(world.later(minutes=10))
    internal = [c.text for c in world.anna.pull(world.internal_project).snapshot.comments.values()
                if c.task_id == ids["home"]]
    assert internal.count("Client Carla Client: Love it") == 1
    assert sorted(c.text for c in view(world).comments.values()) == sorted(
        ["Anna Agency: first draft is up", "Anna Agency: going live Monday", "Love it"])
    synced(world.later(hours=1))  # the digest shows the agency's new shared comment, not the internal one
    assert "going live Monday" in digest_texts(world)
    assert_quiet(world.later(minutes=10))
    assert_no_leaks(world)


def test_subtasks_and_comment_edits_follow(world: EmailWorld) -> None:
    ids = seed(world)
    nests = add_subtasks(world, ids)
    synced(world)
    internal = world.anna.pull(world.internal_project).snapshot
    shared = next(c for c in internal.comments.values() if c.text.startswith("#client first"))
    world.anna.update_comment(world.internal_project, shared, "#client first draft is up (v2)")
    if nests:
        sub = next(t for t in internal.tasks.values() if t.title == "Pick hero image")
        world.anna.update_task(world.internal_project, sub, {"title": "Pick hero image (final)", "done": True})
    synced(world.later(minutes=10))
    snap = view(world)
    # Not editable by email: the edited comment is removed from the view and goes out again as new, in one cycle.
    assert [c.text for c in snap.comments.values()] == ["Anna Agency: first draft is up (v2)"]
    if nests:  # no nesting in an email: the subtask is an item of its own, in its parent's list
        sub_copy = snap.tasks[by_title(snap, "Pick hero image (final)")]
        assert (sub_copy.done, sub_copy.parent_id, titles(snap)["Pick hero image (final)"]) == (True, None, "Design")
    synced(world.later(hours=1))
    text = digest_texts(world)
    assert "first draft is up (v2)" in text
    if nests:
        assert "Pick hero image (final)" in text
    assert_quiet(world.later(minutes=10))
    assert_no_leaks(world)
