"""The shape of the config file (YAML): connections, links, state store.

Loading, ``${VAR}`` interpolation and error messages live in
:mod:`bridge.config.load`; this module is only the validated schema.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bridge.config.connection import ConnectionConfig
from bridge.core.rules import LinkRules

# Task fields whose value a client types: with several clients on one internal project, one that a
# link takes in must not go out on another link (docs/mirror-rules.md "Several clients"). ``done`` is
# left out on purpose: a tick is the task's state, which every client of a shared task may see.
_TYPED_FIELDS = ("title", "notes", "due", "start", "assignees", "labels")


class LinkSideConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    connection: str  # a key of ``connections``
    project: str  # the tool's project id: Asana project gid, Trello board id, "owner/repo", Basecamp project id


class ClientSideConfig(LinkSideConfig):
    # The client's name in per-client markers (client:acme); the link's name by default.
    # No commas (a multi-enum value list) or brackets (a title marker) inside it.
    name: str | None = Field(default=None, min_length=1, pattern=r"^[^,\s\[\]]+( [^,\s\[\]]+)*$")


class LinkConfig(LinkRules):
    """One ``links.<name>`` entry: the two sides, the schedule, and the link's rules."""

    internal: LinkSideConfig
    client: ClientSideConfig
    interval: int = Field(default=300, ge=10)  # seconds between daemon cycles
    enabled: bool = True
    # Every client name of this link's internal project (filled by Config; docs/mirror-rules.md "Several clients on one project").
    _project_clients: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("client", mode="before")
    @classmethod
    def _side_as_client_side(cls, value: object) -> object:
        # A plain side built in code (not read from YAML) is a client side without a name.
        return value.model_dump() if type(value) is LinkSideConfig else value

    def rules(self) -> LinkRules:
        rules = LinkRules(**{name: getattr(self, name) for name in LinkRules.model_fields})
        if self.client.name is None:
            return rules
        mirror = rules.mirror.for_client(self.client.name, self._project_clients)
        return rules.model_copy(update={"mirror": mirror})


class DaemonConfig(BaseModel):
    """The ``daemon:`` section: where ``pm-bridge daemon`` listens and how it paces, leases and backs off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"  # interface the webhook receiver, /healthz and /metrics listen on
    port: int = Field(default=8787, ge=1, le=65535)
    public_url: str | None = None  # how the tools reach the receiver (https://bridge.example); webhook callbacks start with it
    webhook_secret: SecretStr | None = None  # master secret the per-link webhook URL tokens derive from
    # Token the status page at / asks for (?token= or Authorization: Bearer); without it, the page is served only
    # when the daemon listens on a loopback interface (docs/console.md).
    status_token: SecretStr | None = None
    lease_ttl: float = Field(default=60.0, ge=1)  # seconds a link's lease lasts unless renewed (renewed every third of it)
    jitter: float = Field(default=0.1, ge=0, le=0.5)  # each cycle starts up to this share of the interval early or late
    debounce: float = Field(default=2.0, ge=0)  # seconds a webhook waits for more deliveries before its cycle runs
    max_backoff: float = Field(default=3600.0, ge=10)  # longest wait, in seconds, between cycles of a failing link
    # Links cycled at the same time; unset: one per 25 links, 4 to 40 (bridge/daemon/scheduler.py: pool_size).
    workers: int | None = Field(default=None, ge=1, le=64)
    # Largest webhook body read, in bytes; a longer one is answered 413 unread (the next poll still sees the change).
    max_body: int = Field(default=1_000_000, ge=1024)

    @field_validator("public_url", "webhook_secret", "status_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # ``${VAR:-}`` with VAR unset yields "", which means "not configured", not an empty secret.
        return None if value == "" else value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/") if value else value


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: object) -> object:
    """``90``, ``"90s"``, ``"30m"``, ``"24h"`` or ``"2d"`` as seconds (anything else is left for pydantic to refuse)."""
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
        if found is None:
            raise ValueError("expected seconds or a duration such as 90s, 30m, 24h or 2d")
        return float(found.group(1)) * _UNITS[found.group(2) or "s"]
    return value


Duration = Annotated[float, BeforeValidator(_seconds)]


class EmailAlerts(BaseModel):
    """``alerts.email``: the SMTP server alerts are sent through, and who gets them (docs/alerts.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True  # upgrade a plain connection with STARTTLS (port 587)
    ssl: bool = False  # connect over TLS from the start (SMTPS, port 465); then starttls is not used
    user: str | None = None
    password: SecretStr | None = None
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)

    @field_validator("user", "password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


class WebhookAlerts(BaseModel):
    """``alerts.webhook``: a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr  # the URL is the credential: whoever knows it can post to the channel

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value


class AlertsConfig(BaseModel):
    """The ``alerts:`` section: where alerts go, what raises one, and how often (docs/alerts.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: EmailAlerts | None = None
    webhook: WebhookAlerts | None = None
    failing_cycles: int = Field(default=3, ge=0)  # alert when a link failed this many cycles in a row; 0: never
    conflicts_waiting: Duration = Field(default=86400.0, ge=0)  # alert on conflicts older than this; 0: never
    guard: bool = True  # alert when the removal guard stops a link
    credentials: bool = True  # alert when a tool refuses a link's credential
    webhook_lost: bool = True  # alert when the daemon finds a webhook-led side's webhook gone or deactivated
    resolved: bool = True  # say so when an alerted condition clears
    min_interval: Duration = Field(default=21600.0, ge=60)  # a lasting condition alerts again after this long
    max_per_hour: int = Field(default=20, ge=1)  # messages sent in any hour, all links together

    @field_validator("email", "webhook", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object, info: ValidationInfo) -> object:
        # A channel without its address (``host: ${SMTP_HOST:-}`` with the variable unset) is off, not broken.
        essential = "host" if info.field_name == "email" else "url"
        if value in ("", {}) or (isinstance(value, dict) and value.get(essential) in ("", None)):
            return None
        return value


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str = "sqlite:///pm-bridge.db"  # SQLAlchemy URL of the state store
    connections: dict[str, ConnectionConfig] = Field(default_factory=dict)
    links: dict[str, LinkConfig] = Field(default_factory=dict)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)

    @model_validator(mode="after")
    def _links_name_known_connections(self) -> Config:
        for name, link in self.links.items():
            if name.startswith("@"):
                # Names starting with "@" are the store's own (a daemon announces itself as "@daemon:...").
                raise ValueError(f"links.{name}: a link's name cannot start with '@'")
            for side in ("internal", "client"):
                conn = getattr(link, side).connection
                if conn not in self.connections:
                    known = ", ".join(sorted(self.connections)) or "none defined"
                    raise ValueError(f"links.{name}.{side}.connection names {conn!r}, which is not under connections ({known})")
            if self.connections[link.internal.connection].kind == "email":
                # An email connection is a client's inbox (docs/email.md): it holds no agency project to mirror from.
                raise ValueError(
                    f"links.{name}.internal.connection names {link.internal.connection!r}, an email connection; "
                    f"email is a client side only: put it under links.{name}.client"
                )
        self._one_link_per_email_connection()
        self._name_clients()
        return self

    def _one_link_per_email_connection(self) -> None:
        """An email connection holds one client's view, inbox and reply addresses: one link only (docs/email.md)."""
        users: dict[str, str] = {}
        for name, link in self.links.items():
            for side in ("internal", "client"):
                conn = getattr(link, side).connection
                if self.connections[conn].kind != "email":
                    continue
                if conn in users:
                    raise ValueError(
                        f"links.{users[conn]} and links.{name} both use the email connection {conn!r}; its inbox, reply "
                        f"addresses and digest belong to one link: give links.{name} a connection of its own (copy "
                        f"connections.{conn} under a new name, with its own reply_domain or request_address and mailbox)"
                    )
                users[conn] = name

    def _name_clients(self) -> None:
        """Give each link its client's name, and each link the names of every client of its internal project."""
        for name, link in list(self.links.items()):
            if link.client.name is None:
                self.links[name] = link.model_copy(update={"client": link.client.model_copy(update={"name": name})})
        projects: dict[tuple[str, str], list[str]] = {}
        for name, link in self.links.items():
            projects.setdefault((link.internal.connection, link.internal.project), []).append(name)
        for names in projects.values():
            clients = tuple(self.links[n].client.name or n for n in names)
            seen: dict[str, str] = {}
            sections: dict[str, str] = {}
            for name, client in zip(names, clients, strict=True):
                if client.casefold() in seen:
                    raise ValueError(
                        f"links.{seen[client.casefold()]} and links.{name} share an internal project and both name "
                        f"their client {client!r}; give each link its own client.name"
                    )
                seen[client.casefold()] = name
                approval = self.links[name].inbound.approval
                if len(names) > 1 and approval is not None and approval.internal_section:
                    if approval.internal_section in sections:
                        raise ValueError(
                            f"links.{sections[approval.internal_section]} and links.{name} share an internal project and "
                            f"both file approvals into section {approval.internal_section!r}: one client's approval would "
                            f"show as approved to the other; give each link its own inbound.approval.internal_section"
                        )
                    sections[approval.internal_section] = name
                self.links[name]._project_clients = clients
            if len(names) > 1:
                self._no_field_between_clients(names)

    def _no_field_between_clients(self, names: list[str]) -> None:
        """Refuse an internal field that one link takes in from its client and another sends out to its own.

        The internal task holds one value per field: what acme typed would become it, and the next cycle
        would write it to globex. Nothing in the internal tool can say who typed a value (and the state
        store may be lost), so this is refused when the config is read (docs/mirror-rules.md "Several clients").
        """
        def maps(link: str, field: str, directions: tuple[str, ...]) -> bool:
            return any(r.name.casefold() == field and r.direction in directions
                       for r in self.links[link].mirror.fields.custom.values())

        for taker in names:
            for field_name in _TYPED_FIELDS:
                if self.links[taker].mirror.fields.direction(field_name) not in ("both", "to_internal"):
                    continue
                sender = next((o for o in names if o != taker
                               and self.links[o].mirror.fields.direction(field_name) in ("both", "to_client")), None)
                if sender is not None:
                    raise ValueError(
                        f"links.{taker} and links.{sender} share an internal project; links.{taker} takes the "
                        f"{field_name} in from its client (mirror.fields.{field_name}: "
                        f"{self.links[taker].mirror.fields.direction(field_name)}), so what that client types would go "
                        f"out to the client of links.{sender}: set links.{taker}.mirror.fields.{field_name} to to_client "
                        f"or none, or links.{sender}.mirror.fields.{field_name} to none"
                    )
            for key, rule in self.links[taker].mirror.fields.custom.items():
                if rule.direction not in ("both", "to_internal"):
                    continue
                field = rule.name.casefold()
                sender = next((o for o in names if o != taker and maps(o, field, ("both", "to_client"))), None)
                if sender is not None:
                    raise ValueError(
                        f"links.{taker} and links.{sender} share an internal project and both map the custom field "
                        f"{rule.name!r}; links.{taker} takes it in from its client, so what that client types would go "
                        f"out to the client of links.{sender}: set links.{taker}.mirror.fields.custom.{key}.direction "
                        f"to to_client, or leave the field out of links.{sender}, or give each client an internal "
                        f"field of its own"
                    )
