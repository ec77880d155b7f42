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
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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

    clock: Clock = SimClock() if args.clock == "sim" else RealClock()
    asana = AsanaSandbox(AsanaEmulator(clock=clock, rate_limit=False), clock)
    trello = TrelloSandbox(TrelloEmulator(clock=clock), clock)
    project = seed(asana, args.tasks, args.comments, args.sections)
    board = trello.create_project("Client board", [])
    asana.emulator.limit = (1500.0, 60.0)  # documented; off while seeding
    asana.emulator.latency = trello.emulator.latency = args.latency

    source = build("asana", asana.connection("bridge"), transport=asana.emulator.transport(), clock=clock)
    target_conn = trello.connection("bridge")
    if args.budget == "tuned":
        target_conn = target_conn.model_copy(update={"rate_limit": RateLimit(requests=1, per_seconds=0.101)})
    target = build("trello", target_conn, transport=trello.emulator.transport(), clock=clock)
    options = MigrationOptions(source=Endpoint(connection="asana", kind="asana", project=project),
                               target=Endpoint(connection="trello", kind="trello", project=board))
    store = Store.open(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    first_write: list[float] = []
    source_read: list[float] = []

    def timings(event: MigrationEvent) -> None:
        if isinstance(event, WriteDone) and not first_write:
            first_write.append(clock.now())
        elif isinstance(event, SidePulled) and event.side == "source":
            source_read.append(clock.now())

    migration = Migration(store, options, COPY_EVERYTHING, FilterMode.everything, Endpoints(source, target),
                          workers=args.workers, listeners=[timings])

    real0, virtual0 = time.monotonic(), clock.now()
    report = migration.run()
    wall, elapsed = time.monotonic() - real0, clock.now() - virtual0
    a_req, t_req = len(asana.emulator.requests), len(trello.emulator.requests)
    t_429 = sum(1 for r in trello.emulator.requests if r.status == 429)
    a_429 = sum(1 for r in asana.emulator.requests if r.status == 429)
    floor_source, floor_target = a_req / ASANA_RATE, t_req / TRELLO_RATE
    floor = max(floor_source, floor_target)
    print(f"Asana -> Trello: {args.tasks} tasks x {args.comments} comments in {args.sections} sections; "
          f"latency {args.latency * 1000:.0f} ms; {args.workers} workers; clock {args.clock}; Trello budget {args.budget}")
    print(f"  status {report.status}; created {report.created}")
    print(f"  requests: Asana {a_req} ({a_429} answered 429), Trello {t_req} ({t_429} answered 429)")
    print(f"  floors: reading {floor_source:.1f} s (Asana at 25/s), writing {floor_target:.1f} s (Trello at 10/s); "
          f"the slower phase sets the floor: {floor:.1f} s")
    print(f"  migration time: {elapsed:.1f} s {'(virtual)' if args.clock == 'sim' else ''}"
          f" = {elapsed / floor:.3f} x max(read floor, write floor) (target <= 1.05); {wall:.1f} s of real time")
    if first_write and source_read:
        print(f"  overlap: first write at {first_write[0] - virtual0:.1f} s, source fully read at "
              f"{source_read[-1] - virtual0:.1f} s")
    if isinstance(clock, SimClock):
        clock.close()


if __name__ == "__main__":
    main()
