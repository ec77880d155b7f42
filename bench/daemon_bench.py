"""Daemon benchmark: memory with 100 idle links, and webhook delivery -> client-side write latency.

Run:  .venv/bin/python bench/daemon_bench.py [--links 100] [--rounds 10] [--debounce 0]

Scenario 1: a real ``pm-bridge daemon`` process (SQLite state) runs 100 links
  Asana -> Trello against emulators served over HTTP from this process; prints
  its RSS (from /proc) once started, and once every link has synced and the
  daemon sits idle.
Scenario 2: a daemon in this process, the emulators in process too; Asana's
  webhook (handshake, then signed deliveries) reaches the daemon's receiver
  over real HTTP on 127.0.0.1. For each round Anna adds a task; we time from
  the start of the delivery to the Trello ``POST /cards`` that mirrors it
  (the debounce is part of it: ``--debounce``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
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


def memory_scenario(count: int, folder: Path) -> None:
    asana, trello = ServedTool("asana"), ServedTool("trello")
    links = {f"link{n:03d}": (asana.agency_project(f"P{n}", 2), trello.sandbox.create_project(f"C{n}", []))
             for n in range(count)}
    state = f"sqlite:///{folder / 'memory.db'}"
    config = write_config(folder / "memory.yaml", state, asana.connection_yaml("agency") + trello.connection_yaml("client"),
                          links, interval=300, daemon={"jitter": 0.02, "workers": 4})
    daemon = DaemonProcess(config, free_port(), log_format="json")
    store = Store.open(state)
    try:
        wait(lambda: daemon.process.poll() is None and "daemon started" in daemon.output(), 120)
        started = rss_mb(daemon.process.pid)
        began = time.monotonic()
        wait(lambda: len({r.link for r in store.last_runs().values() if r.status == "ok"}) == count, 600)
        synced = time.monotonic() - began
        time.sleep(3)  # idle: nothing due for five minutes
        idle = rss_mb(daemon.process.pid)
    finally:
        print(f"  daemon exit code on SIGTERM: {daemon.terminate(60)}")
        store.close()
        asana.stop()
        trello.stop()
    print(f"  RSS just after start-up, {count} links:     {started:.1f} MB")
    print(f"  first cycle of all {count} links took {synced:.1f} s (4 workers)")
    print(f"  RSS idle after every link synced once:   {idle:.1f} MB")


def latency_scenario(rounds: int, debounce: float, folder: Path) -> None:
    asana, trello = ServedTool("asana"), ServedTool("trello")  # served only to hand out ids; the daemon uses transports
    internal, client = asana.agency_project("Acme", 1), trello.sandbox.create_project("Acme x Agency", [])
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    path = write_config(folder / "latency.yaml", f"sqlite:///{folder / 'latency.db'}",
                        asana.connection_yaml("agency") + trello.connection_yaml("client"), {"acme": (internal, client)},
                        interval=3600, daemon={"jitter": 0, "debounce": debounce, "public_url": public, "webhook_secret": MASTER})
    config = load_config(path)
    transports = {"agency": asana.sandbox.emulator.transport(), "client": trello.sandbox.emulator.transport()}
    daemon = Daemon(config, port=port, runtime=build_runtime(config, transports=transports))
    writes: dict[str, float] = {}

    def on_request(record: Recorded) -> None:
        if record.method == "POST" and record.path.endswith("/cards"):
            for title in pending:
                if title.encode() in record.body or title.replace(" ", "+").encode() in record.body:
                    writes.setdefault(title, time.perf_counter())

    pending: list[str] = []
    trello.sandbox.emulator.observers.append(on_request)
    daemon.start()
    samples: list[float] = []
    try:
        wait(lambda: len(trello.titles(client)) == 1, 60, 0.1)
        token = webhook_token(MASTER, "acme", "internal")
        asana.sandbox.connector("bridge").register_webhook(  # type: ignore[attr-defined]
            internal, callback_url(public, "acme", "internal", token), "unused")
        asana.sandbox.emulator.deliver_pending()  # the heartbeat after the handshake
        for n in range(rounds):
            title = f"Round {n} task"
            pending.append(title)
            asana.add_task(internal, title)
            sent = time.perf_counter()
            threading.Thread(target=asana.sandbox.emulator.deliver_pending).start()
            wait(lambda t=title: t in writes, 30, 0.005)
            samples.append(writes[title] - sent)
            wait(lambda: not any(s.running for s in daemon.runner.state.values()), 30, 0.01)
    finally:
        daemon.stop()
        asana.stop()
        trello.stop()
    samples.sort()
    print(f"  debounce {debounce:g} s, {rounds} deliveries: median {statistics.median(samples) * 1000:.0f} ms, "
          f"min {samples[0] * 1000:.0f} ms, max {samples[-1] * 1000:.0f} ms (delivery sent -> Trello POST /cards)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--debounce", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"Scenario 1: one `pm-bridge daemon` process, {args.links} links (Asana -> Trello emulators over HTTP)")
        memory_scenario(args.links, Path(folder))
        print("Scenario 2: webhook delivery -> client-side write (emulators in process, HTTP to the receiver)")
        latency_scenario(args.rounds, args.debounce, Path(folder))


if __name__ == "__main__":
    main()
