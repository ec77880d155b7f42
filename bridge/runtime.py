"""From a validated :class:`Config` to things that run: connectors, links, the state store and the engine.

This is the composition root: with :mod:`bridge.demo` the only part of
``bridge`` that imports ``connectors`` (tests/test_architecture.py keeps it so).
The daemon and the CLI reach a tool's code through the functions here.

A connection is built once and shared by every link that names it (so the
links share its rate budget too). A connection that cannot be built fails
only the links that use it; the others still run (docs/design.md invariant 8).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType

import httpx
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bridge import secrets
from bridge.auth.credential import ToolAuth
from bridge.auth.renewing import RenewingToken
from bridge.auth.sealing import Sealer
from bridge.auth.vault import Vault
from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig
from bridge.config.schema import Config, LinkConfig
from bridge.core.ports import Capabilities, Connector
from bridge.errors import BridgeError, ConfigError, CredentialsRevoked, NotConnected
from bridge.http.client import user_agent
from bridge.http.credentials import CredentialTransport
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
    vault: Vault | None = None,
    state: str | None = None,
) -> Connector:
    """One connection's connector; every failure is a :class:`BridgeError` naming the connection.

    A connection with ``auth: oauth`` or ``github_app`` takes its token from ``vault`` and renews it
    as it goes (docs/connect.md); one with a personal token is built as before.
    """
    if connection.auth != "token":
        if vault is None:
            raise ConfigError(f"connection {name!r} uses auth: {connection.auth}, which keeps its tokens in the state store")
        connection, transport = renewing(name, connection, vault, transport=transport, clock=clock)
    try:
        connector = registry.build(name, connection, transport=transport, clock=clock, state=state)
    except BridgeError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"connection {name!r} ({connection.kind}) cannot be set up: {secrets.redact(str(exc))}") from None
    return connector


def tool_auth(kind: str) -> ToolAuth:
    """The tool's authorization flow (``connectors/<tool>/auth.py``), for ``pm-bridge connect``."""
    return registry.tool_auth(kind)


def wall_clock(clock: Clock | None) -> Callable[[], float]:
    """Epoch seconds that move with ``clock`` (a virtual clock in tests), for token expiry times."""
    if clock is None:
        return time.time
    offset = time.time() - clock.now()
    return lambda: clock.now() + offset


def token_client(connection: ConnectionConfig, transport: httpx.BaseTransport | None) -> httpx.Client:
    """The client that talks to a tool's token endpoint (not through the API's rate budget: one request a renewal)."""
    return httpx.Client(transport=transport, timeout=connection.timeout, follow_redirects=False,
                        headers={"User-Agent": user_agent(connection.user_agent)})


def renewing(
    name: str, connection: ConnectionConfig, vault: Vault, *, transport: httpx.BaseTransport | None, clock: Clock | None
) -> tuple[ConnectionConfig, httpx.BaseTransport]:
    """The connection with its current token, and a transport that keeps it current (bridge/http/credentials.py)."""
    auth = tool_auth(connection.kind)
    epoch = wall_clock(clock)
    http = token_client(connection, transport)
    provider = RenewingToken(name, vault, lambda current: auth.renew(connection, current, http, epoch()), epoch, auth.skew)
    # The stored token, even if due: renewing is the first request's job, so a token endpoint that is down
    # for a moment fails a cycle (retried), not the connection (built once per daemon). A missing row
    # or a wrong key are for a person to fix, and fail here with their message.
    try:
        current = vault.load(name).credential.access_token
    except (CredentialsRevoked, NotConnected):
        # Built all the same: each cycle then fails with this error (so the alerts fire and /healthz says
        # what to do), and after `pm-bridge connect` the next cycle uses the new token, without a reload.
        # The placeholder is never sent: every request asks the provider first.
        current = "not-authorized"
    wrapped = CredentialTransport(transport or httpx.HTTPTransport(), provider, auth.placement)
    return connection.model_copy(update={"token": SecretStr(current)}), wrapped


def build_connectors(
    config: Config,
    names: Iterable[str],
    *,
    transports: Mapping[str, httpx.BaseTransport] | None = None,
    clock: Clock | None = None,
    store: Store | None = None,
) -> tuple[dict[str, Connector], dict[str, str]]:
    """Connectors for the named connections, and a message per connection that failed."""
    built: dict[str, Connector] = {}
    failed: dict[str, str] = {}
    vault: Vault | None = None
    for name in dict.fromkeys(names):
        transport = (transports or {}).get(name)
        try:
            if config.connections[name].auth != "token" and vault is None:
                vault = Vault(store or open_store(config.state), Sealer.from_environment())
            built[name] = build_connector(
                name, config.connections[name], transport=transport, clock=clock, vault=vault, state=config.state
            )
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
    webhook_led: bool = False,
) -> Runtime:
    """Build what the selected links need. ``transports`` (by connection name) lets the demo and tests use emulators;
    ``webhook_led``: this process receives webhook deliveries (the daemon), so pulls may follow their hints."""
    names = select_links(config, link_names)
    store = store or open_store(config.state)
    used = [config.links[n].internal.connection for n in names] + [config.links[n].client.connection for n in names]
    connectors, failed = build_connectors(config, used, transports=transports, clock=clock, store=store)
    runtime = Runtime(config, store, Engine(store, listeners=listeners, webhook_led=webhook_led), connectors=connectors)
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
