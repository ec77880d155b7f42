"""The shape of the config file (YAML): connections, links, state store.

Loading, ``${VAR}`` interpolation and error messages live in
:mod:`bridge.config`; this module is only the validated schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from bridge.connection import ConnectionConfig
from bridge.rules import LinkRules


class LinkSideConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    connection: str  # a key of ``connections``
    project: str  # the tool's project id: Asana project gid, Trello board id, "owner/repo", Basecamp project id


class LinkConfig(LinkRules):
    """One ``links.<name>`` entry: the two sides, the schedule, and the link's rules."""

    internal: LinkSideConfig
    client: LinkSideConfig
    interval: int = Field(default=300, ge=10)  # seconds between daemon cycles
    enabled: bool = True

    def rules(self) -> LinkRules:
        return LinkRules(**{name: getattr(self, name) for name in LinkRules.model_fields})


class DaemonConfig(BaseModel):
    """The ``daemon:`` section: where ``pm-bridge daemon`` listens and how it paces, leases and backs off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"  # interface the webhook receiver, /healthz and /metrics listen on
    port: int = Field(default=8787, ge=1, le=65535)
    public_url: str | None = None  # how the tools reach the receiver (https://bridge.example); webhook callbacks start with it
    webhook_secret: SecretStr | None = None  # master secret the per-link webhook URL tokens derive from
    lease_ttl: float = Field(default=60.0, ge=1)  # seconds a link's lease lasts unless renewed (renewed every third of it)
    jitter: float = Field(default=0.1, ge=0, le=0.5)  # each cycle starts up to this share of the interval early or late
    debounce: float = Field(default=2.0, ge=0)  # seconds a webhook waits for more deliveries before its cycle runs
    max_backoff: float = Field(default=3600.0, ge=10)  # longest wait, in seconds, between cycles of a failing link
    workers: int = Field(default=4, ge=1, le=64)  # links cycled at the same time
    # Largest webhook body read, in bytes; a longer one is answered 413 unread (the next poll still sees the change).
    max_body: int = Field(default=1_000_000, ge=1024)

    @field_validator("public_url", "webhook_secret", mode="before")
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


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str = "sqlite:///pm-bridge.db"  # SQLAlchemy URL of the state store
    connections: dict[str, ConnectionConfig] = Field(default_factory=dict)
    links: dict[str, LinkConfig] = Field(default_factory=dict)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)

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
        return self
