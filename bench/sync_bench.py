"""Sync benchmark: requests per side per cycle, and planner speed and memory at scale.

Run:  .venv/bin/python bench/sync_bench.py [--tasks 1000] [--shared 300] [--planner-tasks 10000]

Scenario 1 (emulators, Asana internal -> Trello client, SQLite state):
  a 1,000-task internal project of which 300 are shared; prints requests per
  side for the first sync, the cycle that absorbs its echoes, a cycle with
  nothing changed, and a cycle after 10 shared tasks were edited.
Scenario 2 (pure core): mirror + plan over a 10,000-task project; seconds,
  tasks per second, peak MB (tracemalloc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.clock import VirtualClock  # noqa: E402
from bridge.core.mirror import mirror  # noqa: E402
from bridge.core.model import Section, Snapshot, Task  # noqa: E402
from bridge.core.plan.cycle import plan_cycle  # noqa: E402
from bridge.core.ports import Capabilities  # noqa: E402
from bridge.core.rules import AccessSource, LinkRules, MirrorRules, SectionRule  # noqa: E402
from bridge.store import Store  # noqa: E402
from bridge.sync.engine import Engine, LinkRuntime, LinkSide  # noqa: E402
from connectors.asana import Emulator as AsanaEmulator  # noqa: E402
from connectors.asana import Sandbox as AsanaSandbox  # noqa: E402
from connectors.trello import Emulator as TrelloEmulator  # noqa: E402
from connectors.trello import Sandbox as TrelloSandbox  # noqa: E402

RULES = LinkRules(
    mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, access=AccessSource(type="custom_field"))
)


def counts(emulator: object, since: int) -> tuple[int, int]:
    requests = emulator.requests[since:]  # type: ignore[attr-defined]
    writes = sum(1 for r in requests if r.is_write)
    return len(requests) - writes, writes


def sync_scenario(tasks: int, shared: int) -> None:
    clock = VirtualClock()
    asana = AsanaSandbox(AsanaEmulator(clock=clock), clock)
    trello = TrelloSandbox(TrelloEmulator(clock=clock), clock)
    project = asana.create_project("Big agency project", ["Design", "Build"])
    asana.setup_access_field(project)
    board = trello.create_project("Client board", [])
    sections = asana.section_ids(project)
    ids = []
    for n in range(tasks):
        in_design = n < shared
        ids.append(
            asana.add_task(project, f"Task {n}", section_id=sections["Design" if in_design else "Build"], notes=f"Notes {n}")
        )
    tmp = Path(tempfile.mkdtemp())
    store = Store.open(f"sqlite:///{tmp}/bench.db")
    engine = Engine(store)
    link = LinkRuntime("bench", RULES, LinkSide(asana.connector("bridge"), project), LinkSide(trello.connector("bridge"), board))
    print(f"Scenario 1: Asana ({tasks} tasks, {shared} shared) -> Trello, SQLite state")
    print(f"{'cycle':<28}{'internal r/w':>14}{'client r/w':>14}{'seconds':>10}{'virtual s':>11}")

    def cycle(label: str) -> None:
        i0, c0, v0 = len(asana.emulator.requests), len(trello.emulator.requests), clock.now()
        started = time.perf_counter()
        report = engine.run(link)
        wall = time.perf_counter() - started
        ir, iw = counts(asana.emulator, i0)
        cr, cw = counts(trello.emulator, c0)
        print(f"{label:<28}{f'{ir}/{iw}':>14}{f'{cr}/{cw}':>14}{wall:>10.2f}{clock.now() - v0:>11.1f}   [{report.status}]")

    cycle("first sync")
    cycle("absorbing own echoes")
    cycle("nothing changed")
    human = asana.connector("human")
    snap = human.pull(project).snapshot
    for gid in ids[:10]:
        human.update_task(project, snap.tasks[gid], {"title": snap.tasks[gid].title + " (edited)"})
    cycle("10 shared tasks edited")
    cycle("nothing changed again")
    # The agency moves 10 shared tasks to the top of their section, one after another.
    snap = human.pull(project).snapshot
    for gid in reversed(ids[100:110]):
        human.update_task(project, snap.tasks[gid], {"after": None})
    cycle("10 shared tasks reordered")
    cycle("nothing changed at last")
    print("  (virtual s = time the rate limits made the bridge wait, on the emulators' virtual clock)")


def planner_scenario(n: int) -> None:
    internal = Snapshot(connection="i", project_id="p")
    for s in range(20):
        internal.sections[f"s{s}"] = Section(id=f"s{s}", name=f"Section {s}", position=s)
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for t in range(n):
        internal.tasks[f"t{t}"] = Task(
            id=f"t{t}",
            title=f"Task {t}",
            notes="x" * 200,
            section_id=f"s{t % 20}",
            labels=["client"] if t % 3 == 0 else [],
            modified_at=stamp,
            position=t,
        )
    rules = LinkRules(mirror=MirrorRules(sections={f"Section {s}": SectionRule(access="unlocked") for s in range(0, 20, 4)}))
    client = Snapshot(connection="c", project_id="q")
    tracemalloc.start()
    started = time.perf_counter()
    view = mirror(internal, client.people, rules, Capabilities())
    plan = plan_cycle(internal, client, view, [], rules, Capabilities(), Capabilities())
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shared, planned = len(view.tasks), len(plan.writes())
    print(f"\nScenario 2: mirror + plan, {n} internal tasks ({shared} shared, first cycle: {planned} writes planned)")
    print(f"  seconds {elapsed:.2f}   tasks/second {n / elapsed:,.0f}   peak MB {peak / 1e6:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--shared", type=int, default=300)
    parser.add_argument("--planner-tasks", type=int, default=10_000)
    args = parser.parse_args()
    sync_scenario(args.tasks, args.shared)
    planner_scenario(args.planner_tasks)


if __name__ == "__main__":
    main()
