"""The memory tool's server side: users and tokens, projects, faults, and a record of every call.

A :class:`MemoryWorld` plays the part an emulator plays for an HTTP tool:
tests seed it, inject faults into it, and read ``calls`` to see exactly what
reached the tool. Worlds are registered by name so a config can point at one
with ``base_url: memory://<name>``.

Operation names for ``inject(fault, op=...)`` and ``calls``: check, pull,
create_section, update_section, remove_section, create_task, update_task,
remove_task, create_comment, update_comment, remove_comment,
create_attachment, remove_attachment.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from bridge.clock import Clock
from bridge.core.model import Person
from bridge.errors import AuthError, Malformed, NotFound, RateLimited, Transient
from connectors.emulation.toolkit import Fault
from connectors.memory.operations import Operations
from connectors.memory.store import Project

T = TypeVar("T")

READ_OPS = frozenset({"check", "pull"})


class Call(NamedTuple):
    """One call as the tool received it; ``payload`` holds everything the caller sent."""

    op: str
    user_id: str | None
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        return f"{self.op} {json.dumps(self.payload, default=str, sort_keys=True)}"

    @property
    def is_write(self) -> bool:
        return self.op not in READ_OPS


@dataclass
class MemoryFault:
    fault: Fault
    op: str | None = None  # None matches every operation
    user_id: str | None = None  # None matches every caller
    times: int = 1  # -1 for ever

    def matches(self, op: str, user_id: str | None) -> bool:
        return (self.op is None or self.op == op) and (self.user_id is None or self.user_id == user_id)


_worlds: weakref.WeakValueDictionary[str, MemoryWorld] = weakref.WeakValueDictionary()
_pinned: dict[str, MemoryWorld] = {}  # worlds made by name only live as long as the process
_registry_lock = threading.Lock()
_serial = itertools.count(1)


def world_named(name: str) -> MemoryWorld:
    """The world a ``memory://<name>`` base URL points at, created empty on first use."""
    with _registry_lock:
        world = _worlds.get(name)
    if world is None:
        world = MemoryWorld(name)
        with _registry_lock:
            world = _worlds.setdefault(name, world)
            _pinned[name] = world
    return world


class MemoryWorld(Operations):
    """Projects and people of an in-memory tool, with full capabilities and per-call faults."""

    tool = "memory"

    def __init__(self, name: str | None = None, *, clock: Clock | None = None, **_emulator_options: object) -> None:
        # Extra keywords (latency, rate_limit) are what an HTTP emulator takes; the memory tool has no wire.
        super().__init__()
        self.name = name or f"world-{next(_serial)}"
        self.clock = clock
        self.lock = threading.RLock()
        self.tokens: dict[str, str] = {}
        self.calls: list[Call] = []
        self.faults: list[MemoryFault] = []
        # The log position each user's last pull of each project reached: where a lagging listing stands.
        self.last_pull: dict[tuple[str, str], int] = {}
        self._ids = itertools.count(1001)
        with _registry_lock:
            _worlds[self.name] = self

    @property
    def base_url(self) -> str:
        return f"memory://{self.name}"

    def transport(self) -> None:
        """No HTTP transport: connectors reach the world directly (kept for the Sandbox's sake)."""
        return None

    # -- seeding --------------------------------------------------------

    def new_id(self) -> str:
        return str(next(self._ids))

    def now(self) -> dt.datetime:
        seconds = self.clock.now() if self.clock is not None else time.time()
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)

    def add_user(self, name: str, email: str | None = None, username: str | None = None, token: str | None = None) -> str:
        with self.lock:
            uid = self.new_id()
            self.store.users[uid] = Person(id=uid, name=name, email=email, username=username)
            if token:
                self.tokens[token] = uid
            return uid

    def create_project(self, name: str, sections: list[str] | None = None, members: list[str] | None = None) -> str:
        """Seed a project every listed user (default: every user) can reach; seeding is not logged as anyone's call."""
        with self.lock:
            pid = self.new_id()
            self.store.projects[pid] = Project(name=name, members=set(members if members is not None else self.store.users))
            for section in sections or []:
                self.op_create_section("seed", pid, section)
            return pid

    def user_for_token(self, token: str | None) -> str | None:
        with self.lock:
            return self.tokens.get(token or "")

    # -- faults and the call record ---------------------------------------

    def inject(self, fault: Fault, op: str | None = None, times: int = 1, *, user_id: str | None = None) -> MemoryFault:
        rule = MemoryFault(fault, op, user_id, times)
        with self.lock:
            self.faults.append(rule)
        return rule

    def _take_fault(self, op: str, user_id: str | None) -> Fault | None:
        for rule in self.faults:
            if rule.times != 0 and rule.matches(op, user_id):
                if rule.times > 0:
                    rule.times -= 1
                self.faults = [r for r in self.faults if r.times != 0]
                return rule.fault
        return None

    def serve(self, op: str, user_id: str | None, payload: dict[str, Any], action: Callable[[str, bool], T]) -> T:
        """Answer one call as the tool would: record it, authenticate, apply faults around ``action``.

        ``action(user_id, lagging)`` does the work; it runs under the world's lock.
        """
        with self.lock:
            self.calls.append(Call(op, user_id, payload))
            fault = self._take_fault(op, user_id)
            if fault is Fault.UNAUTHORIZED or user_id is None or user_id not in self.store.users:
                raise AuthError("memory: the credential was refused", status=401, hint="check the memory connection's token")
            if fault is Fault.RATE_LIMIT:
                raise RateLimited(f"memory: rate limited on {op}", retry_after=1.0)
            if fault is Fault.FAIL_BEFORE:
                raise Transient(f"memory: server error on {op}", status=500)
            if fault is Fault.NOT_FOUND:
                raise NotFound(f"memory: not found ({op})", status=404)
            if fault is Fault.MALFORMED:
                raise Malformed(f"memory: the answer to {op} is not the documented shape")
            result = action(user_id, fault is Fault.LAG)
            if fault is Fault.FAIL_AFTER:
                raise Transient(f"memory: server error on {op} after it took effect", status=500)
            if fault is Fault.LOSE_RESPONSE:
                raise Transient(f"memory: connection lost after {op}")
            return result

    # -- inspection helpers for tests -------------------------------------

    def writes(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.is_write]

    def clear_requests(self) -> None:
        with self.lock:
            self.calls.clear()
