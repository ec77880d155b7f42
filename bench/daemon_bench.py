"""Daemon benchmark: a thousand links in one process, poll punctuality, and webhook -> client write latency.

Run:  .venv/bin/python bench/daemon_bench.py            (1,000 links; about 5 minutes on 2 cores)
      .venv/bin/python bench/daemon_bench.py --quick    (300 links, shorter windows; about 2 minutes)

Scenario 1: a real ``pm-bridge daemon`` process (SQLite state) runs ``--links``
  links Asana -> Trello against emulators served over HTTP from this process.
  The emulators' secondary limits are off and the connections' rate limits
  raised, so the first cycles measure the daemon, not Trello's documented 100
  requests per 10 s (the floor those would set is printed beside). Prints RSS
  (from /proc) at start-up, once every link has synced, and at the end; then
  it lets every link be polled again and reads from ``/metrics`` how late the
  scheduled polls started, as a share of the interval.
Scenario 2: a daemon in this process with 100 links, the emulators in process
  too; Asana's webhooks (handshake, then signed deliveries) reach the daemon's
  receiver over real HTTP on 127.0.0.1. A steady trickle of deliveries (one
  task added to a random link every ``--gap`` seconds, not waiting for the
  previous one) is timed from the start of the delivery to the Trello
  ``POST /cards`` that mirrors it (``--debounce`` is part of it).

Each figure is printed beside its target (issue 15) as a ratio: <= 1.00 meets it.

:func:`scale_scenario` and :func:`latency_scenario` return their figures, :func:`figures` those
issue 15 sets targets for (for bench/floors.py).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, versus  # noqa: E402
from bridge.config.load import load_config  # noqa: E402
from bridge.daemon import Daemon  # noqa: E402
from bridge.runtime import build_runtime  # noqa: E402
from bridge.store import Store  # noqa: E402
from bridge.webhook_tokens import callback_url, webhook_token  # noqa: E402
from connectors.emulation.toolkit import Recorded  # noqa: E402
from tests.daemon.served import DaemonProcess, ServedTool, free_port, write_config  # noqa: E402

MASTER = "bench-master-secret-0123456789abcdef"
RSS_TARGET_MB = 250.0
LATENESS_TARGET = 0.10  # share of the interval a scheduled poll may start late
P95_TARGET_MS = 500.0
LATENCY_LINKS = 100  # the webhook target holds at this many links (issue 15)
TRELLO_FLOOR_RATE = 10.0  # requests a second: Trello's documented 100 per 10 s per token
FAST = "rate_limit: {requests: 100000, per_seconds: 1}"  # the bench measures the daemon, not the tools' budgets


def connections(asana: ServedTool, trello: ServedTool) -> str:
    for tool in (asana, trello):
        emulator = tool.sandbox.emulator
        emulator.secondary_limits = False
        if hasattr(emulator, "token_limit"):  # Trello counts per token and per key, apart from the toolkit's bucket
            emulator.token_limit = emulator.key_limit = None  # type: ignore[attr-defined]
    pairs = (("agency", asana), ("client", trello))
    return "".join(tool.connection_yaml(name).replace("}\n", f", {FAST}}}\n") for name, tool in pairs)


def scrape(url: str) -> dict[str, float]:
    """The unlabelled series of the daemon's /metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as answer:  # noqa: S310 (127.0.0.1)
        text = answer.read().decode()
    return {m[1]: float(m[2]) for m in re.finditer(r"^(pm_bridge_[a-z_]+) ([0-9.e+-]+)$", text, re.M)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc")


def wait(check: object, timeout: float, every: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(every)
    raise SystemExit(f"timed out after {timeout}s")


@dataclass(frozen=True)
class ScaleRun:
    links: int
    interval: int
    exit_code: int | None  # the daemon's, on SIGTERM
    rss_started: float  # MB
    rss_synced: float
    rss_peak: float
    rss_end: float
    synced_seconds: float  # the first cycle of every link
    first_requests: int  # Trello requests of those first cycles
    polls: int  # second polls started
    late: int  # of them, how many slipped over 10% of the interval
    worst_slip: float  # the largest slip, as a share of the interval


@dataclass(frozen=True)
class LatencyRun:
    links: int
    debounce: float
    gap: float
    samples: list[float]  # ms from each delivery to its Trello POST /cards, sorted

    @property
    def p95(self) -> float:
        return self.samples[min(len(self.samples) - 1, int(round(0.95 * len(self.samples))) - 1)]

    @property
    def median(self) -> float:
        return self.samples[len(self.samples) // 2]


def scale_scenario(count: int, interval: int, folder: Path) -> ScaleRun:
    asana, trello = ServedTool("asana"), ServedTool("trello")
    requests = {"trello": 0}

    def count_trello(_record: Recorded) -> None:
        requests["trello"] += 1

    trello.sandbox.emulator.observers.append(count_trello)
    links = {f"link{n:04d}": (asana.agency_project(f"P{n}", 0), trello.sandbox.create_project(f"C{n}", []))
             for n in range(count)}
    state = f"sqlite:///{folder / 'scale.db'}"
    # jitter 0.02: the polls of every link come due within 2% of the interval, the hardest case for punctuality.
    config = write_config(folder / "scale.yaml", state, connections(asana, trello), links, interval=interval,
                          daemon={"jitter": 0.02})
    daemon = DaemonProcess(config, free_port(), log_format="json")
    store = Store.open(state)
    peak = 0.0
    try:
        wait(lambda: daemon.process.poll() is None and "daemon started" in daemon.output(), 120)
        started = rss_mb(daemon.process.pid)
        began = time.monotonic()
        wait(lambda: len({r.link for r in store.last_runs().values() if r.status == "ok"}) == count, 900)
        synced, first_requests = time.monotonic() - began, requests["trello"]
        after_sync = rss_mb(daemon.process.pid)
        # Every link's second poll is due one interval after its first: wait for all of them.
        deadline = began + interval * 1.3 + synced
        seen: dict[str, float] = {}
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb(daemon.process.pid))
            seen = scrape(daemon.url)
            if seen.get("pm_bridge_polls_total", 0) >= count:
                break
            time.sleep(1)
        idle = rss_mb(daemon.process.pid)
        peak = max(peak, idle)
    finally:
        code = daemon.terminate(120)
        store.close()
        asana.stop()
        trello.stop()
    return ScaleRun(count, interval, code, started, after_sync, peak, idle, synced, first_requests,
                    int(seen.get("pm_bridge_polls_total", 0)), int(seen.get("pm_bridge_polls_late_total", 0)),
                    seen.get("pm_bridge_poll_lateness_ratio_max", 0.0))


def print_scale(run: ScaleRun) -> None:
    count = run.links
    print(f"  daemon exit code on SIGTERM: {run.exit_code}")
    print(f"  RSS just after start-up, {count} links:      {run.rss_started:.1f} MB")
    print(f"  first cycle of all {count} links took {run.synced_seconds:.1f} s ({run.first_requests} Trello requests; "
          f"at Trello's documented limit they alone would take {run.first_requests / TRELLO_FLOOR_RATE:.0f} s)")
    print(f"  RSS once every link synced:              {run.rss_synced:.1f} MB")
    print(f"  RSS peak / at the end:                   {run.rss_peak:.1f} MB / {run.rss_end:.1f} MB   "
          f"({versus(run.rss_peak, RSS_TARGET_MB)})")
    print(f"  second polls, interval {run.interval} s: {run.polls} of {count} started, {run.late} slipped over 10%; "
          f"largest slip {run.worst_slip * 100:.1f}% of the interval   ({versus(run.worst_slip, LATENESS_TARGET)})")


def latency_scenario(count: int, rounds: int, gap: float, debounce: float, folder: Path) -> LatencyRun:
    asana, trello = ServedTool("asana"), ServedTool("trello")  # served only to hand out ids; the daemon uses transports
    links = {f"link{n:03d}": (asana.agency_project(f"P{n}", 0), trello.sandbox.create_project(f"C{n}", []))
             for n in range(count)}
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    path = write_config(folder / "latency.yaml", f"sqlite:///{folder / 'latency.db'}", connections(asana, trello), links,
                        interval=300, daemon={"jitter": 0.02, "debounce": debounce, "public_url": public,
                                              "webhook_secret": MASTER})
    config = load_config(path)
    transports = {"agency": asana.sandbox.emulator.transport(), "client": trello.sandbox.emulator.transport()}
    daemon = Daemon(config, port=port, runtime=build_runtime(config, transports=transports))
    writes: dict[str, float] = {}
    pending: set[str] = set()
    guard = threading.Lock()

    def on_request(record: Recorded) -> None:
        if record.method == "POST" and record.path.endswith("/cards"):
            with guard:
                for title in pending:
                    if title.encode() in record.body or title.replace(" ", "+").encode() in record.body:
                        writes.setdefault(title, time.perf_counter())

    trello.sandbox.emulator.observers.append(on_request)
    daemon.start()
    sent: dict[str, float] = {}
    try:
        store = daemon.runtime.store
        wait(lambda: len({r.link for r in store.last_runs().values() if r.status == "ok"}) == count, 600, 0.2)
        bridge_side = asana.sandbox.connector("bridge")
        for name, (internal, _client) in links.items():
            token = webhook_token(MASTER, name, "internal")
            bridge_side.register_webhook(internal, callback_url(public, name, "internal", token), "unused")  # type: ignore[attr-defined]
        asana.sandbox.emulator.deliver_pending()  # the heartbeats after the handshakes
        wait(lambda: not any(s.running for s in daemon.runner.state.values()), 60, 0.05)
        chosen = random.Random(15)
        for n in range(rounds):
            name = chosen.choice(sorted(links))
            title = f"Round {n} task"
            with guard:
                pending.add(title)
            asana.add_task(links[name][0], title)
            sent[title] = time.perf_counter()
            threading.Thread(target=asana.sandbox.emulator.deliver_pending).start()
            time.sleep(gap)
        wait(lambda: all(t in writes for t in sent), 60, 0.01)
    finally:
        daemon.stop()
        asana.stop()
        trello.stop()
    return LatencyRun(count, debounce, gap, sorted((writes[t] - sent[t]) * 1000 for t in sent))


def print_latency(run: LatencyRun) -> None:
    print(f"  {run.links} links, debounce {run.debounce:g} s, {len(run.samples)} deliveries one every {run.gap:g} s: "
          f"median {run.median:.0f} ms, max {run.samples[-1]:.0f} ms")
    print(f"  p95 delivery sent -> Trello POST /cards: {run.p95:.0f} ms   ({versus(run.p95, P95_TARGET_MS)})")


def figures(scale: ScaleRun | None, latency: LatencyRun | None) -> list[Figure]:
    """Peak RSS, the largest poll slip and the webhook p95, each beside its target (issue 15)."""
    out: list[Figure] = []
    if scale is not None:
        out.append(Figure(f"daemon RSS peak, {scale.links} links", scale.rss_peak, RSS_TARGET_MB, "MB", 1,
                          note=f"{scale.rss_started:.1f} MB at start-up, {scale.rss_synced:.1f} MB once all synced"))
        # A slip measured on fewer polls than links has not seen every link come due again.
        out.append(Figure(f"largest poll slip, {scale.links} links, interval {scale.interval} s", scale.worst_slip * 100,
                          LATENESS_TARGET * 100, "%", 1,
                          note=f"{scale.polls} of {scale.links} second polls, {scale.late} slipped over 10%",
                          invalid="" if scale.polls >= scale.links else f"only {scale.polls} of {scale.links} polls seen"))
    if latency is not None:
        out.append(Figure(f"webhook -> client write p95, {latency.links} links, debounce {latency.debounce:g} s",
                          latency.p95, P95_TARGET_MS, "ms",
                          note=f"median {latency.median:.0f} ms, max {latency.samples[-1]:.0f} ms, "
                               f"{len(latency.samples)} deliveries one every {latency.gap:g} s"))
    return out


@dataclass(frozen=True)
class DaemonSetup:
    links: int = 1000  # scenario 1
    interval: int = 120  # scenario 1's poll interval, s
    rounds: int = 100  # scenario 2's deliveries
    gap: float = 0.5
    debounce: float = 0.0

    @classmethod
    def quick(cls) -> DaemonSetup:
        return cls(links=300, interval=60, rounds=40)


def measure(setup: DaemonSetup, only: str | None = None) -> tuple[ScaleRun | None, LatencyRun | None]:
    """Both scenarios (or ``only`` one), each printed as it ends."""
    scale = latency = None
    with tempfile.TemporaryDirectory() as folder:
        if only in (None, "scale"):
            print(f"Scenario 1: one `pm-bridge daemon` process, {setup.links} links (Asana -> Trello emulators over HTTP)")
            scale = scale_scenario(setup.links, setup.interval, Path(folder))
            print_scale(scale)
        if only in (None, "latency"):
            print("Scenario 2: webhook deliveries -> client-side writes (emulators in process, HTTP to the receiver)")
            latency = latency_scenario(LATENCY_LINKS, setup.rounds, setup.gap, setup.debounce, Path(folder))
            print_latency(latency)
    return scale, latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 links, 60 s interval, 40 deliveries")
    parser.add_argument("--links", type=int, help="links in scenario 1 (default 1000; 300 with --quick)")
    parser.add_argument("--interval", type=int, help="poll interval of scenario 1, s (default 120; 60 with --quick)")
    parser.add_argument("--rounds", type=int, help="deliveries in scenario 2 (default 100; 40 with --quick)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between deliveries in scenario 2")
    parser.add_argument("--debounce", type=float, default=0.0)
    parser.add_argument("--only", choices=("scale", "latency"))
    args = parser.parse_args()
    base = DaemonSetup.quick() if args.quick else DaemonSetup()
    setup = DaemonSetup(args.links or base.links, args.interval or base.interval, args.rounds or base.rounds, args.gap,
                        args.debounce)
    began = time.monotonic()
    measure(setup, args.only)
    print(f"Total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
