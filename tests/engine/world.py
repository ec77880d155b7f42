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
from bridge.config.schema import Config
from bridge.core.ports import Connector
from bridge.core.rules import AccessSource, ApprovalRule, InboundRules, LinkRules, MirrorRules, SectionRule
from bridge.store import Store
from bridge.sync.engine import CycleReport, Engine, LinkRuntime, LinkSide
from connectors.registry import tool_module

SECTIONS = ["Design", "Build", "Internal QA"]
UNLOCKED = {"Design"}
# Basecamp has no labels: an approval moves the to-do into this (unlocked) list instead.
APPROVED_SECTION = "Approved by client"


def recorded(emulator: Any) -> list[Any]:
    """Every request (or call, for the memory tool) the tool has received, in order."""
    return list(getattr(emulator, "requests", None) or getattr(emulator, "calls", []))


def access_source(internal_kind: str) -> AccessSource:
    """Asana reads access from a custom field, Basecamp (no labels) from a title marker, the rest from labels."""
    if internal_kind == "asana":
        return AccessSource(type="custom_field")
    if internal_kind == "basecamp":
        return AccessSource(type="title_marker", client="[client]", none="[internal]")
    return AccessSource(type="label")


def internal_sections(internal_kind: str) -> list[str]:
    return SECTIONS + ([APPROVED_SECTION] if internal_kind == "basecamp" else [])


def default_rules(internal_kind: str, **overrides: Any) -> LinkRules:
    unlocked = UNLOCKED | ({APPROVED_SECTION} if internal_kind == "basecamp" else set())
    sections = {name: SectionRule(access="unlocked") for name in sorted(unlocked)}
    mirror = MirrorRules(sections=sections, access=access_source(internal_kind))
    if internal_kind == "basecamp" and "inbound" not in overrides:
        overrides["inbound"] = InboundRules(approval=ApprovalRule(internal_label=None, internal_section=APPROVED_SECTION))
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
        self.internal_project = self.isb.create_project("Acme website", internal_sections(self.internal_kind))
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

    def access(self, value: str, title: str | None = None) -> dict[str, Any]:
        """Task fields that set an access value the way this link reads it.

        A title marker lives in the title itself, so that source needs the task's
        (unmarked or marked) ``title``; given a title, every source returns it too,
        so ``NewTask(**world.access("client", title="..."))`` works for any tool.
        """
        assert self.rules is not None
        source = self.rules.mirror.access
        fields: dict[str, Any] = {} if title is None else {"title": title}
        if source.type == "custom_field":
            return fields | {"custom_fields": {source.field: value}}
        if source.type == "title_marker":
            if title is None:
                raise ValueError("access by title marker needs the task's title")
            bare = " ".join(w for w in title.split() if w not in (source.client, source.none))
            marker = {"client": source.client, "none": source.none}.get(value)
            return {"title": f"{bare} {marker}" if marker else bare}
        label = {"client": source.client, "none": source.none}.get(value)
        return fields | {"labels": [label] if label else []}

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


def daemon_config(world: World, master: str, public_url: str | None = None) -> Config:
    """A daemon's config for the world's one link, ``acme`` (an Asana internal, a Basecamp client side):
    what the webhook receiver and the webhook watch read (tests/engine/test_webhook_led.py,
    tests/daemon/test_webhook_watch.py)."""
    daemon: dict[str, Any] = {"webhook_secret": master} | ({"public_url": public_url} if public_url else {})
    return Config.model_validate({
        "state": world.store_url,
        "connections": {
            "agency": {"kind": world.internal_kind, "base_url": "https://internal.test", "token": "tok-agency"},
            "client": {"kind": world.client_kind, "base_url": "https://client.test", "token": "tok-client"},
        },
        "links": {"acme": {"internal": {"connection": "agency", "project": world.internal_project},
                           "client": {"connection": "client", "project": world.client_project}}},
        "daemon": daemon,
    })


class Crash(Exception):
    """The process dies here (raised from inside the engine by a test)."""


def sync_dying_after_upload(world: World) -> None:
    """One cycle whose process dies right after a file upload went through, before its record lands;
    then a fresh process on the same store (what a crash between the tool's answer and the journal is)."""
    real = world.store.complete_intent

    def die(intent: Any, pair: Any, *rest: Any) -> None:
        if pair.kind == "attachment":
            raise Crash()
        real(intent, pair, *rest)

    world.store.complete_intent = die  # type: ignore[method-assign,assignment]
    try:
        world.sync()
    except Crash:
        pass
    else:
        raise AssertionError("the cycle uploaded no file, so it never reached the crash")
    finally:
        world.store.complete_intent = real  # type: ignore[method-assign]
    world.reopen_store()


# Where each connector operation lands in each tool, for injecting a fault into exactly that write.
FAULT_ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    "trello": {
        "create_section": ("POST", r"^/lists$"),
        "create_task": ("POST", r"^/cards$"),
        "update_task": ("PUT", r"^/cards/[^/]+$"),
        "create_comment": ("POST", r"/actions/comments$"),
        "upload_attachment": ("POST", r"^/cards/[^/]+/attachments$"),
        "pull": ("GET", r"^/boards/"),
    },
    "asana": {
        "create_section": ("POST", r"/sections$"),
        "create_task": ("POST", r"^/tasks$"),
        "update_task": ("PUT", r"^/tasks/[^/]+$"),
        "create_comment": ("POST", r"/stories$"),
        "pull": ("GET", r"^/(projects|events|tasks)"),
    },
    "github": {
        "create_section": ("POST", r"^/repos/[^/]+/[^/]+/labels$"),
        "create_task": ("POST", r"^/repos/[^/]+/[^/]+/issues$"),
        "update_task": ("PATCH", r"^/repos/[^/]+/[^/]+/issues/\d+$"),
        "create_comment": ("POST", r"^/repos/[^/]+/[^/]+/issues/\d+/comments$"),
        "pull": ("GET", r"^/repos/[^/]+/[^/]+/issues"),
    },
    "basecamp": {
        "create_section": ("POST", r"/todosets/\d+/todolists\.json$"),
        "create_task": ("POST", r"/todolists/\d+/todos\.json$"),
        "update_task": ("PUT", r"/todos/\d+\.json$"),
        "create_comment": ("POST", r"/recordings/\d+/comments\.json$"),
        "upload_attachment": ("POST", r"/attachments\.json$"),
        "pull": ("GET", r"/(projects|todosets|todolists)/"),
    },
}


def inject(sandbox: Any, kind: str, fault: Any, op: str, times: int = 1) -> None:
    """Make the next ``times`` calls of connector operation ``op`` on this tool fail with ``fault``."""
    if kind == "memory":
        sandbox.emulator.inject(fault, op=op, times=times)
        return
    method, path = FAULT_ROUTES[kind][op]
    sandbox.emulator.inject(fault, method=method, path=path, times=times)
