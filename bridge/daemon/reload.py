"""Reloading a running daemon's config (SIGHUP, ``pm-bridge daemon reload``) without a restart.

The new file is validated first; on any error the running config stays and
the error is logged. Otherwise links are added, removed, changed (interval,
rules, sides) or paused (``enabled: false``) live. A changed or removed link
is swapped only between its cycles (its cycle lock is held meanwhile), so no
cycle ever runs half on the old config. Connections whose settings did not
change keep their connector (and its rate budget); the others are rebuilt.
The ``daemon:`` section itself (host, port, secrets, pacing) needs a restart.

How to find the daemon: each one writes a pid file in its config file's
folder, ``.pm-bridge-daemon-<port>.pid`` (docs/console.md).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bridge.config.load import load_config
from bridge.config.schema import Config
from bridge.daemon.cycles import LinkRunner
from bridge.daemon.logs import log
from bridge.daemon.scheduler import Scheduler
from bridge.errors import BridgeError
from bridge.runtime import SIDES, Runtime, build_connectors, link_runtime, select_links

PID_GLOB = ".pm-bridge-daemon-*.pid"


class Daemon(Protocol):
    """What a reload needs of :class:`bridge.daemon.service.Daemon` (named here, not imported: no cycle)."""

    config_path: Path | None
    link_names: list[str]
    runtime: Runtime
    runner: LinkRunner
    scheduler: Scheduler

    def swap(self, runtime: Runtime, links: list[str], removed: list[str]) -> None: ...


def pid_path(config_path: Path, port: int) -> Path:
    return config_path.resolve().parent / f".pm-bridge-daemon-{port}.pid"


def write_pid(config_path: Path, port: int) -> Path:
    path = pid_path(config_path, port)
    path.write_text(json.dumps({"pid": os.getpid(), "port": port, "config": str(config_path.resolve())}))
    return path


@dataclass(frozen=True)
class Running:
    pid: int
    port: int
    path: Path


def running_daemons(config_path: Path) -> list[Running]:
    """The live daemons started with this config file (stale pid files are removed on the way)."""
    found = []
    wanted = str(config_path.resolve())
    for path in sorted(config_path.resolve().parent.glob(PID_GLOB)):
        try:
            data = json.loads(path.read_text())
            pid, port, config = int(data["pid"]), int(data["port"]), str(data["config"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if config != wanted:
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            continue
        except PermissionError:
            pass  # alive, another user's: signalling it will say so
        found.append(Running(pid, port, path))
    return found


def wanted_links(config: Config, names: list[str]) -> list[str]:
    """The links a daemon runs: the named ones (or all), minus the paused ones (``enabled: false``)."""
    if not config.links:
        return []
    return [name for name in select_links(config, names) if config.links[name].enabled]


def rebuild(old: Runtime, config: Config, names: list[str]) -> tuple[Runtime, list[str]]:
    """A runtime for ``config`` on the old one's store and engine; and the old connections to close."""
    used = [getattr(config.links[n], side).connection for n in names for side in SIDES]
    kept = {
        name: connector
        for name, connector in old.connectors.items()
        if name in used and old.config.connections.get(name) == config.connections.get(name)
    }
    fresh, failed = build_connectors(config, [name for name in used if name not in kept], store=old.store)
    runtime = Runtime(config, old.store, old.engine, connectors={**kept, **fresh})
    for name in names:
        link = config.links[name]
        problems = [failed[side.connection] for side in (link.internal, link.client) if side.connection in failed]
        if problems:
            runtime.broken[name] = "; ".join(dict.fromkeys(problems))
        else:
            runtime.links[name] = link_runtime(name, link, runtime.connectors)
    retired = [name for name in old.connectors if name not in kept]
    return runtime, retired


def _differs(old: Config, new: Config, name: str) -> bool:
    """The link's own settings or either of its connections' changed."""
    link = old.links.get(name)
    if link is None or link != new.links.get(name):
        return True
    return any(old.connections.get(c) != new.connections.get(c) for c in (link.internal.connection, link.client.connection))


@contextlib.contextmanager
def between_cycles(daemon: Daemon, links: list[str]) -> Iterator[None]:
    """Hold these links' cycle locks (waiting for running cycles to finish), in a fixed order."""
    locks = [daemon.runner.lock(name) for name in sorted(links)]
    for lock in locks:
        lock.acquire()
    try:
        yield
    finally:
        for lock in reversed(locks):
            lock.release()


def reload(daemon: Daemon) -> bool:
    """Apply the config file again; False (and the old config kept, the error logged) when it is not valid."""
    if daemon.config_path is None:
        log().warning("config reload asked, but this daemon was not started from a config file")
        return False
    try:
        config = load_config(daemon.config_path)
        names = wanted_links(config, daemon.link_names)
    except BridgeError as exc:
        log().error("config reload failed; the running config stays", extra={"error": str(exc), "hint": exc.hint})
        return False
    old = daemon.runtime
    before = list(daemon.runner.links)
    removed = [name for name in before if name not in names]
    added = [name for name in names if name not in before]
    changed = [name for name in names if name in before and _differs(old.config, config, name)]
    if config.daemon != old.config.daemon:
        log().warning("the daemon: section changed; it applies at the next restart")
    with between_cycles(daemon, removed + changed + [n for n in before if n in old.broken]):
        runtime, retired = rebuild(old, config.model_copy(update={"daemon": old.config.daemon}), names)
        daemon.swap(runtime, names, removed)
    for name in retired:
        old.connectors[name].close()
    for name in changed:
        daemon.scheduler.trigger(name, "reload", delay=0)
    log().info("config reloaded", extra={"links": len(names), "added": added, "removed": removed, "changed": changed})
    return True
