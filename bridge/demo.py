"""The offline demo: an agency's Asana project mirrored into a client's Trello board, both emulated.

It seeds a realistic project as Anna (agency), syncs, shows both sides,
plays Carla (client: a comment, an approval, a new request), syncs again,
shows what came back, and proves a third cycle sends nothing. It also checks
that no hidden text reached the client's emulator, and fails loudly if so.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bridge.clock import VirtualClock
from bridge.engine import Engine, LinkRuntime, LinkSide
from bridge.model import Snapshot
from bridge.rules import AccessSource, LinkRules, MirrorRules, SectionRule
from bridge.store import Store
from connectors.base import Connector, NewTask
from connectors.registry import tool_module

HIDDEN = ["rotate staging credentials", "margin 40%", "logged 3h", "budget.xlsx", "Load test"]


def _sandbox(kind: str, clock: VirtualClock):  # type: ignore[no-untyped-def]
    module = tool_module(kind)
    return module.Sandbox(module.Emulator(clock=clock), clock)


def _seed(anna: Connector, project: str, access: dict[str, dict[str, object]]) -> None:
    snap = anna.pull(project).snapshot
    section = {s.name: s.id for s in snap.sections.values()}
    home = anna.create_task(project, NewTask(title="Homepage design", notes="Hero, features, footer\n---internal---\nmargin 40%", section_id=section["Design"]))
    anna.create_task(project, NewTask(title="Sitemap workshop", section_id=section["Discovery"], done=True))
    anna.create_task(project, NewTask(title="Pricing page copy", section_id=section["Design"], **access["none"]))  # type: ignore[arg-type]
    ops = anna.create_task(project, NewTask(title="Load test", section_id=section["Internal QA"]))
    anna.create_task(project, NewTask(title="Approve test plan", parent_id=ops.id, **access["client"]))  # type: ignore[arg-type]
    anna.create_task(project, NewTask(title="CMS setup", section_id=section["Build"], **access["client"]))  # type: ignore[arg-type]
    anna.create_task(project, NewTask(title="rotate staging credentials", section_id=section["Build"]))
    anna.create_comment(project, home.id, "#client First draft is up, feedback welcome")
    anna.create_comment(project, home.id, "logged 3h on hero variants")
    anna.create_attachment(project, home.id, "[client] wireframes.pdf", "https://files.example/wireframes.pdf")
    anna.create_attachment(project, home.id, "budget.xlsx", "https://files.example/budget.xlsx")


def _table(title: str, snap: Snapshot) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("section", "task", "done", "comments"):
        table.add_column(column)
    for task in sorted(snap.tasks.values(), key=lambda t: (t.section_id or "", t.position)):
        section = snap.sections.get(task.section_id or "")
        name = section.name if section else ("  (subtask)" if task.parent_id else "")
        comments = "; ".join(c.text for c in snap.comments.values() if c.task_id == task.id)
        table.add_row(name, task.title, "yes" if task.done else "", comments[:200])
    return table


def run_demo(internal_kind: str = "asana", client_kind: str = "trello", console: Console | None = None) -> int:
    console = console or Console()
    clock = VirtualClock()
    isb, csb = _sandbox(internal_kind, clock), _sandbox(client_kind, clock)
    project = isb.create_project("Acme website", ["Discovery", "Design", "Build", "Internal QA"])
    isb.setup_access_field(project)
    board = csb.create_project("Acme x Agency", [])
    source = AccessSource(type="custom_field") if internal_kind == "asana" else AccessSource(type="label")
    rules = LinkRules(
        mirror=MirrorRules(
            sections={"Discovery": SectionRule(access="unlocked"), "Design": SectionRule(access="unlocked", rename="Design review")},
            access=source,
        )
    )
    access = {
        v: ({"custom_fields": {source.field: v}} if source.type == "custom_field" else {"labels": [source.client if v == "client" else source.none]})
        for v in ("client", "none")
    }
    anna, carla = isb.connector("human"), csb.connector("client")
    _seed(anna, project, access)
    state = Path(tempfile.mkdtemp(prefix="pm-bridge-demo-")) / "state.db"
    engine = Engine(Store.open(f"sqlite:///{state}"))
    link = LinkRuntime("acme", rules, LinkSide(isb.connector("bridge"), project), LinkSide(csb.connector("bridge"), board))
    console.rule(f"[bold]pm-bridge demo: {internal_kind} (agency) -> {client_kind} (client), state in {state}")
    report = engine.run(link)
    console.print(f"cycle 1: {report.status}, {report.applied} changes applied")
    console.print(_table(f"What the agency sees ({internal_kind})", anna.pull(project).snapshot))
    client_view = carla.pull(board).snapshot
    console.print(_table(f"What the client sees ({client_kind})", client_view))

    console.rule("[bold]Carla (client) comments, approves a card and asks for something new")
    card = next(t for t in client_view.tasks.values() if t.title == "Homepage design")
    approved = next(s.id for s in client_view.sections.values() if s.name == "Approved")
    carla.create_comment(board, card.id, "Love the hero. Can the footer be darker?")
    carla.update_task(board, card, {"section_id": approved})
    carla.create_task(board, NewTask(title="Add a blog", notes="With categories please", section_id=card.section_id))
    for n in (2, 3):
        report = engine.run(link)
        console.print(f"cycle {n}: {report.status}, {report.applied} changes applied")
    console.print(_table("What came back to the agency", anna.pull(project).snapshot))
    writes_before = sum(1 for r in csb.emulator.requests if r.is_write) + sum(1 for r in isb.emulator.requests if r.is_write)
    report = engine.run(link)
    writes_after = sum(1 for r in csb.emulator.requests if r.is_write) + sum(1 for r in isb.emulator.requests if r.is_write)
    console.print(f"cycle 4 (nothing new): {report.status}, {writes_after - writes_before} write requests sent")
    leaks = [r.text[:120] for r in csb.emulator.requests for secret in HIDDEN if secret in r.text]
    if leaks or report.status != "ok" or writes_after != writes_before:
        console.print(f"[red]demo check failed: leaks={leaks[:3]} status={report.status}")
        return 1
    console.print(f"[green]No hidden text reached {client_kind} in {len(csb.emulator.requests)} requests; a quiet cycle sends 0 writes.")
    return 0
