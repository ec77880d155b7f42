"""Two emulated tools, a real state store and the engine: one link, ready to sync.

Every engine-level test (crash, bad input, pairings, the state machine) builds
its scenario here, so they all drive the bridge exactly as production does:
connectors over the tools' (emulated) APIs, edits by people through their own
credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.clock import VirtualClock
from bridge.engine import CycleReport, Engine, LinkRuntime, LinkSide
from bridge.rules import AccessSource, LinkRules, MirrorRules, SectionRule
from bridge.store import Store
from connectors.base import Connector
from connectors.registry import tool_module

SECTIONS = ["Design", "Build", "Internal QA"]
UNLOCKED = {"Design"}


def recorded(emulator: Any) -> list[Any]:
    """Every request (or call, for the memory tool) the tool has received, in order."""
    return list(getattr(emulator, "requests", None) or getattr(emulator, "calls", []))


def default_rules(internal_kind: str, **overrides: Any) -> LinkRules:
    access = AccessSource(type="custom_field") if internal_kind == "asana" else AccessSource(type="label")
    mirror = MirrorRules(sections={name: SectionRule(access="unlocked") for name in UNLOCKED}, access=access)
    return LinkRules(mirror=mirror, **overrides)


@dataclass
class World:
    internal_kind: str
    client_kind: str
    store_url: str
    rules: LinkRules | None = None
    clock: VirtualClock = field(default_factory=VirtualClock)

    def __post_init__(self) -> None:
        self.isb = self._sandbox(self.internal_kind)
        self.csb = self._sandbox(self.client_kind)
        self.internal_project = self.isb.create_project("Acme website", SECTIONS)
        self.isb.setup_access_field(self.internal_project)
        self.client_project = self.csb.create_project("Acme x Agency", [])
        self.rules = self.rules or default_rules(self.internal_kind)
        self.bridge_internal: Connector = self.isb.connector("bridge", "internal")
        self.bridge_client: Connector = self.csb.connector("bridge", "client")
        self.anna: Connector = self.isb.connector("human", "anna")
        self.carla: Connector = self.csb.connector("client", "carla")
        self.store = Store.open(self.store_url)
        self.engine = Engine(self.store, workers=2)

    def _sandbox(self, kind: str) -> Any:
        module = tool_module(kind)
        emulator = module.Emulator(clock=self.clock)
        return module.Sandbox(emulator, self.clock)

    @property
    def link(self) -> LinkRuntime:
        assert self.rules is not None
        return LinkRuntime(
            "acme",
            self.rules,
            LinkSide(self.bridge_internal, self.internal_project),
            LinkSide(self.bridge_client, self.client_project),
        )

    def sync(self, **kw: Any) -> CycleReport:
        return self.engine.run(self.link, **kw)

    def client_writes(self) -> int:
        return sum(1 for r in recorded(self.csb.emulator) if r.is_write)

    def internal_writes(self) -> int:
        return sum(1 for r in recorded(self.isb.emulator) if r.is_write)

    def access(self, value: str) -> dict[str, Any]:
        """Task fields that set an access value the way this link reads it."""
        assert self.rules is not None
        source = self.rules.mirror.access
        if source.type == "custom_field":
            return {"custom_fields": {source.field: value}}
        label = {"client": source.client, "none": source.none}.get(value)
        return {"labels": [label] if label else []}

    def section(self, name: str) -> str:
        snap = self.anna.pull(self.internal_project).snapshot
        return next(s.id for s in snap.sections.values() if s.name == name)

    def reopen_store(self, path: Path | None = None) -> None:
        """A fresh process: new engine and store objects on the same (or a new, empty) database."""
        self.store.close()
        if path is not None:
            self.store_url = f"sqlite:///{path}"
        self.store = Store.open(self.store_url)
        self.engine = Engine(self.store, workers=2)


# Where each connector operation lands in each tool, for injecting a fault into exactly that write.
FAULT_ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    "trello": {
        "create_section": ("POST", r"^/lists$"),
        "create_task": ("POST", r"^/cards$"),
        "update_task": ("PUT", r"^/cards/[^/]+$"),
        "create_comment": ("POST", r"/actions/comments$"),
        "pull": ("GET", r"^/boards/"),
    },
    "asana": {
        "create_section": ("POST", r"/sections$"),
        "create_task": ("POST", r"^/tasks$"),
        "update_task": ("PUT", r"^/tasks/[^/]+$"),
        "create_comment": ("POST", r"/stories$"),
        "pull": ("GET", r"^/(projects|events|tasks)"),
    },
}


def inject(sandbox: Any, kind: str, fault: Any, op: str, times: int = 1) -> None:
    """Make the next ``times`` calls of connector operation ``op`` on this tool fail with ``fault``."""
    if kind == "memory":
        sandbox.emulator.inject(fault, op=op, times=times)
        return
    method, path = FAULT_ROUTES[kind][op]
    sandbox.emulator.inject(fault, method=method, path=path, times=times)
