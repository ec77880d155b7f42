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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
TRELLO_FLOOR_RATE = 10.0  # requests a second: Trello's documented 100 per 10 s per token
FAST = "rate_limit: {requests: 100000, per_seconds: 1}"  # the bench measures the daemon, not the tools' budgets


def versus(value: float, target: float) -> str:
    return f"target {target:g}, ratio {value / target:.2f}" + ("" if value <= target else "  ** MISSED **")


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


def scale_scenario(count: int, interval: int, folder: Path) -> None:
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
    polls, late = seen.get("pm_bridge_polls_total", 0), seen.get("pm_bridge_polls_late_total", 0)
    worst = seen.get("pm_bridge_poll_lateness_ratio_max", 0.0)
    print(f"  daemon exit code on SIGTERM: {code}")
    print(f"  RSS just after start-up, {count} links:      {started:.1f} MB")
    print(f"  first cycle of all {count} links took {synced:.1f} s ({first_requests} Trello requests; at Trello's "
          f"documented limit they alone would take {first_requests / TRELLO_FLOOR_RATE:.0f} s)")
    print(f"  RSS once every link synced:              {after_sync:.1f} MB")
    print(f"  RSS peak / at the end:                   {peak:.1f} MB / {idle:.1f} MB   ({versus(peak, RSS_TARGET_MB)})")
    print(f"  second polls, interval {interval} s: {polls:.0f} of {count} started, {late:.0f} slipped over 10%; "
          f"largest slip {worst * 100:.1f}% of the interval   ({versus(worst, LATENESS_TARGET)})")


def latency_scenario(count: int, rounds: int, gap: float, debounce: float, folder: Path) -> None:
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
    samples = sorted((writes[t] - sent[t]) * 1000 for t in sent)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    print(f"  {count} links, debounce {debounce:g} s, {rounds} deliveries one every {gap:g} s: "
          f"median {samples[len(samples) // 2]:.0f} ms, max {samples[-1]:.0f} ms")
    print(f"  p95 delivery sent -> Trello POST /cards: {p95:.0f} ms   ({versus(p95, P95_TARGET_MS)})")


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
    links = args.links or (300 if args.quick else 1000)
    interval = args.interval or (60 if args.quick else 120)
    rounds = args.rounds or (40 if args.quick else 100)
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "scale"):
            print(f"Scenario 1: one `pm-bridge daemon` process, {links} links (Asana -> Trello emulators over HTTP)")
            scale_scenario(links, interval, Path(folder))
        if args.only in (None, "latency"):
            print("Scenario 2: webhook deliveries -> client-side writes (emulators in process, HTTP to the receiver)")
            latency_scenario(100, rounds, args.gap, args.debounce, Path(folder))
    print(f"Total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
