"""Invariant 1 for email as a hypothesis state machine: whatever the agency shares, hides, comments, attaches
or puts up for approval, and whenever the cycles run, no message carries text hidden from the client at
the moment it is sent (every header, both parts), and every message goes to her addresses only."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask
from bridge.store import Store
from bridge.sync.engine import Engine, LinkRuntime, LinkSide
from connectors.email import EmailConnector
from connectors.email.sink import SmtpSink
from connectors.memory.sandbox import MemorySandbox
from tests.email.support import CLIENT, PARIS, SECTIONS, everything, link_rules
from tests.email.support import settings as email_settings

ACCESS = ["automatic", "client", "none"]
PLACES = ["Design", "For approval", "Internal QA"]  # unlocked, unlocked (awaits approval), locked


@dataclass
class Item:
    section: str
    access: str
    title: str
    notes: str
    cut: str  # below the cut line: never shared
    comments: list[tuple[str, bool]] = field(default_factory=list)  # (token, marked)
    files: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def shared(self) -> bool:
        return self.access == "client" or (self.access == "automatic" and self.section != "Internal QA")


class EmailLeakMachine(RuleBasedStateMachine):
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="pmb-email-"))
        self.sink = SmtpSink().__enter__()
        self.sandbox = MemorySandbox(clock=VirtualClock())
        self.project = self.sandbox.create_project("Website", SECTIONS)
        self.anna = self.sandbox.connector("human", "anna")
        self.sections = {s.name: s.id for s in self.anna.pull(self.project).snapshot.sections.values()}
        self.now = dt.datetime(2026, 12, 7, 7, 0, tzinfo=PARIS)
        state = f"sqlite:///{self.tmp}/state.db"
        self.store = Store.open(state)
        self.mail = EmailConnector("mail", email_settings(self.sink.port), state, now=lambda: self.now)
        self.link = LinkRuntime("acme", link_rules(), LinkSide(self.sandbox.connector("bridge", "internal"), self.project),
                                LinkSide(self.mail, "Acme website"))
        self.engine = Engine(self.store, workers=2)
        self.items: dict[str, Item] = {}
        self.serial = itertools.count(1)
        self.checked = 0

    def teardown(self) -> None:
        self.mail.close()
        self.store.close()
        self.sink.__exit__(None, None, None)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def token(self, kind: str) -> str:
        return f"{kind}{next(self.serial):04d}Z"

    def labels(self, access: str) -> list[str]:
        return {"client": ["client"], "none": ["internal"]}.get(access, [])

    @rule(target=tasks, section=st.sampled_from(PLACES), access=st.sampled_from(ACCESS))
    def create_task(self, section: str, access: str) -> str:
        title, notes, cut = self.token("T"), self.token("N"), self.token("CUT")
        made = self.anna.create_task(self.project, NewTask(title=title, notes=f"{notes}\n---internal---\n{cut}",
                                                           section_id=self.sections[section], labels=self.labels(access)))
        self.items[made.id] = Item(section, access, title, notes, cut)
        return made.id

    @rule(task=tasks, access=st.sampled_from(ACCESS))
    def set_access(self, task: str, access: str) -> None:
        current = self.anna.pull(self.project).snapshot.tasks[task]
        self.anna.update_task(self.project, current, {"labels": self.labels(access)})
        self.items[task].access = access

    @rule(task=tasks, section=st.sampled_from(PLACES))
    def move(self, task: str, section: str) -> None:
        current = self.anna.pull(self.project).snapshot.tasks[task]
        self.anna.update_task(self.project, current, {"section_id": self.sections[section]})
        self.items[task].section = section

    @rule(task=tasks, marked=st.booleans())
    def comment(self, task: str, marked: bool) -> None:
        text = self.token("C")
        self.anna.create_comment(self.project, task, f"{text} #client" if marked else text)
        self.items[task].comments.append((text, marked))

    @rule(task=tasks, marked=st.booleans())
    def attach(self, task: str, marked: bool) -> None:
        name = self.token("F")
        self.anna.create_attachment(self.project, task, f"{name} [client].pdf" if marked else f"{name}.pdf",
                                    f"https://files.example/{name}")
        self.items[task].files.append((name, marked))

    @rule(hours=st.sampled_from([0.25, 5, 24, 24, 24 * 6]))
    def cycle(self, hours: float) -> None:
        before = len(self.sink.received)
        self.now += dt.timedelta(hours=hours)
        report = self.engine.run(self.link)
        assert report.status == "ok", report.errors
        hidden = set()
        for item in self.items.values():
            hidden.add(item.cut)
            if not item.shared:
                hidden |= {item.title, item.notes}
            hidden |= {text for text, marked in item.comments if not (marked and item.shared)}
            hidden |= {name for name, marked in item.files if not (marked and item.shared)}
        for message in self.sink.received[before:]:
            assert set(message.recipients) <= {CLIENT, "boss@client.example"}
            text = everything(message)
            leaked = sorted(token for token in hidden if token in text)
            assert not leaked, leaked
            self.checked += 1


EmailLeakMachine.TestCase.settings = settings(max_examples=12, stateful_step_count=25, deadline=None)
TestEmailLeaks = EmailLeakMachine.TestCase
