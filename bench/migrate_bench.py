"""Migration benchmark: Asana -> Trello, wall time against the floor the rate limits allow.

Run:  .venv/bin/python bench/migrate_bench.py [--tasks 2000] [--comments 3] [--clock sim|real]
                                              [--latency 0.1] [--workers 4] [--budget tuned|default]

Both emulators answer after ``--latency`` seconds and enforce their documented
limits: Asana 1,500 requests per minute (a bucket), Trello 100 requests per
10 s per token (a sliding window, 429 without Retry-After). The source (S
sections, N tasks, C comments each, seeded directly into the emulator) is read
in parts while the target is written (bridge/migrate/stream.py). The two tools
have separate budgets, so the floor is the slower phase, not the sum:

    floor = max(source requests / 25 per s, target requests / 10 per s)

It also prints when the first write landed and when the last read did: the
first must come well before the last, or nothing overlapped.

``--clock sim`` runs on bench/sim_clock.py (threads overlap in virtual time; a
2,000-task run takes a minute or two of real time); ``--clock real`` waits for
real (a 2,000-task run takes ~15 minutes; --tasks 400 about three).
``--budget tuned`` gives the Trello connection ``rate_limit: {requests: 1,
per_seconds: 0.101}`` (a 1-request bucket refilled at 9.9/s, which never
exceeds 100 in any 10 s); ``default`` keeps the connector's own 8/s.

:func:`migrate` returns the run's figures, :func:`figures` the one issue 15 holds to its floor
(for bench/floors.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure  # noqa: E402
from bench.sim_clock import SimClock  # noqa: E402
from bridge.clock import Clock, RealClock  # noqa: E402
from bridge.config.connection import RateLimit  # noqa: E402
from bridge.migrate.filters import COPY_EVERYTHING, FilterMode  # noqa: E402
from bridge.migrate.report import MigrationEvent, SidePulled, WriteDone  # noqa: E402
from bridge.migrate.run import Endpoints, Migration  # noqa: E402
from bridge.migrate.spec import Endpoint, MigrationOptions  # noqa: E402
from bridge.store import Store  # noqa: E402
from connectors.asana import Emulator as AsanaEmulator  # noqa: E402
from connectors.asana import Sandbox as AsanaSandbox  # noqa: E402
from connectors.registry import build  # noqa: E402
from connectors.trello import Emulator as TrelloEmulator  # noqa: E402
from connectors.trello import Sandbox as TrelloSandbox  # noqa: E402

ASANA_RATE = 1500 / 60  # requests per second, documented
TRELLO_RATE = 100 / 10
FLOOR_FACTOR = 1.05  # the target: the migration takes at most this times its floor (issue 15)


def seed(asana: AsanaSandbox, tasks: int, comments: int, sections: int) -> str:
    names = [f"Section {s}" for s in range(sections)]
    project = asana.create_project("Big agency project", names)
    ids = asana.section_ids(project)
    emulator = asana.emulator
    for n in range(tasks):
        gid = asana.add_task(project, f"Task {n}", section_id=ids[names[n % sections]], notes=f"Notes {n}")
        with emulator.lock:
            task = emulator.store.task(gid)
            for c in range(comments):
                emulator.store.story_added(asana.user_ids["human"], task, "comment_added", f"Comment {c} on task {n}")
    return project


@dataclass(frozen=True)
class MigrationSetup:
    tasks: int = 2000
    comments: int = 3
    sections: int = 5
    latency: float = 0.1
    workers: int = 4
    clock: str = "sim"  # sim | real
    budget: str = "tuned"  # tuned | default

    def describe(self) -> str:
        return (f"{self.tasks} tasks x {self.comments} comments in {self.sections} sections; "
                f"latency {self.latency * 1000:.0f} ms; {self.workers} workers; clock {self.clock}; Trello budget {self.budget}")


@dataclass(frozen=True)
class MigrationRun:
    setup: MigrationSetup
    status: str
    created: dict[str, int]
    asana_requests: int
    asana_429: int
    trello_requests: int
    trello_429: int
    elapsed: float  # seconds on the migration's clock (virtual with --clock sim)
    wall: float  # real seconds
    first_write: float | None  # seconds from the start, on the migration's clock
    source_read: float | None

    @property
    def read_floor(self) -> float:
        return self.asana_requests / ASANA_RATE

    @property
    def write_floor(self) -> float:
        return self.trello_requests / TRELLO_RATE

    @property
    def floor(self) -> float:
        """The two tools have separate budgets, so the slower phase sets the floor, not the sum."""
        return max(self.read_floor, self.write_floor)


def migrate(setup: MigrationSetup) -> MigrationRun:
    clock: Clock = SimClock() if setup.clock == "sim" else RealClock()
    asana = AsanaSandbox(AsanaEmulator(clock=clock, rate_limit=False), clock)
    trello = TrelloSandbox(TrelloEmulator(clock=clock), clock)
    project = seed(asana, setup.tasks, setup.comments, setup.sections)
    board = trello.create_project("Client board", [])
    asana.emulator.limit = (1500.0, 60.0)  # documented; off while seeding
    asana.emulator.latency = trello.emulator.latency = setup.latency

    source = build("asana", asana.connection("bridge"), transport=asana.emulator.transport(), clock=clock)
    target_conn = trello.connection("bridge")
    if setup.budget == "tuned":
        target_conn = target_conn.model_copy(update={"rate_limit": RateLimit(requests=1, per_seconds=0.101)})
    target = build("trello", target_conn, transport=trello.emulator.transport(), clock=clock)
    options = MigrationOptions(source=Endpoint(connection="asana", kind="asana", project=project),
                               target=Endpoint(connection="trello", kind="trello", project=board))
    first_write: list[float] = []
    source_read: list[float] = []

    def timings(event: MigrationEvent) -> None:
        if isinstance(event, WriteDone) and not first_write:
            first_write.append(clock.now())
        elif isinstance(event, SidePulled) and event.side == "source":
            source_read.append(clock.now())

    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{folder}/bench.db")
        migration = Migration(store, options, COPY_EVERYTHING, FilterMode.everything, Endpoints(source, target),
                              workers=setup.workers, listeners=[timings])
        real0, virtual0 = time.monotonic(), clock.now()
        report = migration.run()
        wall, elapsed = time.monotonic() - real0, clock.now() - virtual0
        store.close()
    if isinstance(clock, SimClock):
        clock.close()
    a_requests, t_requests = asana.emulator.requests, trello.emulator.requests
    return MigrationRun(
        setup, str(report.status), dict(report.created),
        len(a_requests), sum(1 for r in a_requests if r.status == 429),
        len(t_requests), sum(1 for r in t_requests if r.status == 429),
        elapsed, wall,
        first_write[0] - virtual0 if first_write else None, source_read[-1] - virtual0 if source_read else None,
    )


def print_run(run: MigrationRun) -> None:
    print(f"Asana -> Trello: {run.setup.describe()}")
    print(f"  status {run.status}; created {run.created}")
    print(f"  requests: Asana {run.asana_requests} ({run.asana_429} answered 429), "
          f"Trello {run.trello_requests} ({run.trello_429} answered 429)")
    print(f"  floors: reading {run.read_floor:.1f} s (Asana at 25/s), writing {run.write_floor:.1f} s (Trello at 10/s); "
          f"the slower phase sets the floor: {run.floor:.1f} s")
    print(f"  migration time: {run.elapsed:.1f} s {'(virtual)' if run.setup.clock == 'sim' else ''}"
          f" = {run.elapsed / run.floor:.3f} x max(read floor, write floor) (target <= {FLOOR_FACTOR:g}); "
          f"{run.wall:.1f} s of real time")
    if run.first_write is not None and run.source_read is not None:
        print(f"  overlap: first write at {run.first_write:.1f} s, source fully read at {run.source_read:.1f} s")


def figures(run: MigrationRun) -> list[Figure]:
    """The migration's time against FLOOR_FACTOR x its slower floor (issue 15)."""
    setup = run.setup
    slower = "writing, Trello at 10/s" if run.write_floor >= run.read_floor else "reading, Asana at 25/s"
    clock = "virtual s" if setup.clock == "sim" else "s"
    return [Figure(
        f"migration, {setup.tasks} tasks x {setup.comments} comments ({clock})", run.elapsed, FLOOR_FACTOR * run.floor, "s", 1,
        note=f"{FLOOR_FACTOR:g} x the slower floor {run.floor:.1f} s ({slower}); {run.elapsed / run.floor:.3f} x that floor; "
             f"status {run.status}",
        invalid="" if run.status == "ok" else f"migration {run.status}",
    )]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--comments", type=int, default=3)
    parser.add_argument("--sections", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clock", choices=["sim", "real"], default="sim")
    parser.add_argument("--budget", choices=["tuned", "default"], default="tuned")
    args = parser.parse_args()
    print_run(migrate(MigrationSetup(args.tasks, args.comments, args.sections, args.latency, args.workers, args.clock,
                                     args.budget)))


if __name__ == "__main__":
    main()
