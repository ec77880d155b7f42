"""A hypothesis state machine: people edit both sides, cycles run, faults strike.

After every cycle: no request that reached the client's tool carried any
text of a hidden task, comment or file (checked per request, so "not in the
middle of a cycle" too). After two fault-free cycles: the client side equals
the mirror of the internal side, every client comment has come back, and a
further cycle sends zero writes. Faults: a write failing before or after it
took effect, a lost response, 429s, a listing lagging behind writes, a crash
between a remote write and the state save, and a lost state store.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from bridge.core.ports import NewTask
from connectors.emulation.toolkit import Fault
from tests.engine.world import SECTIONS, UNLOCKED, World, inject, recorded

FAULTS = [Fault.FAIL_BEFORE, Fault.FAIL_AFTER, Fault.LOSE_RESPONSE, Fault.RATE_LIMIT, Fault.LAG]
FAULT_OPS = ["create_task", "update_task", "create_comment", "create_section", "pull"]
ACCESS = ["automatic", "client", "none"]


class Crash(Exception):
    """The process died between a remote write and the state save."""


@dataclass
class Model:
    """The test's own, independent idea of the internal project."""

    section: str
    access: str
    parent: str | None
    title: str
    notes: str
    comments: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id -> (text, marked)


class BridgeMachine(RuleBasedStateMachine):
    internal_kind = "memory"
    client_kind = "memory"

    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="pmb-sm-"))
        self.w = World(self.internal_kind, self.client_kind, f"sqlite:///{self.tmp}/state.db")
        self.model: dict[str, Model] = {}
        self.serial = itertools.count(1)
        self.settled = False
        self.client_comment_texts: list[str] = []
        self.section_ids = {name: self.w.section(name) for name in SECTIONS}

    def teardown(self) -> None:
        self.w.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def token(self, kind: str) -> str:
        return f"{kind}{next(self.serial):05d}x"

    # -- the test's own access rules ------------------------------------------

    def shared(self, task_id: str) -> bool:
        m = self.model[task_id]
        if m.access != "automatic":
            return m.access == "client"
        if m.parent is not None:
            return m.parent in self.model and self.shared(m.parent)
        return m.section in UNLOCKED

    def hidden_texts(self) -> set[str]:
        texts: set[str] = set()
        for task_id, m in self.model.items():
            if not self.shared(task_id):
                texts |= {m.title, m.notes}
            texts |= {text for text, marked in m.comments.values() if not marked or not self.shared(task_id)}
        return texts

    # -- people editing the internal side -------------------------------------

    @rule(target=tasks, section=st.sampled_from(SECTIONS), access=st.sampled_from(ACCESS))
    def create_task(self, section: str, access: str) -> str:
        title, notes = self.token("T"), self.token("N")
        task = self.w.anna.create_task(
            self.w.internal_project,
            NewTask(title=title, notes=notes, section_id=self.section_ids[section], **self.w.access(access)),
        )
        self.model[task.id] = Model(section, access, None, title, notes)
        self.settled = False
        return task.id

    @rule(target=tasks, parent=tasks, access=st.sampled_from(ACCESS))
    def create_subtask(self, parent: str, access: str) -> str:
        if parent not in self.model or self.model[parent].parent is not None:
            return parent  # only one level of nesting here; hand back a valid task
        title, notes = self.token("S"), self.token("N")
        task = self.w.anna.create_task(
            self.w.internal_project, NewTask(title=title, notes=notes, parent_id=parent, **self.w.access(access))
        )
        self.model[task.id] = Model(self.model[parent].section, access, parent, title, notes)
        self.settled = False
        return task.id

    def _current(self, task_id: str):
        return self.w.anna.pull(self.w.internal_project).snapshot.tasks[task_id]

    @rule(task=tasks)
    def retitle(self, task: str) -> None:
        if task in self.model:
            title = self.token("T")
            self.w.anna.update_task(self.w.internal_project, self._current(task), {"title": title})
            self.model[task].title = title
            self.settled = False

    @rule(task=tasks, access=st.sampled_from(ACCESS))
    def set_access(self, task: str, access: str) -> None:
        if task in self.model:
            self.w.anna.update_task(self.w.internal_project, self._current(task), self.w.access(access))
            self.model[task].access = access
            self.settled = False

    @rule(task=tasks, section=st.sampled_from(SECTIONS))
    def move(self, task: str, section: str) -> None:
        if task in self.model and self.model[task].parent is None:
            self.w.anna.update_task(self.w.internal_project, self._current(task), {"section_id": self.section_ids[section]})
            self.model[task].section = section
            for m in self.model.values():
                if m.parent == task:
                    m.section = section
            self.settled = False

    @rule(task=tasks, marked=st.booleans())
    def comment(self, task: str, marked: bool) -> None:
        if task in self.model:
            body = self.token("C")
            text = f"#client {body}" if marked else body
            made = self.w.anna.create_comment(self.w.internal_project, task, text)
            self.model[task].comments[made.id] = (body, marked)
            self.settled = False

    @rule(task=consumes(tasks))
    def delete(self, task: str) -> None:
        if task in self.model and not any(m.parent == task for m in self.model.values()):
            self.w.anna.remove_task(self.w.internal_project, self._current(task), "delete")
            del self.model[task]
            self.settled = False

    # -- the client ---------------------------------------------------------

    def _client_tasks(self):
        snap = self.w.carla.pull(self.w.client_project).snapshot
        return snap, sorted(snap.tasks.values(), key=lambda t: t.id)

    @rule(data=st.data())
    def client_comments(self, data: st.DataObject) -> None:
        _, tasks = self._client_tasks()
        top = [t for t in tasks if t.parent_id is None]
        if top:
            card = data.draw(st.sampled_from(top))
            text = self.token("K")
            self.w.carla.create_comment(self.w.client_project, card.id, text)
            self.client_comment_texts.append(text)
            self.settled = False

    @rule(data=st.data(), what=st.sampled_from(["title", "done"]))
    def client_edits(self, data: st.DataObject, what: str) -> None:
        _, tasks = self._client_tasks()
        if tasks:
            card = data.draw(st.sampled_from(tasks))
            change = {"title": self.token("X")} if what == "title" else {"done": not card.done}
            self.w.carla.update_task(self.w.client_project, card, change)
            self.settled = False

    @rule()
    def client_requests(self) -> None:
        snap, _ = self._client_tasks()
        owned = [s for s in snap.sections.values() if s.name in ("Design", "Shared with you")]
        if owned:
            self.w.carla.create_task(self.w.client_project, NewTask(title=self.token("R"), section_id=owned[0].id))
            self.settled = False

    # -- cycles, faults, crashes ---------------------------------------------

    def _cycle(self) -> None:
        hidden = self.hidden_texts()
        start = len(recorded(self.w.csb.emulator))
        try:
            self.w.sync(confirm_removals=True)
        finally:
            for request in recorded(self.w.csb.emulator)[start:]:
                leaked = [text for text in hidden if text in request.text]
                assert not leaked, f"hidden text {leaked} reached the client in {request.text[:300]}"

    @rule(side=st.sampled_from(["internal", "client"]), fault=st.sampled_from(FAULTS), op=st.sampled_from(FAULT_OPS))
    def sync_with_fault(self, side: str, fault: Fault, op: str) -> None:
        sandbox, kind = (self.w.isb, self.internal_kind) if side == "internal" else (self.w.csb, self.client_kind)
        inject(sandbox, kind, fault, op)
        self._cycle()
        sandbox.emulator.faults.clear()
        self.settled = False

    @rule()
    def crash_between_write_and_save(self) -> None:
        store = self.w.store
        real = store.complete_intent

        def die(*args: object, **kwargs: object) -> None:
            raise Crash()

        store.complete_intent = die  # type: ignore[method-assign]
        with contextlib.suppress(Crash):
            self._cycle()
        store.complete_intent = real  # type: ignore[method-assign]
        self.w.reopen_store()  # the process restarts
        self.settled = False

    @rule()
    def lose_state_store(self) -> None:
        self.w.reopen_store(self.tmp / f"fresh-{next(self.serial)}.db")
        self.settled = False

    @rule()
    def sync(self) -> None:
        self._cycle()
        self._cycle()
        self.settled = True

    @invariant()
    def converged_when_settled(self) -> None:
        if not self.settled:
            return
        before = (self.w.client_writes(), self.w.internal_writes())
        self._cycle()
        assert (self.w.client_writes(), self.w.internal_writes()) == before, "a cycle with nothing new sent writes"
        client, _ = self._client_tasks()
        internal = self.w.anna.pull(self.w.internal_project).snapshot
        expected = {self.model[t].title for t in self.model if self.shared(t)}
        requests = {t.title for t in internal.tasks.values() if t.id not in self.model}  # taken in from the client
        titles = sorted(t.title for t in client.tasks.values())
        assert titles == sorted(expected | requests), (
            "the client side is not the mirror of the internal side (or holds duplicates)"
        )
        internal_titles = [t.title for t in internal.tasks.values()]
        assert len(internal_titles) == len(set(internal_titles)), "a client request was taken in twice"
        marked = {
            f"Anna Agency: {text}" for t in self.model if self.shared(t) for text, ok in self.model[t].comments.values() if ok
        }
        client_texts = [c.text for c in client.comments.values()]
        assert len(client_texts) == len(set(client_texts)), "a comment was duplicated on the client side"
        assert marked <= set(client_texts)
        internal_texts = [c.text for c in internal.comments.values()]
        for text in self.client_comment_texts:
            if text in client_texts:
                assert internal_texts.count(f"Client Carla Client: {text}") == 1, f"client comment {text} not back exactly once"
        by_title = {t.title: t for t in internal.tasks.values()}
        for card in client.tasks.values():
            assert card.done == by_title[card.title].done, f"done differs for {card.title}"


BridgeMachine.TestCase.settings = settings(stateful_step_count=12)
TestMemoryToMemory = BridgeMachine.TestCase


class AsanaToTrelloMachine(BridgeMachine):
    """The same machine over the real connectors and their emulators (HTTP payloads checked for leaks)."""

    internal_kind = "asana"
    client_kind = "trello"


AsanaToTrelloMachine.TestCase.settings = settings(
    stateful_step_count=10, max_examples=max(20, (settings.default.max_examples if settings.default else 100) // 10)
)
TestAsanaToTrello = AsanaToTrelloMachine.TestCase
