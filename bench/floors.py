"""Every issue-15 figure beside its floor or target, as a ratio, in one run.

Run:  .venv/bin/python bench/floors.py                  (the issue's sizes; about 6-8 minutes on 2 cores)
      .venv/bin/python bench/floors.py --quick          (smaller sizes: NOT the issue's figures)
      .venv/bin/python bench/floors.py --skip daemon --skip migrate

Runs, in this one process, the four benches' measurements (docs/benchmarks.md) and ends with one
table: figure, measured value, floor or target, ratio (value / floor), meets or MISSED.

  planner    bench/sync_bench.py's scenario 2: mirror + plan over 10,000 tasks with 3 custom fields,
             first cycle (< 0.30 s) and steady state (< 0.15 s), best of ``--repeat``
  connector  bench/connector_bench.py: per tool, requests of an idle pull (floor 1) and reads after
             10 tasks changed (floor 2); Basecamp polled is held to its API's floor (three
             listings), its webhook-led run (basecamp+hook) to the issue's
  migrate    bench/migrate_bench.py: 2,000 tasks x 3 comments Asana -> Trello on a virtual clock,
             100 ms latency, tuned budget; at most 1.05 x the slower of its read and write floors
  daemon     bench/daemon_bench.py: 1,000 links in one daemon process (a subprocess): peak RSS
             (< 250 MB), largest poll slip (<= 10 % of the interval); webhook -> client write p95
             at 100 links, debounce 0 (< 500 ms)

The planner runs first, while the process is fresh, as its figures are CPU time. A part that fails
is reported and the others still run; the exit status is 1 when one failed, 0 otherwise (a MISSED
figure is a result, not a failure).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import connector_bench, daemon_bench, migrate_bench  # noqa: E402
from bench.figures import Figure, table  # noqa: E402
from bench.sync_bench import client_side, linked_state, planner_internal, timed_cycle  # noqa: E402
from bridge.core.link import Pair  # noqa: E402
from bridge.core.model import Snapshot  # noqa: E402
from bridge.core.ops import Plan  # noqa: E402
from bridge.core.rules import LinkRules  # noqa: E402

PARTS = ("planner", "connector", "migrate", "daemon")
FIRST_CYCLE_TARGET = 0.30  # seconds, mirror + plan of 10,000 tasks (issue 15)
STEADY_CYCLE_TARGET = 0.15


@dataclass(frozen=True)
class Sizes:
    """What each part measures; the defaults are the issue's sizes."""

    planner_tasks: int = 10_000
    planner_fields: int = 3
    repeat: int = 5  # planner: best of (as bench/sync_bench.py --repeat 5 in docs/benchmarks.md; the host is shared, so min-of-N)
    tools: tuple[str, ...] = connector_bench.TOOLS
    connector_tasks: int = 1000
    changed: int = 10
    connector_fields: int = len(connector_bench.FIELDS)
    migration: migrate_bench.MigrationSetup = field(default_factory=migrate_bench.MigrationSetup)
    daemon: daemon_bench.DaemonSetup = field(default_factory=daemon_bench.DaemonSetup)

    def describe(self, part: str) -> str:
        if part == "planner":
            return f"{self.planner_tasks} tasks, {self.planner_fields} custom fields, best of {self.repeat}"
        if part == "connector":
            return (f"{', '.join(self.tools)}; {self.connector_tasks} tasks, {self.changed} changed, "
                    f"{self.connector_fields} custom fields")
        if part == "migrate":
            return self.migration.describe()
        return (f"{self.daemon.links} links, interval {self.daemon.interval} s; webhooks: {daemon_bench.LATENCY_LINKS} links, "
                f"{self.daemon.rounds} deliveries, debounce {self.daemon.debounce:g} s")


ISSUE = Sizes()
QUICK = Sizes(connector_tasks=300, migration=migrate_bench.MigrationSetup(tasks=500), daemon=daemon_bench.DaemonSetup.quick())


def off_size(sizes: Sizes, parts: Sequence[str]) -> list[str]:
    """The parts run at other sizes than the issue's."""
    return [part for part in parts if sizes.describe(part) != ISSUE.describe(part)]


def best_of(repeat: int, internal: Snapshot, client: Snapshot, pairs: list[Pair], rules: LinkRules) -> tuple[float, Plan]:
    """The fastest of ``repeat`` mirror + plan cycles, and the plan."""
    runs = [timed_cycle(internal, client, pairs, rules) for _ in range(repeat)]
    return min(run[0] for run in runs), runs[-1][2]


def planner_figures(tasks: int, fields: int, repeat: int) -> list[Figure]:
    """The first and the steady-state cycle of mirror + plan, each the best of ``repeat``, against its target."""
    internal, rules = planner_internal(tasks, fields)
    gc.collect()  # the garbage of building the project is not the planner's to collect
    first, plan = best_of(repeat, internal, client_side(fields), [], rules)
    client, pairs = linked_state(plan, fields)
    steady, again = best_of(repeat, internal, client, pairs, rules)
    size = f"{tasks} tasks, {fields} fields, best of {repeat}"
    print(f"  first cycle {first:.3f} s ({len(plan.writes())} writes), steady state {steady:.3f} s "
          f"({len(again.writes())} writes)")
    return [
        Figure(f"planner first cycle ({size})", first, FIRST_CYCLE_TARGET, "s", 3,
               note=f"{len(plan.writes())} writes planned"),
        # A steady state that still writes is not steady: its time would measure something else.
        Figure(f"planner steady state ({size})", steady, STEADY_CYCLE_TARGET, "s", 3,
               invalid=f"{len(again.writes())} writes when nothing changed" if again.writes() else ""),
    ]


def connector_figures(sizes: Sizes) -> list[Figure]:
    runs = connector_bench.measure(sizes.tools, sizes.connector_tasks, sizes.changed, sizes.connector_fields)
    connector_bench.print_table(runs)
    return connector_bench.figures(runs, sizes.connector_tasks, sizes.changed)


def migration_figures(sizes: Sizes) -> list[Figure]:
    run = migrate_bench.migrate(sizes.migration)
    migrate_bench.print_run(run)
    return migrate_bench.figures(run)


def daemon_figures(sizes: Sizes) -> list[Figure]:
    return daemon_bench.figures(*daemon_bench.measure(sizes.daemon))


RUNNERS: dict[str, Callable[[Sizes], list[Figure]]] = {
    "planner": lambda sizes: planner_figures(sizes.planner_tasks, sizes.planner_fields, sizes.repeat),
    "connector": connector_figures,
    "migrate": migration_figures,
    "daemon": daemon_figures,
}


@dataclass
class Part:
    name: str
    seconds: float
    figures: list[Figure]
    error: str = ""


def run_part(name: str, sizes: Sizes) -> Part:
    """One part, its details printed as the bench prints them; a failure is kept, not raised, so the others still run."""
    print(f"\n== {name}: {sizes.describe(name)}", flush=True)
    started = time.monotonic()
    figures: list[Figure] = []
    error = ""
    try:
        figures = RUNNERS[name](sizes)
    except (Exception, SystemExit) as failure:  # daemon_bench's waits end in SystemExit when they time out
        traceback.print_exc()
        error = f"{type(failure).__name__}: {failure}"
    seconds = time.monotonic() - started
    print(f"-- {name} took {seconds:.1f} s", flush=True)
    return Part(name, seconds, figures, error)


def summary(parts: Sequence[Part], sizes: Sizes) -> list[str]:
    """The one table of every figure, then how long each part took, what failed, and whether the sizes were the issue's."""
    figures = [figure for part in parts for figure in part.figures]
    lines = ["", "Issue 15: each figure beside its floor or target (ratio = measured / floor; <= 1.00 meets it)", ""]
    lines += table(figures) if figures else ["(no figures)"]
    missed = [f for f in figures if not f.meets or f.invalid]
    lines += ["", f"{len(figures) - len(missed)} of {len(figures)} figures meet their floor or target"
              + ("; not met: " + ", ".join(f.name for f in missed) if missed else "")]
    lines.append("Time per part: " + ", ".join(f"{p.name} {p.seconds:.1f} s" for p in parts)
                 + f"; total {sum(p.seconds for p in parts):.1f} s")
    lines += [f"FAILED: {p.name}: {p.error}" for p in parts if p.error]
    others = off_size(sizes, [p.name for p in parts])
    if others:
        lines.append("NOT THE ISSUE'S SIZES (--quick or a size option): "
                     + "; ".join(f"{part}: {sizes.describe(part)} (issue: {ISSUE.describe(part)})" for part in others))
    return lines


def parse(argv: Sequence[str] | None) -> tuple[Sizes, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes: 300-task connector projects, a 500-task migration, 300 daemon links")
    parser.add_argument("--skip", choices=PARTS, action="append", default=[], help="leave a part out (repeatable)")
    parser.add_argument("--repeat", type=int, help="planner: best of N (default 5)")
    parser.add_argument("--tool", choices=connector_bench.TOOLS, action="append", help="connector: only this tool (repeatable)")
    parser.add_argument("--connector-tasks", type=int, help="connector: tasks in each project")
    parser.add_argument("--planner-tasks", type=int, help="planner: internal tasks")
    parser.add_argument("--migrate-tasks", type=int, help="migrate: tasks migrated")
    parser.add_argument("--daemon-links", type=int, help="daemon: links in the daemon process")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else ISSUE
    sizes = replace(
        sizes,
        repeat=args.repeat or sizes.repeat,
        tools=tuple(args.tool or sizes.tools),
        connector_tasks=args.connector_tasks or sizes.connector_tasks,
        planner_tasks=args.planner_tasks or sizes.planner_tasks,
        migration=replace(sizes.migration, tasks=args.migrate_tasks or sizes.migration.tasks),
        daemon=replace(sizes.daemon, links=args.daemon_links or sizes.daemon.links),
    )
    if sizes.connector_tasks < sizes.changed:
        parser.error(f"--connector-tasks must be at least {sizes.changed}")
    return sizes, [part for part in PARTS if part not in args.skip]


def main(argv: Sequence[str] | None = None) -> int:
    sizes, names = parse(argv)
    others = off_size(sizes, names)
    if others:
        print(f"Not the issue's sizes ({', '.join(others)}): these figures are not issue 15's.")
    parts = [run_part(name, sizes) for name in names]
    print("\n".join(summary(parts, sizes)))
    return 1 if any(part.error for part in parts) else 0


if __name__ == "__main__":
    sys.exit(main())
