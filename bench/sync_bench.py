"""Sync benchmark: requests per side per cycle, and planner speed and memory at scale.

Run:  .venv/bin/python bench/sync_bench.py [--tasks 1000] [--shared 300] [--planner-tasks 10000]

Scenario 1 (emulators, Asana internal -> Trello client, SQLite state):
  a 1,000-task internal project of which 300 are shared; prints requests per
  side for the first sync, the cycle that absorbs its echoes, a cycle with
  nothing changed, and a cycle after 10 shared tasks were edited.
Scenario 2 (pure core): mirror + plan over a 10,000-task project; seconds,
  tasks per second, peak MB (tracemalloc), for the first cycle and for a
  steady-state cycle (everything linked as the first cycle recorded it,
  nothing changed), each beside its target as a ratio. The timings run with
  tracemalloc off (it slows allocation-heavy code by 2-3x); peak MB is taken
  in a separate traced run.
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
from bridge.core.link import Pair  # noqa: E402
from bridge.core.mirror import mirror  # noqa: E402
from bridge.core.model import Section, Snapshot, Task  # noqa: E402
from bridge.core.ops import CreateSection, CreateTask, Plan  # noqa: E402
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


FIRST_CYCLE_TARGET = 0.3  # seconds for 10,000 internal tasks (issue 15)
STEADY_CYCLE_TARGET = 0.15


def planner_internal(n: int) -> tuple[Snapshot, LinkRules]:
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
    return internal, rules


def linked_state(plan: Plan) -> tuple[Snapshot, list[Pair]]:
    """The client side and the pairs a first cycle's plan leaves once applied (what the engine records)."""
    client = Snapshot(connection="c", project_id="q")
    pairs: list[Pair] = []
    for op in plan.ops:
        if isinstance(op, CreateSection):
            cid = f"c-{op.key}"
            client.sections[cid] = Section(id=cid, name=op.name, position=len(client.sections))
            pairs.append(Pair(kind="section", key=op.key, internal_id=op.key, client_id=cid, base=dict(op.base or {})))
    for position, op in enumerate(o for o in plan.ops if isinstance(o, CreateTask)):
        cid = f"c-{op.key}"
        fields = {k: v for k, v in op.fields.items() if k in Task.model_fields}
        client.tasks[cid] = Task(
            id=cid,
            section_id=f"c-{op.section}" if op.section else None,
            parent_id=f"c-{op.parent}" if op.parent else None,
            position=position,
            **fields,
        )
        pairs.append(Pair(kind="task", key=op.key, internal_id=op.key, client_id=cid, base=dict(op.base or {})))
    return client, pairs


def timed_cycle(
    internal: Snapshot, client: Snapshot, pairs: list[Pair], rules: LinkRules, trace: bool = False
) -> tuple[float, float, Plan, int]:
    """Seconds and peak MB of one mirror + plan; the plan and the shared task count."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    view = mirror(internal, client.people, rules, Capabilities())
    plan = plan_cycle(internal, client, view, pairs, rules, Capabilities(), Capabilities())
    elapsed = time.perf_counter() - started
    peak = 0.0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return elapsed, peak, plan, len(view.tasks)


def planner_scenario(n: int, repeat: int = 3) -> None:
    internal, rules = planner_internal(n)
    empty = Snapshot(connection="c", project_id="q")
    first = min(timed_cycle(internal, empty, [], rules)[0] for _ in range(repeat))
    first_traced, first_peak, plan, shared = timed_cycle(internal, empty, [], rules, trace=True)
    client, pairs = linked_state(plan)
    steady = min(timed_cycle(internal, client, pairs, rules)[0] for _ in range(repeat))
    steady_traced, steady_peak, again, _ = timed_cycle(internal, client, pairs, rules, trace=True)
    print(f"\nScenario 2: mirror + plan, {n} internal tasks ({shared} shared); best of {repeat}, tracemalloc off")
    print(f"{'cycle':<28}{'writes':>8}{'seconds':>9}{'target':>8}{'ratio':>7}{'tasks/s':>10}{'peak MB':>9}{'traced s':>10}")
    for label, seconds, target, writes, peak, traced in (
        ("first cycle", first, FIRST_CYCLE_TARGET, len(plan.writes()), first_peak, first_traced),
        ("steady state (all linked)", steady, STEADY_CYCLE_TARGET, len(again.writes()), steady_peak, steady_traced),
    ):
        print(
            f"{label:<28}{writes:>8}{seconds:>9.3f}{target:>8.2f}{seconds / target:>7.2f}{n / seconds:>10,.0f}"
            f"{peak:>9.1f}{traced:>10.3f}"
        )
    print("  (ratio = seconds / target, <= 1 meets it; traced s = the run that measured peak MB, with tracemalloc on;")
    print("   the machine is shared, so figures vary between runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--shared", type=int, default=300)
    parser.add_argument("--planner-tasks", type=int, default=10_000)
    parser.add_argument("--planner-only", action="store_true", help="run scenario 2 only")
    args = parser.parse_args()
    if not args.planner_only:
        sync_scenario(args.tasks, args.shared)
    planner_scenario(args.planner_tasks)


if __name__ == "__main__":
    main()
