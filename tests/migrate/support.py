"""A source project with everything a migration carries, on any emulated tool, and a migration to run on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bridge.clock import VirtualClock
from bridge.core.model import Snapshot
from bridge.core.ports import Connector, NewTask
from bridge.core.rules import LinkRules
from bridge.migrate.filters import COPY_EVERYTHING, FilterMode
from bridge.migrate.run import Endpoints, Migration
from bridge.migrate.spec import Endpoint, MigrationOptions
from bridge.store import Store
from connectors.registry import tool_module

SECTIONS = ["Discovery", "Design", "Build"]


def sandbox(kind: str, clock: VirtualClock) -> Any:
    module = tool_module(kind)
    return module.Sandbox(module.Emulator(clock=clock), clock)


@dataclass
class Pairing:
    """An emulated source project filled by Anna, an empty target project, a store."""

    source_kind: str
    target_kind: str
    store_url: str
    clock: VirtualClock = field(default_factory=VirtualClock)

    def __post_init__(self) -> None:
        self.src = sandbox(self.source_kind, self.clock)
        self.dst = sandbox(self.target_kind, self.clock)
        self.source_project = self.src.create_project("Acme website", SECTIONS)
        self.target_project = self.dst.create_project("Acme (migrated)", [])
        self.store = Store.open(self.store_url)
        self.anna: Connector = self.src.connector("human", "anna")

    def fill(self, tasks_per_section: int = 2) -> Snapshot:
        """Tasks in every section (labels, an assignee, dates, done), a subtask, comments and a file."""
        anna = self.anna
        snap = anna.pull(self.source_project).snapshot
        sections = {s.name: s.id for s in snap.sections.values()}
        anna_id = next((p.id for p in snap.people.values() if p.email == "anna@agency.example"), None)
        caps = anna.capabilities.task_fields
        first = ""
        for name in SECTIONS:
            for n in range(tasks_per_section):
                fields: dict[str, Any] = {"title": f"{name} task {n}", "notes": f"Notes of {name} {n}",
                                          "section_id": sections[name], "done": n == 1}
                if "labels" in caps:
                    fields["labels"] = ["design"] if name == "Design" else []
                if "due" in caps:
                    fields["due"] = dt.date(2026, 3, 10 + n)
                if "assignees" in caps and anna_id:
                    fields["assignees"] = [anna_id]
                task = anna.create_task(self.source_project, NewTask(**fields))
                first = first or task.id
                anna.create_comment(self.source_project, task.id, f"First note on {name} {n}")
                anna.create_comment(self.source_project, task.id, f"Second note on {name} {n}")
        subtask = anna.create_task(self.source_project, NewTask(title="Check the fonts", parent_id=first))
        if anna.capabilities.attachments != "none":
            anna.create_attachment(self.source_project, first, "brief.pdf", "https://files.example/brief.pdf")
        return anna.pull(self.source_project).snapshot if subtask else snap

    def options(self, **kw: Any) -> MigrationOptions:
        return MigrationOptions(
            source=Endpoint(connection="source", kind=self.source_kind, project=self.source_project),
            target=Endpoint(connection="target", kind=self.target_kind, project=self.target_project),
            **kw,
        )

    def migration(self, rules: LinkRules = COPY_EVERYTHING, mode: FilterMode = FilterMode.everything, *,
                  workers: int = 3, **kw: Any) -> Migration:
        ends = Endpoints(self.src.connector("bridge", "source"), self.dst.connector("bridge", "target"))
        return Migration(self.store, self.options(**kw), rules, mode, ends, workers=workers)

    def target(self) -> Snapshot:
        return self.dst.connector("client", "carla").pull(self.target_project).snapshot

    def target_writes(self) -> int:
        return sum(1 for r in self.dst.emulator.requests if r.is_write)

    def source_writes(self) -> int:
        return sum(1 for r in self.src.emulator.requests if r.is_write)


def ordered_titles(snapshot: Snapshot) -> list[tuple[str, list[str]]]:
    """Each section's top-level task titles, in the tool's order."""
    out = []
    for section in sorted(snapshot.sections.values(), key=lambda s: s.position):
        tasks = [t for t in snapshot.tasks.values() if t.section_id == section.id and not t.parent_id]
        out.append((section.name, [t.title for t in sorted(tasks, key=lambda t: t.position)]))
    return out
