"""Invariant 1 with several clients on one internal project, as a hypothesis state machine.

One internal project (memory tool, access by label) and four clients: acme on
Trello, globex on Basecamp, initech on the memory tool, hooli by email. The
agency shares (plainly, or with clients by name), hides, comments (marked or
not), attaches links and uploads files (real bytes), and sets custom field
values; every tool client comments (sometimes typing the marker), files
requests, approves, uploads files and sets field values, and hooli replies to
items and sends requests by email; faults, crashes and a lost state store
strike. Each link maps its own custom fields: acme Priority (both ways),
globex Budget code (as "Budget", both ways), both of them Phase (to the client
only), initech and hooli none; "Margin" is mapped by nobody.

After every cycle, every request each client's tool received during it is read
(path, query, body: an upload's bytes included), every file its storage gained
is read, and every message hooli's addresses received is read (every header,
both parts, attachments): none may carry the title, notes, comment, file name,
file bytes or field value of an item hidden from that client, a field value its
link does not map, or anything another client wrote. Once settled, each client
sees exactly what is shared with it, only its own approvals show as approved,
mapped fields agree on both sides, and a client's file sits on its own internal
task only (docs/mirror-rules.md "Several clients", docs/design.md invariant 1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from bridge.clock import VirtualClock
from bridge.core.fields import lookup
from bridge.core.ports import NewTask
from bridge.core.rules import AccessSource, FieldRules, LinkRules, MirrorRules, SectionRule
from bridge.store import Store, mailbox
from bridge.sync.engine import Engine, LinkRuntime, LinkSide
from connectors.asana.emulator.model import EnumOption
from connectors.email import EmailConnector
from connectors.email.sink import SmtpSink
from connectors.emulation.toolkit import Fault
from connectors.registry import tool_module
from tests.email.support import everything, reply
from tests.email.support import settings as email_settings
from tests.engine.world import inject, recorded

CLIENTS = {"acme": "trello", "globex": "basecamp", "initech": "memory", "hooli": "email"}
NAMES = sorted(CLIENTS)
TOOL_NAMES = sorted(name for name, kind in CLIENTS.items() if kind != "email")  # clients that act in a tool
MAIL_TO = {"carla@client.example", "boss@client.example"}  # hooli's addresses (tests/email/support.py)
SECTIONS = ["Design", "Build"]
UNLOCKED = {"Design"}
FAULTS = [Fault.FAIL_BEFORE, Fault.FAIL_AFTER, Fault.LOSE_RESPONSE, Fault.RATE_LIMIT, Fault.LAG]
FAULT_OPS = ["create_task", "update_task", "create_comment", "upload_attachment", "pull"]
APPROVED = "Approved"
# Each link's custom fields: internal name -> (client name, direction). A field one link takes in goes out
# on no other link (the config refuses that, docs/mirror-rules.md "Several clients"); "Phase" goes out to
# two clients, and comes in from none; "Margin" is mapped by no link.
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "acme": {"Priority": ("Priority", "both"), "Phase": ("Phase", "to_client")},
    "globex": {"Budget code": ("Budget", "both"), "Phase": ("Phase", "to_client")},
    "initech": {},
    "hooli": {},
}
INTERNAL_FIELDS = ["Priority", "Budget code", "Phase", "Margin"]
# The fields each tool client types into: a to_client "Phase" is put back; initech's "Priority" is not its link's.
CLIENT_FIELDS = {"acme": ["Priority", "Phase"], "globex": ["Budget", "Phase"], "initech": ["Priority"]}
AGENCY = "agency"
REPLY_ADDRESS = re.compile(r"reply\+[A-Za-z0-9_.-]+@replies\.agency\.example")


class Crash(Exception):
    """The process died between a remote write and the state save."""


def link_rules() -> MirrorRules:
    return MirrorRules(sections={name: SectionRule(access="unlocked") for name in UNLOCKED}, access=AccessSource(type="label"))


def client_rules(name: str) -> LinkRules:
    """The shared mirror rules, with this link's own custom fields, read by client ``name``."""
    mirror = link_rules()
    spec = {internal: {"to": client, "direction": way} for internal, (client, way) in FIELDS[name].items()}
    fields = mirror.fields.model_copy(update={"custom": FieldRules(custom=spec).custom})
    return LinkRules(mirror=mirror.model_copy(update={"fields": fields}).for_client(name, NAMES))


_SINK: list[SmtpSink] = []


def mail_sink() -> SmtpSink:
    """One SMTP server for every example (starting one per example would cost more than the example)."""
    if not _SINK:
        _SINK.append(SmtpSink().__enter__())
    return _SINK[0]


@dataclass(frozen=True)
class FieldValue:
    """One value typed into a custom field: on which internal task, which field, by whom."""

    task: str | None  # the internal task (None: a client's card the test cannot tie to one)
    field: str  # the internal field's name (the agency) or the client field's name (a client)
    writer: str  # AGENCY or a client's name


@dataclass
class Model:
    """The test's own idea of one internal task and whom it is shared with."""

    section: str
    access: str  # automatic | client | none | named
    parent: str | None
    title: str
    notes: str = ""
    names: frozenset[str] = frozenset()  # for access "named"
    origin: str | None = None  # the client who asked for it (a request)
    comments: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id -> (text, marked)
    files: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id (or "<id>:bytes") -> (token, marked)


def sandbox(kind: str, clock: VirtualClock) -> Any:
    module = tool_module(kind)
    return module.Sandbox(module.Emulator(clock=clock), clock)


class MultiClientMachine(RuleBasedStateMachine):
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="pmb-multi-"))
        self.clock = VirtualClock()
        self.isb = sandbox("memory", self.clock)
        self.internal_project = self.isb.create_project("Website", SECTIONS)
        self.anna = self.isb.connector("human", "anna")
        bridge_internal = self.isb.connector("bridge", "internal")
        self.sandboxes: dict[str, Any] = {}
        self.people: dict[str, Any] = {}
        self.projects: dict[str, str] = {}
        self.links: dict[str, LinkRuntime] = {}
        for name in TOOL_NAMES:
            sb = self.sandboxes[name] = sandbox(CLIENTS[name], self.clock)
            self.projects[name] = sb.create_project(f"{name} x Agency", [])
            for client_field, _ in FIELDS[name].values():  # Trello boards define their fields; the others take any name
                sb.add_custom_field(self.projects[name], client_field, "text")
            self.people[name] = sb.connector("client", "carla")
            self.links[name] = LinkRuntime(
                name,
                client_rules(name),
                LinkSide(bridge_internal, self.internal_project),
                LinkSide(sb.connector("bridge", "client"), self.projects[name]),
            )
        # hooli reads by email: the bridge keeps its view in a database of its own here, so a lost state
        # store (below) does not unsend what hooli already received.
        self.sink = mail_sink()
        self.mail_now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
        mail_state = f"sqlite:///{self.tmp}/hooli-mail.db"
        self.mail = EmailConnector("hooli-mail", email_settings(self.sink.port), mail_state, now=lambda: self.mail_now)
        self.projects["hooli"] = "Hooli website"
        # What hooli has been shown (the same view, read without sending).
        self.people["hooli"] = EmailConnector("hooli-mail", email_settings(None), mail_state, now=lambda: self.mail_now,
                                              engine=self.mail.engine)
        self.links["hooli"] = LinkRuntime("hooli", client_rules("hooli"), LinkSide(bridge_internal, self.internal_project),
                                          LinkSide(self.mail, self.projects["hooli"]))
        self.mails = len(self.sink.received)  # the sink serves every example: read only this one's messages
        self.first_mail = self.mails
        self.store_url = f"sqlite:///{self.tmp}/state.db"
        self.store = Store.open(self.store_url)
        self.engine = Engine(self.store, workers=2)
        snap = self.anna.pull(self.internal_project).snapshot
        self.section_ids = {s.name: s.id for s in snap.sections.values()}
        self.model: dict[str, Model] = {}
        self.typed: dict[str, str] = {}  # text a client typed -> that client
        self.requests: dict[str, tuple[str, str]] = {}  # request title -> (the client who filed it, its notes)
        self.approved: dict[str, set[str]] = {name: set() for name in CLIENTS}  # client -> internal task ids
        self.values: dict[str, FieldValue] = {}  # every custom field value typed, by token
        self.client_files: dict[str, tuple[str, str]] = {}  # a client's file name token -> (client, internal task)
        self.stored: dict[str, set[str]] = {name: set() for name in TOOL_NAMES}  # file keys already read
        self.serial = itertools.count(1)
        self.settled = False
        self.cycles = 0

    def teardown(self) -> None:
        self.mail.close()
        self.people["hooli"].close()
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def token(self, kind: str) -> str:
        return f"{kind}{next(self.serial):05d}q"

    # -- the test's own access rules --------------------------------------------------

    def shared_with(self, task_id: str, client: str, trail: frozenset[str] = frozenset()) -> bool:
        m = self.model[task_id]
        if m.access == "none":
            return False
        if m.access == "named":
            return client in m.names
        if m.origin is not None and m.origin != client:
            return False
        if m.access == "client":
            return True
        if m.parent is not None:
            return m.parent in self.model and self.shared_with(m.parent, client)
        return m.section in UNLOCKED

    def hidden_from(self, client: str) -> set[str]:
        texts = {text for text, who in self.typed.items() if who != client}
        for task_id, m in self.model.items():
            shared = self.shared_with(task_id, client)
            if shared:  # a request the agency shared with this client by name: its card goes out whole
                texts -= {m.title, m.notes}
            else:
                texts |= {m.title} | ({m.notes} if m.notes else set())
            texts |= {text for text, marked in m.comments.values() if not (marked and shared)}
            texts |= {name for name, marked in m.files.values() if not (marked and shared)}
        for value, typed in self.values.items():
            if typed.writer == client:
                continue
            mapped = typed.writer == AGENCY and typed.field in FIELDS[client]
            if not (mapped and typed.task in self.model and self.shared_with(typed.task, client)):
                texts.add(value)  # another client's value, an unmapped field's, or a hidden task's
        return texts

    def labels_for(self, access: str, names: frozenset[str] = frozenset()) -> list[str]:
        if access == "named":
            return [f"client:{n}" for n in sorted(names)]
        return {"client": ["client"], "none": ["internal"]}.get(access, [])

    def current(self, task_id: str) -> Any:
        return self.anna.pull(self.internal_project).snapshot.tasks[task_id]

    # -- the agency ---------------------------------------------------------------------

    @rule(target=tasks, section=st.sampled_from(SECTIONS), access=st.sampled_from(["automatic", "client", "none", "named"]),
          names=st.frozensets(st.sampled_from(NAMES), min_size=1, max_size=2))  # fmt: skip
    def create_task(self, section: str, access: str, names: frozenset[str]) -> str:
        title, notes = self.token("T"), self.token("N")
        names = names if access == "named" else frozenset()
        made = self.anna.create_task(
            self.internal_project,
            NewTask(title=title, notes=notes, section_id=self.section_ids[section], labels=self.labels_for(access, names)),
        )
        self.model[made.id] = Model(section, access, None, title, notes, names)
        self.settled = False
        return made.id

    @rule(target=tasks, parent=tasks, access=st.sampled_from(["automatic", "client", "none"]))
    def create_subtask(self, parent: str, access: str) -> str:
        if parent not in self.model or self.model[parent].parent is not None:
            return parent
        title, notes = self.token("S"), self.token("N")
        made = self.anna.create_task(
            self.internal_project, NewTask(title=title, notes=notes, parent_id=parent, labels=self.labels_for(access))
        )
        self.model[made.id] = Model(self.model[parent].section, access, parent, title, notes)
        self.settled = False
        return made.id

    @rule(task=tasks, access=st.sampled_from(["automatic", "client", "none", "named"]),
          names=st.frozensets(st.sampled_from(NAMES), min_size=1, max_size=2))  # fmt: skip
    def set_access(self, task: str, access: str, names: frozenset[str]) -> None:
        m = self.model.get(task)
        if m is None or m.origin is not None:
            return  # requests: see share_request
        names = names if access == "named" else frozenset()
        self.anna.update_task(self.internal_project, self.current(task), {"labels": self.labels_for(access, names)})
        m.access, m.names = access, names
        self.settled = False

    @rule(data=st.data(), client=st.sampled_from(NAMES))
    def share_request(self, data: st.DataObject, client: str) -> None:
        """An agency member shares one client's request with another client, by name."""
        requests = sorted(t for t, m in self.model.items() if m.origin is not None)
        if not requests:
            return
        task = data.draw(st.sampled_from(requests))
        m = self.model[task]
        current = self.current(task)
        names = m.names | {client}
        # Keep every other label (an approval) and replace the access labels.
        keep = [lbl for lbl in current.labels if not lbl.startswith("client:") and lbl not in ("client", "internal")]
        self.anna.update_task(self.internal_project, current, {"labels": keep + [f"client:{n}" for n in sorted(names)]})
        m.access, m.names = "named", names
        self.settled = False

    @rule(task=tasks, marked=st.booleans())
    def agency_comment(self, task: str, marked: bool) -> None:
        if task in self.model:
            body = self.token("C")
            made = self.anna.create_comment(self.internal_project, task, f"#client {body}" if marked else body)
            self.model[task].comments[made.id] = (body, marked)
            self.settled = False

    @rule(task=tasks, marked=st.booleans())
    def agency_file(self, task: str, marked: bool) -> None:
        if task in self.model:
            name = self.token("F")
            made = self.anna.create_attachment(
                self.internal_project,
                task,
                f"[client] {name}.pdf" if marked else f"{name}.pdf",
                f"https://files.example/{name}.pdf",
            )
            self.model[task].files[made.id] = (name, marked)
            self.settled = False

    @rule(task=tasks, marked=st.booleans())
    def agency_upload(self, task: str, marked: bool) -> None:
        """A real file: its bytes are a token of their own, so the check reads bytes, not just names."""
        if task in self.model:
            name, content = self.token("F"), self.token("B")
            data = f"%PDF-1.7 {content}".encode()
            made = self.anna.upload_attachment(  # type: ignore[attr-defined]
                self.internal_project, task, f"[client] {name}.pdf" if marked else f"{name}.pdf", iter([data]),
                len(data), "application/pdf",
            )
            self.model[task].files[made.id] = (name, marked)
            self.model[task].files[f"{made.id}:bytes"] = (content, marked)
            self.settled = False

    @rule(task=tasks, name=st.sampled_from(INTERNAL_FIELDS))
    def agency_sets_field(self, task: str, name: str) -> None:
        if task in self.model:
            value = self.token("V")
            self.anna.update_task(self.internal_project, self.current(task), {"custom_fields": {name: value}})
            self.values[value] = FieldValue(task, name, AGENCY)
            self.settled = False

    # -- the clients --------------------------------------------------------------------

    def internal_id(self, card: Any) -> str | None:
        return next((t for t, m in self.model.items() if m.title == card.title), None)

    @rule(data=st.data(), client=st.sampled_from(TOOL_NAMES))
    def client_sets_field(self, data: st.DataObject, client: str) -> None:
        cards = sorted((t for t in self.client_snapshot(client).tasks.values() if t.parent_id is None), key=lambda t: t.id)
        if cards:
            card = data.draw(st.sampled_from(cards))
            name = data.draw(st.sampled_from(CLIENT_FIELDS[client]))
            value = self.token("W")
            self.people[client].update_task(self.projects[client], card, {"custom_fields": {name: value}})
            self.values[value] = FieldValue(self.internal_id(card), name, client)
            self.typed[value] = client
            self.settled = False

    @rule(data=st.data(), client=st.sampled_from(TOOL_NAMES))
    def client_upload(self, data: st.DataObject, client: str) -> None:
        cards = sorted((t for t in self.client_snapshot(client).tasks.values() if t.parent_id is None), key=lambda t: t.id)
        if cards:
            card = data.draw(st.sampled_from(cards))
            name, content = self.token("G"), self.token("H")
            blob = f"%PDF-1.7 {content}".encode()
            self.people[client].upload_attachment(self.projects[client], card.id, f"[client] {name}.pdf", iter([blob]),
                                                  len(blob), "application/pdf")
            self.typed[name] = self.typed[content] = client
            task = self.internal_id(card)
            if task is not None:
                self.client_files[name] = (client, task)
            self.settled = False

    def client_snapshot(self, client: str) -> Any:
        return self.people[client].pull(self.projects[client]).snapshot

    @rule(data=st.data(), client=st.sampled_from(TOOL_NAMES), marker=st.booleans())
    def client_comment(self, data: st.DataObject, client: str, marker: bool) -> None:
        cards = sorted((t for t in self.client_snapshot(client).tasks.values() if t.parent_id is None), key=lambda t: t.id)
        if cards:
            card = data.draw(st.sampled_from(cards))
            body = self.token("K")
            self.people[client].create_comment(self.projects[client], card.id, f"#client {body}" if marker else body)
            self.typed[body] = client
            self.settled = False

    @rule(data=st.data(), client=st.sampled_from(TOOL_NAMES))
    def client_request(self, data: st.DataObject, client: str) -> None:
        snap = self.client_snapshot(client)
        lists = sorted((s for s in snap.sections.values() if s.name in ("Design", "Shared with you")), key=lambda s: s.name)
        if lists:
            title, notes = self.token("R"), self.token("D")
            field_name = data.draw(st.sampled_from([None, *CLIENT_FIELDS[client]]))  # a request may come with a value
            values = {field_name: self.token("W")} if field_name else {}
            self.people[client].create_task(
                self.projects[client], NewTask(title=title, notes=notes, section_id=lists[0].id, custom_fields=values)
            )
            for value in values.values():
                self.values[value] = FieldValue(None, field_name or "", client)
                self.typed[value] = client
            self.typed[title] = self.typed[notes] = client
            self.requests[title] = (client, notes)
            self.settled = False

    @rule(data=st.data())
    def hooli_writes(self, data: st.DataObject) -> None:
        """hooli answers by email: a reply to an item's own reply address, or a new request."""
        sent = "\n".join(everything(m) for m in self.sink.received[self.first_mail : self.mails])
        addresses = sorted(set(REPLY_ADDRESS.findall(sent)))
        text = self.token("M")
        answer = data.draw(st.booleans())  # drawn whatever was sent, so a replay draws the same way
        if addresses and answer:
            raw = reply(data.draw(st.sampled_from(addresses)), text)
        else:
            notes = self.token("D")
            raw = reply("request@replies.agency.example", notes, subject=text)
            self.typed[notes] = "hooli"
            self.requests[text] = ("hooli", notes)
        self.typed[text] = "hooli"
        mailbox.keep(self.mail.engine, self.mail.name, "imap", raw, self.mail_now)
        self.settled = False

    @rule(data=st.data(), client=st.sampled_from(TOOL_NAMES))
    def client_approves(self, data: st.DataObject, client: str) -> None:
        snap = self.client_snapshot(client)
        target = next((s for s in snap.sections.values() if s.name == APPROVED), None)
        by_title = {m.title: task_id for task_id, m in self.model.items()}
        cards = sorted(
            (t for t in snap.tasks.values() if t.parent_id is None and t.section_id != (target.id if target else None)),
            key=lambda t: t.id,
        )
        cards = [c for c in cards if c.title in by_title]
        if target is not None and cards:
            card = data.draw(st.sampled_from(cards))
            self.people[client].update_task(self.projects[client], card, {"section_id": target.id})
            self.approved[client].add(by_title[card.title])
            self.settled = False

    # -- cycles, faults, crashes --------------------------------------------------------

    def adopt_requests(self) -> None:
        """Requests the bridge took in become tasks of the model, shared with their own client."""
        for task in self.anna.pull(self.internal_project).snapshot.tasks.values():
            if task.title in self.requests and task.id not in self.model:
                who, notes = self.requests[task.title]
                self.model[task.id] = Model("Client requests", "named", None, task.title, notes, frozenset({who}), origin=who)

    def cycle(self, order: tuple[str, ...] = tuple(NAMES)) -> None:
        hidden = {name: self.hidden_from(name) for name in CLIENTS}
        starts = {name: len(recorded(self.sandboxes[name].emulator)) for name in TOOL_NAMES}
        self.mail_now += dt.timedelta(hours=5)  # a digest goes out every few cycles
        try:
            for name in order:
                self.engine.run(self.links[name], confirm_removals=True)
        finally:
            self.cycles += 1
            for name in TOOL_NAMES:
                for request in recorded(self.sandboxes[name].emulator)[starts[name] :]:
                    text = getattr(request, "text", "") or ""
                    leaked = sorted(t for t in hidden[name] if t in text)
                    assert not leaked, f"{name}'s tool received hidden or foreign text {leaked}: {text[:300]}"
                for key, content in self.new_files(name):
                    leaked = sorted(t for t in hidden[name] if t in content)
                    assert not leaked, f"{name}'s tool stored a file with hidden or foreign bytes {leaked} ({key})"
            received = self.sink.received[self.mails :]
            self.mails += len(received)
            for message in received:
                assert set(message.recipients) <= MAIL_TO, message.recipients
                text = everything(message)
                leaked = sorted(t for t in hidden["hooli"] if t in text)
                assert not leaked, f"hooli received hidden or foreign text {leaked}: {text[:300]}"
            self.adopt_requests()

    def new_files(self, client: str) -> list[tuple[str, str]]:
        """The bytes of every file the client's tool stored since the last look (its vault, or the memory tool's)."""
        emulator = self.sandboxes[client].emulator
        holders = (getattr(emulator, "world", None), getattr(emulator, "store", None))  # Trello's world, Basecamp's store
        vault = next((h.vault for h in holders if hasattr(h, "vault")), None)
        if vault is not None:
            files = {key: lambda key=key: vault.read(key) for key in list(vault.files)}
        else:
            files = {key: lambda key=key: emulator.store.files[key][0] for key in list(emulator.store.files)}
        fresh = [(key, files[key]().decode("utf-8", "replace")) for key in sorted(set(files) - self.stored[client])]
        self.stored[client] |= set(files)
        return fresh

    @rule(side=st.sampled_from(["internal", *TOOL_NAMES]), fault=st.sampled_from(FAULTS), op=st.sampled_from(FAULT_OPS),
          order=st.permutations(NAMES))  # fmt: skip
    def sync_with_fault(self, side: str, fault: Fault, op: str, order: list[str]) -> None:
        sb, kind = (self.isb, "memory") if side == "internal" else (self.sandboxes[side], CLIENTS[side])
        inject(sb, kind, fault, op)
        self.cycle(tuple(order))
        sb.emulator.faults.clear()
        self.settled = False

    @rule(order=st.permutations(NAMES))
    def crash_between_write_and_save(self, order: list[str]) -> None:
        real = self.store.complete_intent

        def die(*args: object, **kwargs: object) -> None:
            raise Crash()

        self.store.complete_intent = die  # type: ignore[method-assign]
        with contextlib.suppress(Crash):
            self.cycle(tuple(order))
        self.store.complete_intent = real  # type: ignore[method-assign]
        self.reopen_store()
        self.settled = False

    @rule()
    def lose_state_store(self) -> None:
        self.reopen_store(self.tmp / f"fresh-{next(self.serial)}.db")
        self.settled = False

    def reopen_store(self, path: Path | None = None) -> None:
        self.store.close()
        if path is not None:
            self.store_url = f"sqlite:///{path}"
        self.store = Store.open(self.store_url)
        self.engine = Engine(self.store, workers=2)

    @rule(order=st.permutations(NAMES))
    def sync(self, order: list[str]) -> None:
        self.cycle(tuple(order))
        self.cycle(tuple(order))
        self.settled = True

    @invariant()
    def each_client_sees_exactly_its_share(self) -> None:
        if not self.settled:
            return
        snaps = {name: self.client_snapshot(name) for name in NAMES}
        for name in NAMES:
            snap = snaps[name]
            titles = sorted(t.title for t in snap.tasks.values())
            expected = sorted(m.title for t, m in self.model.items() if self.shared_with(t, name))
            assert titles == expected, f"{name} does not see exactly its share"
            approved_list = {s.id for s in snap.sections.values() if s.name == APPROVED}
            mine = {self.model[t].title for t in self.approved[name] if t in self.model}
            shown = {t.title for t in snap.tasks.values() if t.section_id in approved_list}
            assert shown <= mine, f"{name} sees {sorted(shown - mine)} as approved, which it never approved"
        internal = self.anna.pull(self.internal_project).snapshot
        for name, mapped in FIELDS.items():
            for card in snaps[name].tasks.values() if mapped else ():
                task = self.internal_id(card)
                if card.parent_id is not None or task is None or self.model[task].parent is not None:
                    continue
                for inner, (outer, _) in mapped.items():
                    there = lookup(card.custom_fields, outer)
                    assert there == lookup(internal.tasks[task].custom_fields, inner), f"{name}'s {outer} disagrees"
        for file_name, (client, task) in self.client_files.items():
            homes = {a.task_id for a in internal.attachments.values() if file_name in a.name}
            assert homes <= {task}, f"{client}'s file {file_name} came back to another task"


def _profile_is_ci() -> bool:
    return bool(settings.default and settings.default.max_examples >= 1000)


# The CI profile: 75 examples x up to 20 steps (about 1,400 steps, measured); the dev profile a quick sample.
MultiClientMachine.TestCase.settings = settings(
    max_examples=75 if _profile_is_ci() else 6, stateful_step_count=20 if _profile_is_ci() else 15
)
TestMultiClient = MultiClientMachine.TestCase


# -- issue 9, case 1, as reported: one Asana project, acme on Trello, globex on Basecamp ----------


def two_clients_on_asana() -> tuple[Any, ...]:
    from bridge.config.schema import Config

    clock = VirtualClock()
    asana, trello, basecamp = sandbox("asana", clock), sandbox("trello", clock), sandbox("basecamp", clock)
    project = asana.create_project("Website", ["Design", "Build"])
    with asana.emulator.lock:
        store = asana.emulator.store
        # One option per client, named as the client (docs/mirror-rules.md "Several clients on one project").
        options = ["none", "client", "automatic", "acme", "globex"]
        store.create_enum_field(store.project(project), "Client access", options, asana.user_ids["human"])
    boards = {"acme": (trello, trello.create_project("Acme", [])), "globex": (basecamp, basecamp.create_project("Globex", []))}
    access = {"type": "custom_field", "field": "Client access"}
    config = Config.model_validate(
        {
            "connections": {"a": {"kind": "asana", "token": "x"}, "t": {"kind": "trello", "key": "k", "token": "t"}},
            "links": {
                name: {
                    "internal": {"connection": "a", "project": project},
                    "client": {"connection": "t", "project": board},
                    "mirror": {"access": access, "sections": {"Design": {"access": "unlocked"}}},
                }
                for name, (_, board) in boards.items()
            },
        }
    )
    internal = asana.connector("bridge", "internal")
    links = {
        name: LinkRuntime(
            name, config.links[name].rules(), LinkSide(internal, project), LinkSide(sb.connector("bridge", "client"), board)
        )
        for name, (sb, board) in boards.items()
    }
    return asana, project, boards, links


def test_one_clients_request_never_reaches_another_client(tmp_path: Path) -> None:
    asana, project, boards, links = two_clients_on_asana()
    anna = asana.connector("human", "anna")
    design = next(s.id for s in anna.pull(project).snapshot.sections.values() if s.name == "Design")
    anna.create_task(project, NewTask(title="Homepage", section_id=design))
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    engine = Engine(store, workers=2)
    for name in links:
        assert engine.run(links[name]).ok
    trello, board = boards["acme"]
    carla = trello.connector("client", "carla")
    lists = carla.pull(board).snapshot.sections
    carla.create_task(
        board,
        NewTask(
            title="Add a testimonials page",
            notes="Quotes from our three biggest customers",
            section_id=next(s.id for s in lists.values() if s.name == "Design"),
        ),
    )
    basecamp, globex_project = boards["globex"]
    before = len(recorded(basecamp.emulator))
    for name in ("acme", "globex", "acme", "globex"):
        assert engine.run(links[name]).ok
    sent = " ".join(getattr(r, "text", "") or "" for r in recorded(basecamp.emulator)[before:])
    assert "testimonials" not in sent and "biggest customers" not in sent
    globex_titles = {t.title for t in basecamp.connector("client", "carla").pull(globex_project).snapshot.tasks.values()}
    assert globex_titles == {"Homepage"}
    request = next(t for t in anna.pull(project).snapshot.tasks.values() if t.title == "Add a testimonials page")
    assert request.custom_fields == {"Client access": "acme"}  # shared with its own client only
    acme_titles = {t.title for t in carla.pull(board).snapshot.tasks.values()}
    assert acme_titles == {"Homepage", "Add a testimonials page"}
    store.close()


def test_one_clients_approval_is_not_anothers(tmp_path: Path) -> None:
    asana, project, boards, links = two_clients_on_asana()
    anna = asana.connector("human", "anna")
    design = next(s.id for s in anna.pull(project).snapshot.sections.values() if s.name == "Design")
    anna.create_task(project, NewTask(title="Logo", section_id=design))
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    engine = Engine(store, workers=2)
    for name in links:
        assert engine.run(links[name]).ok
    trello, board = boards["acme"]
    carla = trello.connector("client", "carla")
    snap = carla.pull(board).snapshot
    approved = next(s.id for s in snap.sections.values() if s.name == "Approved")
    carla.update_task(board, next(t for t in snap.tasks.values() if t.title == "Logo"), {"section_id": approved})
    for name in ("acme", "globex", "acme", "globex"):
        assert engine.run(links[name]).ok
    logo = next(t for t in anna.pull(project).snapshot.tasks.values() if t.title == "Logo")
    assert logo.labels == ["client-approved:acme"]
    basecamp, globex_project = boards["globex"]
    globex = basecamp.connector("client", "carla").pull(globex_project).snapshot
    card = next(t for t in globex.tasks.values() if t.title == "Logo")
    assert globex.sections[card.section_id or ""].name == "Design"
    store.close()


def test_a_marker_naming_no_known_client_is_a_notice_and_shares_with_nobody(tmp_path: Path) -> None:
    asana, project, boards, links = two_clients_on_asana()
    anna = asana.connector("human", "anna")
    with asana.emulator.lock:
        store = asana.emulator.store
        for gid in store.project(project).field_settings:
            store.fields[gid].options.append(EnumOption(store.new_gid(), "acmee", "blue"))
    design = next(s.id for s in anna.pull(project).snapshot.sections.values() if s.name == "Design")
    anna.create_task(project, NewTask(title="Typo share", section_id=design, custom_fields={"Client access": "acmee"}))
    state = Store.open(f"sqlite:///{tmp_path}/state.db")
    report = Engine(state, workers=2).run(links["acme"])
    assert report.ok and any("'acmee'" in n.message and "shared with nobody" in n.message for n in report.notices)
    trello, board = boards["acme"]
    assert trello.connector("client", "carla").pull(board).snapshot.tasks == {}
    state.close()
