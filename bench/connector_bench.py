"""Connector benchmark: the requests each tool's connector spends on the pulls and writes of a sync cycle.

Run:  .venv/bin/python bench/connector_bench.py [--tool asana|trello|github|basecamp] [--tasks 1000] [--changed 10]
                                                [--fields 2]

For each connector, through its emulator on a virtual clock (so rate limits and
time between cycles cost no real waiting), on a project of ``--tasks`` tasks in
three sections, one comment on every tenth task, and ``--fields`` custom fields
(default 2: Priority, an enum, and Budget, a number; 0: none, the figures from
before custom fields) with values on every fifth task, as a link that maps them
reads them (docs/custom-fields.md):

  first pull         the bridge's first, full read of the project
  no-change pull     an incremental pull with nothing changed (goal: 1 request, or 304s)
  pull after N       an incremental pull after a person edited N tasks (title, and
                     with fields the Priority of each)
  write N            the bridge, as the client side, updating N tasks (title and notes)

The counts are requests the emulator answered (304s, and retries after a 429,
included); "304" is how many of them were answered Not Modified. A minute of
virtual time passes between steps, as between two sync cycles.

Basecamp's pull cannot learn from one request whether anything changed (to-dos, comments and
lists are three listings), so it is run twice: polling, and again as ``basecamp+hook``, led by
the project's webhook, whose deliveries the emulator sends to the connector's own ``receive``
(in-process) and whose hints reach each pull as the daemon's would (docs/daemon.md,
"Webhook-led polling"). ``--no-webhooks`` skips that second run.

Each figure is also printed beside its floor, as a ratio: 1 request for a
no-change pull, 2 after N changes (one to learn what changed, one to read
it), N for N single-item writes. The first pull has no fixed floor.

:func:`measure` returns the runs and :func:`figures` the two issue-15 figures of each (idle and
after N changed) for bench/floors.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, ratio  # noqa: E402
from bridge.clock import VirtualClock  # noqa: E402
from bridge.core.fields import FieldKind  # noqa: E402
from bridge.core.ports import Connector, NewTask, PullResult, PullState, WebhookRegistry  # noqa: E402
from bridge.runtime import webhook_module  # noqa: E402
from connectors.emulation.webhooks import HintFeed  # noqa: E402
from connectors.registry import tool_module  # noqa: E402

TOOLS = ("asana", "trello", "github", "basecamp")
SECTIONS = ["To do", "Doing", "Done"]
# The custom fields of a realistic project: name, kind, options (docs/custom-fields.md).
FIELDS: tuple[tuple[str, FieldKind, tuple[str, ...]], ...] = (
    ("Priority", "enum", ("High", "Medium", "Low")),
    ("Budget", "number", ()),
)
BETWEEN_CYCLES = 60.0  # virtual seconds between two steps, as between two sync cycles
HOOK_TOKEN = "bench-webhook-token"
# Where a tool's API cannot tell in fewer requests whether anything changed, the floor of a polled
# pull (docs/benchmarks.md, "Requests per connector"); its webhook-led run is held to the floors.
POLLING_FLOORS: dict[str, tuple[int, str]] = {"basecamp": (3, "to-dos, comments, lists: three listings")}


@dataclass
class Step:
    label: str
    requests: int
    not_modified: int
    seconds: float  # wall clock
    waited: float  # virtual seconds the connector slept (rate limits, Retry-After)
    tasks: int | None = None
    floor: int | None = None  # the fewest requests the step can take
    fields_seen: int | None = None  # edited tasks whose new custom field value the pull read

    def against_floor(self) -> str:
        kind = ("read" if self.label.startswith("pull after") else "request") + ("" if self.requests == 1 else "s")
        if self.floor is None:
            return f"{self.label}: {self.requests} {kind}"
        return f"{self.label}: {self.requests} {kind} (floor {self.floor}, {ratio(self.requests, self.floor)})"

    def count(self) -> str:
        return f"{self.requests}" + (f" ({self.not_modified}x304)" if self.not_modified else "")

    def timing(self) -> str:
        return f"{self.seconds:.2f}s" + (f" +{self.waited:.0f}s wait" if self.waited >= 0.5 else "")


@dataclass
class ToolRun:
    tool: str  # the tool, "+hook" when its webhook led the pulls
    steps: list[Step]
    seed_seconds: float
    led: bool = False


class Meter:
    """Counts what one tool's emulator answered during a step."""

    def __init__(self, emulator: Any, clock: VirtualClock) -> None:
        self.emulator = emulator
        self.clock = clock

    def measure(self, label: str, action: Any) -> tuple[Step, Any]:
        before, virtual = len(self.emulator.requests), self.clock.now()
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
        answered = self.emulator.requests[before:]
        step = Step(label, len(answered), sum(1 for r in answered if r.status == 304), seconds, self.clock.now() - virtual)
        return step, result


def field_values(n: int, fields: int) -> dict[str, str]:
    """The custom field values of task ``n``: on every fifth task."""
    if n % 5:
        return {}
    values = {"Priority": ("High", "Medium", "Low")[n % 3], "Budget": str(100 + n)}
    return {name: values[name] for name, _, _ in FIELDS[:fields]}


def seed(anna: Connector, project: str, tasks: int, fields: int) -> dict[str, str]:
    """Create the project's tasks as a person would (through the API); return task id -> section id."""
    sections = [s.id for s in sorted(anna.pull(project).snapshot.sections.values(), key=lambda s: s.position)]
    placed: dict[str, str] = {}
    for n in range(tasks):
        section = sections[n % len(sections)]
        new = NewTask(title=f"Task {n}", notes=f"Notes for task {n}", section_id=section,
                      custom_fields=field_values(n, fields))
        task = anna.create_task(project, new)
        placed[task.id] = section
        if n % 10 == 0:
            anna.create_comment(project, task.id, f"Comment on task {n}")
    return placed


def reads_hints(tool: str) -> bool:
    """Whether the tool's pull reads webhook hints (Capabilities.change_hints): only there can a webhook lower the cost."""
    capabilities = getattr(tool_module(tool), "CAPABILITIES", None)
    return bool(capabilities is not None and capabilities.change_hints)


def hint_feed(sandbox: Any, bridge: Connector, project: str) -> HintFeed:
    """The project's webhook, answered in-process, so each pull gets what the deliveries named (docs/daemon.md)."""
    module = webhook_module(sandbox.kind)
    assert module is not None and isinstance(bridge, WebhookRegistry)
    feed = HintFeed(module.receive, HOOK_TOKEN)
    sandbox.emulator.outbox.use(feed.transport)
    bridge.register_webhook(project, f"https://bridge.example/hooks/bench/client/{HOOK_TOKEN}", HOOK_TOKEN)
    return feed


def run_tool(tool: str, tasks: int, changed: int, fields: int, led: bool = False) -> ToolRun:
    clock = VirtualClock()
    module = tool_module(tool)
    sandbox = module.Sandbox(module.Emulator(clock=clock), clock)
    project = sandbox.create_project("Benchmark project", SECTIONS)
    for name, kind, options in FIELDS[:fields]:  # a no-op where any name is a field (GitHub, Basecamp)
        sandbox.add_custom_field(project, name, kind, options)
    anna, bridge = sandbox.connector("human", "anna"), sandbox.connector("bridge", "bridge")
    started = time.perf_counter()
    # Seeding stands in for months of people's work: it would trip GitHub's secondary limits (500
    # content-creating requests an hour), which the measured steps below face as documented.
    sandbox.emulator.secondary_limits = False
    seed(anna, project, tasks, fields)
    sandbox.emulator.secondary_limits = True
    seed_seconds = time.perf_counter() - started
    feed = hint_feed(sandbox, bridge, project) if led else None
    meter = Meter(sandbox.emulator, clock)

    def pull(previous: PullResult | None) -> PullResult:
        hints = feed.take(sandbox.emulator.outbox) if feed is not None else None
        state = PullState(cursor=previous.cursor, snapshot=previous.snapshot, hints=hints) if previous else None
        return bridge.pull(project, state)

    steps: list[Step] = []
    clock.advance(BETWEEN_CYCLES)
    step, first = meter.measure(f"first pull ({tasks})", lambda: pull(None))
    steps.append(step)
    step.tasks = len(first.snapshot.tasks)

    clock.advance(BETWEEN_CYCLES)
    step, quiet = meter.measure("no-change pull", lambda: pull(first))
    steps.append(step)
    step.floor = 1
    step.tasks = len(quiet.snapshot.tasks)

    clock.advance(BETWEEN_CYCLES)
    current = anna.pull(project).snapshot
    edited = sorted(current.tasks.values(), key=lambda t: t.title)[:changed]
    for n, task in enumerate(edited):
        changes: dict[str, Any] = {"title": task.title + " (edited)"}
        if fields:
            changes["custom_fields"] = {"Priority": ("High", "Medium", "Low")[n % 3]}
        anna.update_task(project, task, changes)
    clock.advance(BETWEEN_CYCLES)
    step, after = meter.measure(f"pull after {changed} changed", lambda: pull(quiet))
    steps.append(step)
    step.floor = 2
    step.tasks = sum(1 for t in after.snapshot.tasks.values() if t.title.endswith("(edited)"))
    if fields:
        step.fields_seen = sum(
            1 for n, t in enumerate(edited)
            if after.snapshot.tasks[t.id].custom_fields.get("Priority") == ("High", "Medium", "Low")[n % 3]
        )

    clock.advance(BETWEEN_CYCLES)
    targets = [after.snapshot.tasks[t.id] for t in edited]

    def write() -> None:
        for task in targets:
            bridge.update_task(project, task, {"title": task.title + " v2", "notes": task.notes + " (revised)"})

    step, _ = meter.measure(f"write {changed} (client side)", write)
    steps.append(step)
    step.floor = changed
    step.tasks = len(targets)
    for connector in (anna, bridge):
        connector.close()
    return ToolRun(f"{tool}+hook" if led else tool, steps, seed_seconds, led)


def measure(tools: Sequence[str], tasks: int, changed: int, fields: int, webhooks: bool = True) -> list[ToolRun]:
    """Each tool polled; then, where one request cannot tell whether anything changed, the same tool led by its webhook."""
    runs = [run_tool(tool, tasks, changed, fields) for tool in tools]
    return runs + [run_tool(tool, tasks, changed, fields, led=True) for tool in tools if webhooks and reads_hints(tool)]


def step_figure(run: ToolRun, step: Step, name: str, tasks: int, changed: int | None = None) -> Figure:
    """One step's requests beside its floor; a polled tool whose API cannot reach the issue's floor is held to its own.

    ``changed``: the edits the step's pull had to read, checked against what it read.
    """
    assert step.floor is not None
    notes = ["webhook-led"] if run.led else []
    target = step.floor
    polling = POLLING_FLOORS.get(run.tool) if not run.led else None
    if polling is not None:
        target, why = polling
        notes.append(f"polled: API floor {target} ({why}); {ratio(step.requests, step.floor)} the issue's floor "
                     f"{step.floor}, which {run.tool}+hook is held to")
    if step.not_modified:
        notes.append(f"{step.not_modified} answered 304")
    # A cheap pull that missed changes measures nothing: its figure is marked invalid.
    missed = [f"{seen} of {changed} {what}" for seen, what in ((step.tasks, "edits"), (step.fields_seen, "new values"))
              if changed is not None and seen is not None and seen != changed]
    invalid = "read only " + ", ".join(missed) if missed else ""
    return Figure(f"{name}, {run.tool} ({tasks} tasks)", step.requests, target, "req", note="; ".join(notes),
                  invalid=invalid)


def figures(runs: Sequence[ToolRun], tasks: int, changed: int) -> list[Figure]:
    """Requests of the idle pull (floor 1) and reads after ``changed`` edits (floor 2), tool by tool."""
    return [step_figure(run, run.steps[1], "idle pull requests", tasks) for run in runs] + [
        step_figure(run, run.steps[2], f"reads after {changed} changed", tasks, changed) for run in runs
    ]


def print_table(runs: list[ToolRun]) -> None:
    labels = [s.label for s in runs[0].steps]
    widths = [max(len(label), 14) + 2 for label in labels]
    name = max(10, *(len(run.tool) + 1 for run in runs))
    header = f"{'tool':<{name}}" + "".join(f"{label:>{w}}" for label, w in zip(labels, widths, strict=True))
    print("Requests answered by the tool (how many of them were 304 Not Modified)")
    print(header)
    for run in runs:
        print(f"{run.tool:<{name}}" + "".join(f"{s.count():>{w}}" for s, w in zip(run.steps, widths, strict=True)))
    print("\nWall-clock seconds (+ virtual seconds spent waiting on rate limits)")
    print(header + f"{'seeding':>12}")
    for run in runs:
        cells = "".join(f"{s.timing():>{w}}" for s, w in zip(run.steps, widths, strict=True))
        print(f"{run.tool:<{name}}{cells}{f'{run.seed_seconds:.1f}s':>12}")
    print("\nAgainst the floor (requests / floor):")
    for run in runs:
        print(f"  {run.tool}: " + "; ".join(s.against_floor() for s in run.steps[1:]))
    print("\nWhat each step saw (a check that the figures measure real work):")
    for run in runs:
        first, quiet, after, write = run.steps
        print(f"  {run.tool}: first pull {first.tasks} tasks, no-change pull {quiet.tasks} tasks, "
              f"pull after {after.tasks} edited tasks"
              + (f" ({after.fields_seen} with their new Priority)" if after.fields_seen is not None else "")
              + f", wrote {write.tasks} tasks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tool", choices=TOOLS, action="append", help="benchmark only this tool (repeatable)")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks in the project (default 1000)")
    parser.add_argument("--changed", type=int, default=10, help="tasks edited, and tasks written (default 10)")
    parser.add_argument("--fields", type=int, default=len(FIELDS), choices=range(len(FIELDS) + 1),
                        help=f"custom fields on the project (default {len(FIELDS)}; 0: none)")
    parser.add_argument("--no-webhooks", action="store_true", help="skip the webhook-led runs (tools whose pull reads hints)")
    args = parser.parse_args()
    if args.tasks < args.changed or args.changed < 1:
        parser.error("--changed must be at least 1 and at most --tasks")
    runs = measure(args.tool or TOOLS, args.tasks, args.changed, args.fields, webhooks=not args.no_webhooks)
    print(f"{args.tasks} tasks, {args.fields} custom fields\n")
    print_table(runs)


if __name__ == "__main__":
    main()
