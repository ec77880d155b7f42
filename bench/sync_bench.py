"""Sync benchmark: requests per side per cycle, and planner speed and memory at scale.

Run:  .venv/bin/python bench/sync_bench.py [--tasks 1000] [--shared 300] [--planner-tasks 10000] [--fields 3]

``--fields N`` (default 3) maps N custom fields on the link, as a realistic link does
(docs/custom-fields.md): Priority (an enum through a value map), Budget (a number) and
Brief (text, both ways), with values on the tasks. ``--fields 0`` gives the figures
without custom fields, as measured before they existed.

Scenario 1 (emulators, Asana internal -> Trello client, SQLite state):
  a 1,000-task internal project of which 300 are shared; prints requests per
  side for the first sync, the cycle that absorbs its echoes, a cycle with
  nothing changed, and a cycle after 10 shared tasks were edited (with fields:
  and one after 10 shared tasks' Priority changed).
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.clock import VirtualClock  # noqa: E402
from bridge.core.fields import FieldDef, FieldMap  # noqa: E402
from bridge.core.link import Pair  # noqa: E402
from bridge.core.mirror import mirror  # noqa: E402
from bridge.core.model import Section, Snapshot, Task  # noqa: E402
from bridge.core.ops import CreateSection, CreateTask, Plan  # noqa: E402
from bridge.core.plan.cycle import plan_cycle  # noqa: E402
from bridge.core.ports import Capabilities  # noqa: E402
from bridge.core.rules import AccessSource, FieldRules, LinkRules, MirrorRules, SectionRule  # noqa: E402
from bridge.store import Store  # noqa: E402
from bridge.sync.engine import Engine, LinkRuntime, LinkSide  # noqa: E402
from connectors.asana import Emulator as AsanaEmulator  # noqa: E402
from connectors.asana import Sandbox as AsanaSandbox  # noqa: E402
from connectors.trello import Emulator as TrelloEmulator  # noqa: E402
from connectors.trello import Sandbox as TrelloSandbox  # noqa: E402

RULES = LinkRules(
    mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, access=AccessSource(type="custom_field"))
)
# The custom fields a realistic link maps (docs/custom-fields.md): the first ``--fields`` of them.
PRIORITIES = {"High": "P1", "Medium": "P2", "Low": "P3"}
FIELD_MAPS = (
    FieldMap(name="Priority", to="Priority", values=PRIORITIES),
    FieldMap(name="Budget", to="Budget"),
    FieldMap(name="Brief", to="Brief", direction="both"),
)
INTERNAL_DEFS = (
    FieldDef(name="Priority", kind="enum", options=tuple(PRIORITIES)),
    FieldDef(name="Budget", kind="number"),
    FieldDef(name="Brief", kind="text"),
)
CLIENT_DEFS = (
    FieldDef(name="Priority", kind="enum", options=tuple(PRIORITIES.values())),
    FieldDef(name="Budget", kind="number"),
    FieldDef(name="Brief", kind="text"),
)


def with_fields(rules: LinkRules, fields: int) -> LinkRules:
    """``rules`` mapping the first ``fields`` custom fields."""
    if not fields:
        return rules
    custom = {rule.name: rule for rule in FIELD_MAPS[:fields]}
    mirror_rules = rules.mirror.model_copy(update={"fields": FieldRules(custom=custom)})
    return rules.model_copy(update={"mirror": mirror_rules})


def field_values(n: int, fields: int) -> dict[str, str]:
    """Internal values of task ``n``: by field name."""
    values = {"Priority": list(PRIORITIES)[n % 3], "Budget": str(100 + n), "Brief": f"Brief {n}"}
    return {d.name: values[d.name] for d in INTERNAL_DEFS[:fields]}


def counts(emulator: object, since: int) -> tuple[int, int]:
    requests = emulator.requests[since:]  # type: ignore[attr-defined]
    writes = sum(1 for r in requests if r.is_write)
    return len(requests) - writes, writes


def asana_values(asana: AsanaSandbox, values: dict[str, str]) -> dict[str, object]:
    """Asana's ``custom_fields`` body for values by field name: field gid -> option gid, number or text."""
    store = asana.emulator.store
    out: dict[str, object] = {}
    for custom in store.fields.values():
        if custom.name in values:
            value = values[custom.name]
            option = next((o.gid for o in custom.options if o.name == value), None)
            out[custom.gid] = option or (float(value) if custom.subtype == "number" else value)
    return out


def sync_scenario(tasks: int, shared: int, fields: int) -> None:
    clock = VirtualClock()
    asana = AsanaSandbox(AsanaEmulator(clock=clock), clock)
    trello = TrelloSandbox(TrelloEmulator(clock=clock), clock)
    project = asana.create_project("Big agency project", ["Design", "Build"])
    asana.setup_access_field(project)
    board = trello.create_project("Client board", [])
    for internal_def, client_def in zip(INTERNAL_DEFS[:fields], CLIENT_DEFS[:fields], strict=True):
        asana.add_custom_field(project, internal_def.name, internal_def.kind, internal_def.options)
        trello.add_custom_field(board, client_def.name, client_def.kind, client_def.options)
    sections = asana.section_ids(project)
    ids = []
    for n in range(tasks):
        in_design = n < shared
        custom: dict[str, Any] = {"custom_fields": asana_values(asana, field_values(n, fields))} if fields else {}
        ids.append(
            asana.add_task(
                project, f"Task {n}", section_id=sections["Design" if in_design else "Build"], notes=f"Notes {n}", **custom
            )
        )
    tmp = Path(tempfile.mkdtemp())
    store = Store.open(f"sqlite:///{tmp}/bench.db")
    engine = Engine(store)
    internal_side, client_side_ = LinkSide(asana.connector("bridge"), project), LinkSide(trello.connector("bridge"), board)
    link = LinkRuntime("bench", with_fields(RULES, fields), internal_side, client_side_)
    print(f"Scenario 1: Asana ({tasks} tasks, {shared} shared, {fields} custom fields mapped) -> Trello, SQLite state")
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
    if fields:
        snap = human.pull(project).snapshot
        for gid in ids[20:30]:
            priority = snap.tasks[gid].custom_fields.get("Priority")
            changed = "Low" if priority != "Low" else "High"
            human.update_task(project, snap.tasks[gid], {"custom_fields": {"Priority": changed}})
        cycle("10 shared Priority changed")
        cycle("nothing changed after")
    # The agency moves 10 shared tasks to the top of their section, one after another.
    snap = human.pull(project).snapshot
    for gid in reversed(ids[100:110]):
        human.update_task(project, snap.tasks[gid], {"after": None})
    cycle("10 shared tasks reordered")
    cycle("nothing changed at last")
    print("  (virtual s = time the rate limits made the bridge wait, on the emulators' virtual clock)")


# Both tools define their fields, as Asana and Trello do (bridge/core/ports.py Capabilities).
CAPS = Capabilities(custom_fields=True, defined_fields=True)
FIRST_CYCLE_TARGET = 0.3  # seconds for 10,000 internal tasks (issue 15)
STEADY_CYCLE_TARGET = 0.15


def planner_internal(n: int, fields: int = 0) -> tuple[Snapshot, LinkRules]:
    internal = Snapshot(connection="i", project_id="p")
    internal.fields = {d.name: d for d in INTERNAL_DEFS[:fields]}
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
            custom_fields=field_values(t, fields),
        )
    rules = LinkRules(mirror=MirrorRules(sections={f"Section {s}": SectionRule(access="unlocked") for s in range(0, 20, 4)}))
    return internal, with_fields(rules, fields)


def client_side(fields: int) -> Snapshot:
    """The client's project before the first cycle: empty, with the fields the link maps defined."""
    client = Snapshot(connection="c", project_id="q")
    client.fields = {d.name: d for d in CLIENT_DEFS[:fields]}
    return client


def linked_state(plan: Plan, fields: int = 0) -> tuple[Snapshot, list[Pair]]:
    """The client side and the pairs a first cycle's plan leaves once applied (what the engine records)."""
    client = client_side(fields)
    pairs: list[Pair] = []
    for op in plan.ops:
        if isinstance(op, CreateSection):
            cid = f"c-{op.key}"
            client.sections[cid] = Section(id=cid, name=op.name, position=len(client.sections))
            pairs.append(Pair(kind="section", key=op.key, internal_id=op.key, client_id=cid, base=dict(op.base or {})))
    for position, op in enumerate(o for o in plan.ops if isinstance(o, CreateTask)):
        cid = f"c-{op.key}"
        known = {k: v for k, v in op.fields.items() if k in Task.model_fields}
        custom = {k.removeprefix("cf:"): v for k, v in op.fields.items() if k.startswith("cf:") and v is not None}
        client.tasks[cid] = Task(
            id=cid,
            section_id=f"c-{op.section}" if op.section else None,
            parent_id=f"c-{op.parent}" if op.parent else None,
            position=position,
            custom_fields=custom,
            **known,
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
    view = mirror(internal, client.people, rules, CAPS)
    plan = plan_cycle(internal, client, view, pairs, rules, CAPS, CAPS)
    elapsed = time.perf_counter() - started
    peak = 0.0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return elapsed, peak, plan, len(view.tasks)


def planner_scenario(n: int, fields: int, repeat: int = 3) -> None:
    internal, rules = planner_internal(n, fields)
    empty = client_side(fields)
    first = min(timed_cycle(internal, empty, [], rules)[0] for _ in range(repeat))
    first_traced, first_peak, plan, shared = timed_cycle(internal, empty, [], rules, trace=True)
    client, pairs = linked_state(plan, fields)
    steady = min(timed_cycle(internal, client, pairs, rules)[0] for _ in range(repeat))
    steady_traced, steady_peak, again, _ = timed_cycle(internal, client, pairs, rules, trace=True)
    print(f"\nScenario 2: mirror + plan, {n} internal tasks ({shared} shared, {fields} custom fields mapped); "
          f"best of {repeat}, tracemalloc off")
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
    parser.add_argument("--fields", type=int, default=3, choices=range(len(FIELD_MAPS) + 1),
                        help="custom fields the link maps (default 3; 0: none)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of scenario 2, the best kept (default 3)")
    args = parser.parse_args()
    if not args.planner_only:
        sync_scenario(args.tasks, args.shared, args.fields)
    planner_scenario(args.planner_tasks, args.fields, args.repeat)


if __name__ == "__main__":
    main()
