"""``pm-bridge demo``: the whole product in one offline run, on in-process emulators.

Anna (agency) has a realistic project in the internal tool; the bridge mirrors
what she shares into Carla's (client) tool; Carla comments, approves and asks
for something new; the bridge brings that back; a quiet cycle sends nothing.
The demo checks its own key facts (above all: no hidden text in any request
the client's emulator received) and exits non-zero if one fails.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.markup import escape

from bridge.clock import VirtualClock
from bridge.config.schema import ClientSideConfig, Config, LinkConfig, LinkSideConfig
from bridge.core.fields import lookup
from bridge.core.mirror import mirror
from bridge.core.model import Attachment, Snapshot, Task
from bridge.core.ports import Connector, FileTransfer
from bridge.core.rules import LinkRules
from bridge.demo.emulate import sandbox_for
from bridge.demo.seed import (
    AGENCY_PROJECT,
    CLIENT_APPROVES,
    CLIENT_COMMENT,
    CLIENT_COMMENT_ON,
    CLIENT_FILE,
    CLIENT_FILE_BYTES,
    CLIENT_PRIORITY,
    CLIENT_PROJECT,
    CLIENT_REQUEST,
    COMMENTS,
    COST_SHEET,
    COST_SHEET_BYTES,
    DELIVERABLE,
    DELIVERABLE_BYTES,
    DELIVERABLE_ON,
    FILES,
    HIDDEN_PHRASES,
    MARGIN,
    MARGIN_VALUE,
    PRIORITY,
    PRIORITY_MAP,
    RENAMED,
    TASKS,
    UNLOCKED,
    Seeded,
    attach_file,
    demo_rules,
    play_client,
    seed_agency_project,
    setup_client_fields,
    with_custom_fields,
)
from bridge.demo.view import TOOL_NAMES, came_back_table, checks_table, project_tree, side_by_side
from bridge.runtime import Runtime, build_runtime
from bridge.sync.engine import CycleReport
from bridge.sync.progress import Progress, describe_op
from connectors.emulation.sandbox import Sandbox
from connectors.emulation.toolkit import Recorded

LINK = "acme"


@dataclass
class Checks:
    items: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.items.append((name, ok, detail))
        return ok

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.items)


def _leaks(requests: list[Recorded]) -> list[str]:
    """Hidden phrases found in any request, read as the tool would (raw, and URL/form-decoded)."""
    found = []
    for request in requests:
        text = request.text
        readable = text + "\n" + urllib.parse.unquote_plus(text)
        found += [phrase for phrase in HIDDEN_PHRASES if phrase in readable]
    return sorted(set(found))


def expected_client_tasks(rules: LinkRules, seeded: Seeded) -> dict[str, str]:
    """Title -> client section for the seeded project, straight from the access rules of the story."""
    shared_section = rules.mirror.shared_section
    out: dict[str, str] = {}
    for item in TASKS:
        if item.key not in seeded.ids or item.access == "none":
            continue
        unlocked = item.section in UNLOCKED
        if item.parent:
            if item.access == "client":  # shared subtask of a hidden parent: a task of its own
                out[item.title] = shared_section
        elif unlocked or item.access == "client":
            out[item.title] = RENAMED.get(item.section, item.section) if unlocked else shared_section
    return out


class Demo:
    def __init__(self, console: Console, internal_kind: str, client_kind: str, folder: Path) -> None:
        self.console = console
        self.internal_kind, self.client_kind = internal_kind, client_kind
        self.internal_tool = TOOL_NAMES.get(internal_kind, internal_kind)
        self.client_tool = TOOL_NAMES.get(client_kind, client_kind)
        self.clock = VirtualClock()  # rate limits and retries wait in virtual time: the demo never sleeps
        self.agency: Sandbox = sandbox_for(internal_kind, self.clock)
        self.client: Sandbox = sandbox_for(client_kind, self.clock)
        self.anna = self.agency.connector("human", "anna")
        self.carla = self.client.connector("client", "carla")
        self.rules = with_custom_fields(demo_rules(internal_kind))
        self.state_url = f"sqlite:///{folder / 'state.db'}"
        self.checks = Checks()
        self.runtime: Runtime | None = None
        self.board = ""
        self.card: Task | None = None  # the deliverable's card in Carla's tool

    def build_runtime(self, internal_project: str, client_project: str) -> Runtime:
        """The same path a user's config takes: a Config, then connectors, links, store and engine."""
        link = LinkConfig(
            internal=LinkSideConfig(connection="agency", project=internal_project),
            client=ClientSideConfig(connection="client", project=client_project),
            **{name: getattr(self.rules, name) for name in LinkRules.model_fields},
        )
        config = Config(
            state=self.state_url,
            connections={"agency": self.agency.connection("bridge"), "client": self.client.connection("bridge")},
            links={LINK: link},
        )
        transports = {"agency": self.agency.emulator.transport(), "client": self.client.emulator.transport()}
        return build_runtime(config, listeners=[Progress(self.console)], transports=transports, clock=self.clock)

    def cycle(self, runtime: Runtime) -> tuple[CycleReport, int, int]:
        """One sync; returns the report and the write requests each emulator received."""
        before = len(self.agency.emulator.writes()), len(self.client.emulator.writes())
        report = runtime.engine.run(runtime.links[LINK])
        return report, len(self.agency.emulator.writes()) - before[0], len(self.client.emulator.writes()) - before[1]

    def step(self, number: int, text: str) -> None:
        self.console.print()
        self.console.rule(f"[bold]{number}. {text}", align="left")

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
        self.anna.close()
        self.carla.close()

    # -- the story ---------------------------------------------------------------------------

    def play(self) -> bool:
        ck = self.checks
        self.step(1, f"Anna (agency) sets up {AGENCY_PROJECT!r} in {self.internal_tool}")
        seeded = seed_agency_project(self.agency, self.anna, self.internal_kind)
        board = self.board = self.client.create_project(CLIENT_PROJECT, [])
        setup_client_fields(self.client, board)
        self.console.print(f"{len(seeded.ids)} tasks, {len(COMMENTS)} comments, {len(FILES) + 2} files; "
                           f"Carla's {self.client_tool} project {CLIENT_PROJECT!r} starts empty.")
        self.console.print(f"The link maps {PRIORITY!r} ({', '.join(f'{a} → {b}' for a, b in PRIORITY_MAP.items())}, "
                           f"both ways); Anna's {MARGIN!r} field is not mapped, and {COST_SHEET!r} is not marked \\[client].")
        for note in seeded.skipped:
            self.console.print(f"[dim]not seeded: {note}[/dim]")
        runtime = self.runtime = self.build_runtime(seeded.project_id, board)

        self.step(2, "First sync: the mirror is created")
        report, _, client_writes = self.cycle(runtime)
        ck.add("first sync succeeded", report.status == "ok", "; ".join(report.errors))
        internal, client = self.anna.pull(seeded.project_id).snapshot, self.carla.pull(board).snapshot
        self.show_both(internal, client)
        self.check_mirror(seeded, client, client_writes)

        self.step(3, f"Carla (client) works in {self.client_tool}")
        approval = self.rules.inbound.approval.client_section if self.rules.inbound.approval else "Approved"
        for action in play_client(self.carla, board, approval) + self.play_client_extras(board):
            self.console.print(f"  • Carla {action}")

        self.step(4, "Second sync: client input comes back")
        report, internal_writes, _ = self.cycle(runtime)
        ck.add("second sync succeeded", report.status == "ok", "; ".join(report.errors))
        internal = self.anna.pull(seeded.project_id).snapshot
        self.show_came_back(internal, internal_writes, self.check_extras_came_back(internal, seeded))

        self.step(5, "Another cycle with nothing new")
        self.quiet_cycles(runtime)
        ck.add(f"nothing hidden reached {self.client_tool}", not (leaked := _leaks(self.client.emulator.requests)),
               f"{len(self.client.emulator.requests)} requests read" + (f"; found: {', '.join(leaked)}" if leaked else ""))
        self.check_kept_home()
        return ck.passed

    def show_both(self, internal: Snapshot, client: Snapshot) -> None:
        view = mirror(internal, client.people, self.rules, self.carla.capabilities)
        left = project_tree(internal, f"{AGENCY_PROJECT} ({self.internal_tool})", view, self.rules)
        right = project_tree(client, f"{CLIENT_PROJECT} ({self.client_tool})")
        self.console.print(side_by_side(left, right, "What the agency sees", "What the client sees"))

    def check_mirror(self, seeded: Seeded, client: Snapshot, writes: int) -> None:
        ck = self.checks
        sections = {s.id: s.name for s in client.sections.values()}
        seen = {t.title: sections.get(t.section_id or "", "") for t in client.tasks.values() if not t.parent_id}
        wanted = expected_client_tasks(self.rules, seeded)
        ck.add("the client sees exactly the shared tasks, in the right lists", seen == wanted,
               f"{len(seen)} tasks via {writes} writes" if seen == wanted else f"saw {seen}")
        comments = sorted(c.text for c in client.comments.values())
        # Attributed as "<author>: ..." (GitHub names people by login, the others by full name).
        attributed = len(comments) == 2 and all("anna" in c.partition(":")[0].casefold() for c in comments)
        ck.add("only #client comments went out, attributed to Anna", attributed, f"{len(comments)} of {len(COMMENTS)} comments")
        if self.carla.capabilities.attachments != "none" and self.anna.capabilities.attachments != "none":
            files = sorted(a.name for a in client.attachments.values())
            ck.add("only the [client] files went out", files == sorted([_plain(DELIVERABLE), "wireframes.pdf"]), ", ".join(files))
        self.check_field_and_file_arrived(client)
        notes = next((t.notes for t in client.tasks.values() if t.title == "Stakeholder interviews"), "")
        ck.add("notes below ---internal--- stayed internal", "Budgeted" not in notes and bool(notes), _oneline(notes))

    # -- custom fields and files (docs/custom-fields.md, docs/files.md) ---------------------------

    def check_field_and_file_arrived(self, client: Snapshot) -> None:
        """Read from Carla's side: her tool's own field (or label, or notes footer) and the copied file's bytes."""
        ck = self.checks
        card = self.card = _task(client, CLIENT_COMMENT_ON)
        wanted = PRIORITY_MAP["High"]
        value = lookup(card.custom_fields, PRIORITY) if card else None
        # GitHub holds it as a label, Basecamp as a notes footer: that text must be what the tool received.
        raw = {"github": "label", "basecamp": "notes footer"}.get(self.client_kind)
        written = not raw or any(f"{PRIORITY}: {wanted}" in r.text for r in self.client.emulator.writes())
        ck.add(f"the mapped field arrived as {wanted}", value == wanted and written,
               f"{raw} '{PRIORITY}: {value}'" if raw else f"{self.client_tool} field {PRIORITY!r} = {value}")
        copy = next((a for a in client.attachments.values() if a.name == _plain(DELIVERABLE)), None)
        if _takes_files(self.anna) and _takes_files(self.carla):
            digest = _sha256(self.carla, self.client.emulator, self.board, copy) if copy and copy.hosted else None
            ck.add("the deliverable arrived as a file with identical bytes (sha256)",
                   digest == hashlib.sha256(DELIVERABLE_BYTES).hexdigest(),
                   f"{len(DELIVERABLE_BYTES)} bytes, sha256 {digest[:12]}…" if digest else f"got {copy}")
        else:
            holds_none = self.client_tool if not _takes_files(self.carla) else self.internal_tool
            ck.add("the deliverable arrived as a link", bool(copy and not copy.hosted and copy.url),
                   f"{holds_none} holds no files through its API" if copy else "missing")

    def check_kept_home(self) -> None:
        """Read from the client's emulator: every request it received and every file it stores."""
        requests = self.client.emulator.requests
        secrets = {MARGIN: "the field's name", MARGIN_VALUE: "its value",
                   COST_SHEET: "the file's name", COST_SHEET_BYTES.decode(): "its bytes"}
        readable = "\n".join(r.text + "\n" + urllib.parse.unquote_plus(r.text) for r in requests)
        seen = [label for secret, label in secrets.items() if secret in readable]
        stored = _stored_hashes(self.client.emulator)
        if hashlib.sha256(COST_SHEET_BYTES).hexdigest() in stored:
            seen.append("the file stored")
        detail = f"{len(requests)} requests, {len(stored)} stored files read" + (f"; found: {', '.join(seen)}" if seen else "")
        self.checks.add(f"the unmapped field and the internal file never reached {self.client_tool}", not seen, detail)

    def play_client_extras(self, board: str) -> list[str]:
        """Carla changes the mapped field, and adds a file where her tool takes files."""
        card = self.card  # as the first sync left it: Carla's comment since then changed none of its fields
        assert card is not None
        self.carla.update_task(board, card, {"custom_fields": {PRIORITY: CLIENT_PRIORITY}})
        actions = [f"set {PRIORITY!r} of {CLIENT_COMMENT_ON!r} to {CLIENT_PRIORITY}"]
        if _takes_files(self.carla):
            attach_file(self.carla, board, card.id, CLIENT_FILE, CLIENT_FILE_BYTES)
            actions.append(f"attached {CLIENT_FILE!r} to it")
        return actions

    def check_extras_came_back(self, internal: Snapshot, seeded: Seeded) -> list[tuple[str, str]]:
        """Carla's field change and file, as Anna's tool now holds them; rows for the came-back table."""
        ck = self.checks
        task = internal.tasks.get(seeded.ids[DELIVERABLE_ON])
        wanted = next(a for a, b in PRIORITY_MAP.items() if b == CLIENT_PRIORITY)
        value = lookup(task.custom_fields, PRIORITY) if task else None
        ck.add(f"Carla's {CLIENT_PRIORITY} came back as {wanted}", value == wanted, f"{PRIORITY} = {value}")
        rows = [(f"set {PRIORITY!r} to {CLIENT_PRIORITY}", f"{PRIORITY!r} is {value}")]
        if not _takes_files(self.carla):
            return rows
        back = next((a for a in internal.attachments.values() if a.name == CLIENT_FILE and task and a.task_id == task.id), None)
        if _takes_files(self.anna):
            digest = _sha256(self.anna, self.agency.emulator, seeded.project_id, back) if back and back.hosted else None
            same = digest == hashlib.sha256(CLIENT_FILE_BYTES).hexdigest()
            detail = f"sha256 {digest[:12]}…" if digest else f"got {back}"
            ck.add("Carla's file came back as a file with identical bytes", same, detail)
        else:
            ck.add("Carla's file came back as a link", bool(back and back.url), f"{self.internal_tool} holds no files")
        shown = ("📎 " + escape(back.name) + (" (a file)" if back.hosted else " (a link)")) if back else "[red]missing[/red]"
        return [*rows, (f"📎 attached {CLIENT_FILE!r}", shown)]

    def show_came_back(self, internal: Snapshot, writes: int, extra_rows: list[tuple[str, str]]) -> None:
        ck = self.checks
        # Titles may carry an access marker (Basecamp: "... [client]").
        by_title = {title: t for t in internal.tasks.values() for title in (CLIENT_COMMENT_ON, CLIENT_APPROVES, CLIENT_REQUEST)
                    if t.title.startswith(title)}
        commented = by_title.get(CLIENT_COMMENT_ON)
        texts = [c.text for c in internal.comments.values() if commented and c.task_id == commented.id]
        attributed = next((t for t in texts if CLIENT_COMMENT in t), "")
        approved = by_title.get(CLIENT_APPROVES)
        label = self.rules.inbound.approval.internal_label if self.rules.inbound.approval else None
        request = by_title.get(CLIENT_REQUEST)
        section = internal.sections.get(request.section_id or "") if request else None
        missing = "[red]missing[/red]"
        labels = ", ".join(repr(name) for name in approved.labels) if approved else ""
        rows = [
            (f"💬 on {CLIENT_COMMENT_ON!r}: {CLIENT_COMMENT!r}", f"💬 {escape(attributed)}" if attributed else missing),
            (f"moved {CLIENT_APPROVES!r} to the approval list",
             (f"label {escape(labels)} (still in {_section(internal, approved)!r})" if label
              else f"moved to {_section(internal, approved)!r}") if approved else missing),
            (f"new card {CLIENT_REQUEST!r}", f"new task {CLIENT_REQUEST!r} in section {section.name!r}" if section else missing),
            *extra_rows,
        ]
        self.console.print(came_back_table(rows, self.client_tool, self.internal_tool))
        self.console.print(f"{writes} write requests to {self.internal_tool}.")
        # GitHub shows a commenter by login ("carla"), the other tools by full name ("Carla Client").
        prefix = attributed.partition(":")[0]
        named = prefix.startswith(f"{self.rules.inbound.comment_prefix} ") and "carla" in prefix.casefold()
        ck.add("Carla's comment came back attributed to her", named, attributed)
        wanted_section = self.rules.inbound.approval.internal_section if self.rules.inbound.approval else None
        if label:
            ck.add("the approval came back as a label", bool(approved and label in approved.labels), label)
        else:
            where = _section(internal, approved)
            ck.add("the approval came back as a move", bool(approved and where == wanted_section), where)
        wanted = self.rules.inbound.requests_section
        ck.add(f"the new request landed in {wanted!r}", bool(section and section.name == wanted), section.name if section else "")

    def quiet_cycles(self, runtime: Runtime) -> None:
        """A cycle with no new edits sends nothing; a client request may need one cycle to settle into its mirrored list."""
        report, internal_writes, client_writes = self.cycle(runtime)
        cycle = 3
        if internal_writes + client_writes:
            ops = [describe_op(op, report) for op in (report.plan.writes() if report.plan else [])]
            self.console.print(f"cycle 3 settled the new request into its mirrored place: {escape('; '.join(ops))}")
            settled = len(ops) <= 1 and all(CLIENT_REQUEST in op for op in ops)
            self.checks.add("cycle 3 only settled the new request", settled, "; ".join(ops))
            report, internal_writes, client_writes = self.cycle(runtime)
            cycle = 4
        total = internal_writes + client_writes
        self.console.print(f"cycle {cycle} sent [bold]{total}[/bold] write requests: nothing changed, so nothing was sent.")
        self.checks.add(f"a quiet cycle sends 0 writes (cycle {cycle})", total == 0 and report.status == "ok", f"{total} writes")


def _section(snapshot: Snapshot, task: object) -> str:
    section_id = getattr(task, "section_id", None) or ""
    return snapshot.sections[section_id].name if section_id in snapshot.sections else ""


def _plain(name: str) -> str:
    """A shared file's name as the client sees it: the access marker taken out."""
    return " ".join(name.replace("[client]", "").split())


def _task(snapshot: Snapshot, title: str) -> Task | None:
    return next((t for t in snapshot.tasks.values() if t.title.startswith(title)), None)


def _takes_files(person: Connector) -> bool:
    return isinstance(person, FileTransfer) and person.capabilities.attachments == "file"


def _stored_hashes(emulator: object) -> set[str]:
    """The sha256 of every file an emulator stores (Asana keeps its vault on the emulator, Trello and Basecamp on their store)."""
    holder = getattr(emulator, "world", None) or getattr(emulator, "store", None)
    vault = getattr(emulator, "vault", None) or getattr(holder, "vault", None)
    return {stored.sha256 for stored in getattr(vault, "files", {}).values()}


def _sha256(person: Connector, emulator: object, project_id: str, attachment: Attachment | None) -> str | None:
    """The file's sha256 as the person's tool hands it out, and only if the tool's file store holds those bytes."""
    if attachment is None or not isinstance(person, FileTransfer):
        return None
    digest = hashlib.sha256()
    with person.open_download(project_id, attachment) as download:
        for chunk in download.chunks:
            digest.update(chunk)
    return digest.hexdigest() if digest.hexdigest() in _stored_hashes(emulator) else None


def _oneline(text: str) -> str:
    return " ".join(text.split())[:80]


def run_demo(console: Console | None = None, internal_kind: str = "asana", client_kind: str = "trello") -> int:
    """Play the demo; 0 when every check held, 1 otherwise."""
    console = console or Console(highlight=False)
    started = time.monotonic()
    internal_tool, client_tool = TOOL_NAMES.get(internal_kind, internal_kind), TOOL_NAMES.get(client_kind, client_kind)
    console.rule(f"[bold]pm-bridge demo: {internal_tool} (agency) → {client_tool} (client)")
    console.print("Both tools are emulated inside this process: no network, no accounts. State lives in a temporary SQLite file.")
    return play_and_report(
        console,
        lambda folder: Demo(console, internal_kind, client_kind, folder),
        started,
        "[green]All checks held. Finished in {elapsed:.1f}s.[/green] Next: `cp config.example.yaml pm-bridge.yaml`.",
    )


class Playable(Protocol):
    checks: Checks

    def play(self) -> bool: ...

    def close(self) -> None: ...


def play_and_report(console: Console, make: Callable[[Path], Playable], started: float, held: str) -> int:
    """Play a demo in a temporary folder, print its checks, and say how it ended: 0 held, 1 a problem."""
    with tempfile.TemporaryDirectory(prefix="pm-bridge-demo-") as folder:
        demo = make(Path(folder))
        try:
            demo.play()
        finally:
            demo.close()
    console.print()
    console.print(checks_table(demo.checks.items))
    elapsed = time.monotonic() - started
    if not demo.checks.passed:
        console.print(f"[red]The demo found a problem (see ✗ above); finished in {elapsed:.1f}s.[/red]")
        return 1
    console.print(held.format(elapsed=elapsed))
    return 0
