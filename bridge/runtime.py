"""From a validated :class:`Config` to things that run: connectors, links, the state store and the engine.

This is the composition root: with :mod:`bridge.demo` the only part of
``bridge`` that imports ``connectors`` (tests/test_architecture.py keeps it so).
The daemon and the CLI reach a tool's code through the functions here.

A connection is built once and shared by every link that names it (so the
links share its rate budget too). A connection that cannot be built fails
only the links that use it; the others still run (docs/design.md invariant 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bridge import secrets
from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.config.schema import Config, LinkConfig
from bridge.core.ports import Capabilities, Connector
from bridge.errors import BridgeError, ConfigError
from bridge.store import Store
from bridge.sync.engine import Engine, LinkRuntime, LinkSide
from bridge.sync.events import Event
from connectors import registry

SIDES = ("internal", "client")


@dataclass
class Runtime:
    """Everything one command needs; ``broken`` maps a link to why it cannot run."""

    config: Config
    store: Store
    engine: Engine
    links: dict[str, LinkRuntime] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    connectors: dict[str, Connector] = field(default_factory=dict)

    def close(self) -> None:
        for connector in self.connectors.values():
            connector.close()
        self.store.close()


def select_links(config: Config, names: Iterable[str] = ()) -> list[str]:
    """The links a command works on: the named ones (in config order), else every enabled link."""
    wanted = list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in config.links]
    if unknown:
        known = ", ".join(config.links) or "none configured"
        raise ConfigError(f"no link named {', '.join(map(repr, unknown))} in the config", hint=f"links: {known}")
    if wanted:
        return [name for name in config.links if name in wanted]
    if not config.links:
        raise ConfigError("the config has no links", hint="add one under links: (see config.example.yaml)")
    return [name for name, link in config.links.items() if link.enabled]


def build_connector(
    name: str,
    connection: ConnectionConfig,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> Connector:
    """One connection's connector; every failure is a :class:`BridgeError` naming the connection."""
    try:
        connector = registry.build(name, connection, transport=transport, clock=clock)
    except BridgeError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"connection {name!r} ({connection.kind}) cannot be set up: {secrets.redact(str(exc))}") from None
    return connector


def build_connectors(
    config: Config,
    names: Iterable[str],
    *,
    transports: Mapping[str, httpx.BaseTransport] | None = None,
    clock: Clock | None = None,
) -> tuple[dict[str, Connector], dict[str, str]]:
    """Connectors for the named connections, and a message per connection that failed."""
    built: dict[str, Connector] = {}
    failed: dict[str, str] = {}
    for name in dict.fromkeys(names):
        transport = (transports or {}).get(name)
        try:
            built[name] = build_connector(name, config.connections[name], transport=transport, clock=clock)
        except BridgeError as exc:
            failed[name] = secrets.redact(str(exc))
    return built, failed


def webhook_module(kind: str) -> ModuleType | None:
    """The tool's webhook rules (``receive`` and ``SECRET_SOURCE``), or None when the tool takes no webhooks."""
    return registry.webhook_module(kind)


def link_runtime(name: str, link: LinkConfig, connectors: Mapping[str, Connector]) -> LinkRuntime:
    return LinkRuntime(
        name,
        link.rules(),
        LinkSide(connectors[link.internal.connection], link.internal.project),
        LinkSide(connectors[link.client.connection], link.client.project),
    )


def rule_problems(name: str, link: LinkConfig, internal: Capabilities, client: Capabilities) -> list[str]:
    """Rules asking a tool for something it cannot hold (found by ``pm-bridge check`` before a sync trips on them)."""
    problems = []
    access = link.mirror.access
    if access.type == "label" and "labels" not in internal.task_fields:
        problems.append(f"links.{name}.mirror.access.type is label, but the internal tool has no labels (use title_marker)")
    if access.type == "custom_field" and not internal.custom_fields:
        problems.append(f"links.{name}.mirror.access.type is custom_field, but the internal tool has no custom fields "
                        "(use label or title_marker)")
    approval = link.inbound.approval
    if approval is not None and approval.internal_label and "labels" not in internal.task_fields:
        problems.append(f"links.{name}.inbound.approval.internal_label needs labels, which the internal tool lacks "
                        "(set internal_label: null and use internal_section)")
    custom = ", ".join(link.mirror.fields.custom)
    for side, caps in (("internal", internal), ("client", client)):
        if custom and not caps.custom_fields:
            problems.append(f"links.{name}.mirror.fields.custom names {custom}, but the {side} tool ({caps.tool}) "
                            "holds no custom fields")
    if link.mirror.fields.labels != "none" and "labels" not in client.task_fields:
        problems.append(f"links.{name}.mirror.fields.labels is {link.mirror.fields.labels}, but the client tool has no labels")
    return problems


def open_store(url: str) -> Store:
    """The state store, or a ConfigError that names the database without its password."""
    try:
        return Store.open(url)
    except ModuleNotFoundError as exc:  # e.g. a postgresql+psycopg URL without the driver installed
        raise ConfigError(f"the state store {_safe_url(url)} needs the Python package {exc.name!r}",
                          hint="for PostgreSQL: pip install 'pm-bridge[postgres]'") from None
    except (SQLAlchemyError, OSError, ValueError) as exc:
        shown = _safe_url(url)
        reason = secrets.redact(str(getattr(exc, "orig", None) or exc)).splitlines()[0]
        raise ConfigError(f"cannot open the state store {shown}: {reason}", hint="check `state:` in the config") from None


def build_runtime(
    config: Config,
    link_names: Iterable[str] = (),
    *,
    listeners: list[Callable[[Event], object]] | None = None,
    transports: Mapping[str, httpx.BaseTransport] | None = None,
    clock: Clock | None = None,
    store: Store | None = None,
) -> Runtime:
    """Build what the selected links need. ``transports`` (by connection name) lets the demo and tests use emulators."""
    names = select_links(config, link_names)
    store = store or open_store(config.state)
    used = [config.links[n].internal.connection for n in names] + [config.links[n].client.connection for n in names]
    connectors, failed = build_connectors(config, used, transports=transports, clock=clock)
    runtime = Runtime(config, store, Engine(store, listeners=listeners), connectors=connectors)
    for name in names:
        link = config.links[name]
        problems = [failed[side.connection] for side in (link.internal, link.client) if side.connection in failed]
        if problems:
            runtime.broken[name] = "; ".join(dict.fromkeys(problems))
        else:
            runtime.links[name] = link_runtime(name, link, connectors)
    return runtime


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown by its scheme only
        return url.split(":", 1)[0] + "://..."
