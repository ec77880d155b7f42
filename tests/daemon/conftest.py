"""Daemon fixtures: memory-tool links in one process, a fake tool webhook module, HTTP helpers."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import io
import itertools
import logging
import sys
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bridge.config.schema import Config
from bridge.core.ports import NewTask, WebhookRequest, WebhookVerdict
from bridge.daemon import Daemon
from bridge.daemon.logs import configure
from bridge.store import Store
from bridge.store.records import utc, utc_or_none
from bridge.store.tables import runs
from connectors.emulation.sandbox import USERS
from connectors.memory import world_named
from connectors.memory.sandbox import MemorySandbox

MASTER = "master-webhook-secret-0123456789"
_worlds = itertools.count(1)


def fake_receive(request: WebhookRequest, secret: str | None) -> WebhookVerdict:
    """A tool with Asana's rules in miniature: a handshake hands over a secret, deliveries are signed with it."""
    handshake = request.headers.get("x-hook-secret")
    if handshake:
        return WebhookVerdict(status=200, headers={"x-hook-secret": handshake}, secret=handshake)
    if secret is None:
        return WebhookVerdict(status=401, reason="no handshake yet")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-hook-signature", "")):
        return WebhookVerdict(status=401, reason="bad signature")
    return WebhookVerdict(status=200, trigger=b'"events": []' not in request.body)


@pytest.fixture(autouse=True)
def tool_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory tool (which has no webhooks) answers deliveries with :func:`fake_receive`."""
    module = types.ModuleType("connectors.memory.webhooks")
    module.receive = fake_receive  # type: ignore[attr-defined]
    module.SECRET_SOURCE = "handshake"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "connectors.memory.webhooks", module)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Tool:
    """A memory world with the sandbox users, and the projects of the links under test."""

    sandbox: MemorySandbox = field(default_factory=lambda: MemorySandbox(world_named(f"daemon-test-{next(_worlds)}")))

    @property
    def base_url(self) -> str:
        return self.sandbox.world.base_url

    def agency_project(self, shared: int = 2) -> str:
        project = self.sandbox.create_project("Acme website", ["Design", "Build"])
        for n in range(shared):
            self.add_task(project, f"Shared task {n}")
        return project

    def add_task(self, project: str, title: str) -> None:
        anna = self.sandbox.connector("human")
        sections = {s.name: s.id for s in anna.pull(project).snapshot.sections.values()}
        anna.create_task(project, NewTask(title=title, section_id=sections["Design"]))

    def titles(self, project: str) -> list[str]:
        return sorted(t.title for t in self.sandbox.connector("client").pull(project).snapshot.tasks.values())


REVOKED = "tok-revoked-99999"


def config_for(tmp_path: Path, tool: Tool, links: dict[str, tuple[str, ...]], **daemon: Any) -> Config:
    """Links between projects of one memory world; ``links`` maps a name to (internal project, client project)
    and optionally the client connection: "client", or "revoked" (a token the tool refuses)."""
    token = USERS["bridge"].token
    settings = {"jitter": 0.0, "debounce": 0.2, "lease_ttl": 3, "webhook_secret": MASTER, **daemon}
    return Config.model_validate({
        "state": f"sqlite:///{tmp_path / 'state.db'}",
        "connections": {
            "agency": {"kind": "memory", "base_url": tool.base_url, "token": token},
            "client": {"kind": "memory", "base_url": tool.base_url, "token": token},
            "revoked": {"kind": "memory", "base_url": tool.base_url, "token": REVOKED},
        },
        "links": {
            name: {"internal": {"connection": "agency", "project": sides[0]},
                   "client": {"connection": sides[2] if len(sides) > 2 else "client", "project": sides[1]},
                   "interval": 3600, "mirror": {"sections": {"Design": {"access": "unlocked"}}, "access": {"type": "label"}}}
            for name, sides in links.items()
        },
        "daemon": settings,
    })


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition", every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def running() -> Iterator[Callable[[Daemon], Daemon]]:
    """Start daemons on a free port; whatever the test does, stop them at the end."""
    started: list[Daemon] = []

    def start(daemon: Daemon) -> Daemon:
        daemon.start()
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


@dataclass(frozen=True)
class RunRow:
    link: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None


def runs_of(store: Store, link: str | None = None) -> list[RunRow]:
    """The run log, oldest first."""
    query = sa.select(runs).order_by(runs.c.id)
    if link is not None:
        query = query.where(runs.c.link == link)
    with store.engine.connect() as connection:
        return [RunRow(r.link, r.status, utc(r.started_at), utc_or_none(r.finished_at)) for r in connection.execute(query)]


def assert_no_overlap(rows: list[RunRow]) -> None:
    """No two runs of a link overlapped in time."""
    by_link: dict[str, list[RunRow]] = {}
    for row in rows:
        by_link.setdefault(row.link, []).append(row)
    for link, mine in by_link.items():
        mine.sort(key=lambda r: r.started_at)
        for earlier, later in itertools.pairwise(mine):
            assert earlier.finished_at is not None and earlier.finished_at <= later.started_at, (link, earlier, later)


class WallClock:
    """Wall-clock seconds that move only when told (for backoff, which counts in wall time)."""

    def __init__(self) -> None:
        self.value = time.time()

    def now(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


@contextlib.contextmanager
def captured_log(log_format: str) -> Iterator[io.StringIO]:
    """Everything the daemon logs (redacted and formatted as in production), in ``log_format``."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure(log_format, "INFO", stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)


@pytest.fixture
def daemon_log() -> Iterator[io.StringIO]:
    """The daemon's log as JSON lines."""
    with captured_log("json") as stream:
        yield stream
