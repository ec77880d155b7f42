"""File benchmark: one 50 MB file copied from Asana to Trello through the real engine path (docs/files.md).

Run:  .venv/bin/python bench/file_bench.py [--mb 50] [--from asana] [--to trello] [--in-process]

By default both emulators serve over real HTTP on 127.0.0.1, each in its own process, so the figures
are the bridge's own. ``--in-process`` runs them inside the bridge's process instead (no sockets,
one process to watch): the figure then covers the emulators too, which is honest only because they
stream uploads to disk and answer downloads from it (connectors/emulation/bodies.py, files.py).
Either way: a full sync cycle of one link (pull both sides, plan, stream the file from one tool
into the other, record it) in seconds and MB/s, and the bridge process's peak resident memory
above its baseline, sampled every 5 ms while the cycle runs (target: under 100 MB whatever the
file's size). The Trello side is set to a paid workspace's 250 MB limit (``max_file_mb``). The
copy's bytes are read back from the target and their sha256 compared with the source's.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bridge.config.connection import ConnectionConfig
from bridge.core.ports import FileTransfer, NewTask
from bridge.core.rules import LinkRules, MirrorRules, SectionRule
from bridge.store import Store
from bridge.sync.engine import Engine, LinkRuntime, LinkSide
from connectors.registry import build

MB = 1024 * 1024
PAID_TRELLO_MB = 250


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(kind: str, port: int, sections: list[str], out: Any) -> None:
    """In a child process: the tool's emulator with the sandbox users and one project, over HTTP."""
    import uvicorn

    from connectors.emulation import serve as serving
    from connectors.registry import tool_module

    module = tool_module(kind)
    emulator = module.Emulator(rate_limit=False)
    sandbox = module.Sandbox(emulator)
    emulator.base_url = serving.served_url(emulator, "127.0.0.1", port)
    if kind == "trello":
        emulator.world.file_limit = PAID_TRELLO_MB * MB
    project = sandbox.create_project(f"{kind} project", sections)
    out.send({"project": project, **{who: sandbox.connection(who).model_dump() for who in ("bridge", "human", "client")}})
    uvicorn.run(serving.asgi_app(emulator), host="127.0.0.1", port=port, log_level="warning")


def _in_process(kind: str, sections: list[str], transports: dict[int, Any]) -> dict[str, Any]:
    """The tool's emulator in this process, reached through its transport (no HTTP server)."""
    from connectors.registry import tool_module

    module = tool_module(kind)
    emulator = module.Emulator(rate_limit=False)
    sandbox = module.Sandbox(emulator)
    if kind == "trello":
        emulator.world.file_limit = PAID_TRELLO_MB * MB
    side = {"project": sandbox.create_project(f"{kind} project", sections),
            **{who: sandbox.connection(who).model_dump() for who in ("bridge", "human", "client")}}
    transports[id(side)] = emulator.transport()
    return side


def _chunks(size: int, digest: Any) -> Iterator[bytes]:
    """Incompressible, reproducible bytes, made 1 MB at a time and hashed on the way."""
    block = hashlib.sha256(b"pm-bridge").digest() * (MB // 32)
    for index in range(0, size, MB):
        piece = bytes(b ^ (index // MB % 251) for b in block[:16]) + block[16 : min(MB, size - index)]
        digest.update(piece)
        yield piece


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """The highest resident set size seen while the block runs, sampled on a thread."""

    def __init__(self, every: float = 0.005) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()

    def __enter__(self) -> PeakRss:
        self.peak = _rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(self.every)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--from", dest="source", default="asana", choices=["asana", "trello"])
    parser.add_argument("--to", dest="target", default="trello", choices=["asana", "trello"])
    parser.add_argument("--in-process", action="store_true", help="run the emulators inside this process")
    args = parser.parse_args()
    size = args.mb * MB

    servers: list[Any] = []
    transports: dict[int, Any] = {}  # id of a side -> its emulator's in-process transport
    if args.in_process:
        internal, client = _in_process(args.source, ["Design"], transports), _in_process(args.target, [], transports)
    else:
        ctx = multiprocessing.get_context("spawn")
        found = {}
        for kind, sections in ((args.source, ["Design"]), (args.target, [])):
            port = _free_port()
            mine, theirs = ctx.Pipe()
            process = ctx.Process(target=_serve, args=(kind, port, sections, theirs), daemon=True)
            process.start()
            servers.append(process)
            found[kind if kind not in found else f"{kind}-client"] = mine.recv()
        internal, client = found[args.source], found.get(f"{args.target}-client", found[args.target])
        time.sleep(1.0)  # uvicorn binds its port

    def connector(side: dict[str, Any], who: str, name: str) -> Any:
        values = dict(side[who])
        if values["kind"] == "trello":
            values["max_file_mb"] = PAID_TRELLO_MB  # a paid workspace
        config = ConnectionConfig(**values)
        return build(name, config, transport=transports.get(id(side)))

    anna = connector(internal, "human", "anna")
    section = next(s.id for s in anna.pull(internal["project"]).snapshot.sections.values() if s.name == "Design")
    task = anna.create_task(internal["project"], NewTask(title="Deliver the film", section_id=section))
    source_hash = hashlib.sha256()
    assert isinstance(anna, FileTransfer)
    anna.upload_attachment(internal["project"], task.id, "Film [client].mp4", _chunks(size, source_hash), size, "video/mp4")

    bridge_internal, bridge_client = connector(internal, "bridge", "internal"), connector(client, "bridge", "client")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/state.db")
        rules = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}))
        link = LinkRuntime("bench", rules, LinkSide(bridge_internal, internal["project"]),
                           LinkSide(bridge_client, client["project"]))
        engine = Engine(store, workers=2)
        baseline = _rss()
        with PeakRss() as peak:
            started = time.perf_counter()
            report = engine.run(link)
            seconds = time.perf_counter() - started
        store.close()

    carla = connector(client, "client", "carla")
    [copy] = carla.pull(client["project"]).snapshot.attachments.values()
    copied_hash = hashlib.sha256()
    with carla.open_download(client["project"], copy) as download:
        for chunk in download.chunks:
            copied_hash.update(chunk)
    for process in servers:
        process.terminate()

    same = copied_hash.hexdigest() == source_hash.hexdigest()
    above = (peak.peak - baseline) / MB
    where = "emulators in this process" if args.in_process else "emulators in their own processes, over HTTP"
    print(f"file copy {args.source} -> {args.target} ({where}): {args.mb} MB as {'a file' if copy.hosted else 'a link'} "
          f"({report.status}), bytes identical: {same}")
    print(f"  {seconds:.2f} s for the whole cycle, {args.mb / seconds:.1f} MB/s")
    print(f"  peak RSS {peak.peak / MB:.0f} MB, {above:.1f} MB above the {baseline / MB:.0f} MB baseline "
          f"(target < 100 MB): {'ok' if above < 100 else 'OVER'}")
    if not (same and copy.hosted and above < 100):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
