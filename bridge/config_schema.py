"""The shape of the config file (YAML): connections, links, state store.

Loading, ``${VAR}`` interpolation and error messages live in
:mod:`bridge.config`; this module is only the validated schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str = "sqlite:///pm-bridge.db"  # SQLAlchemy URL of the state store
    connections: dict[str, ConnectionConfig] = Field(default_factory=dict)
    links: dict[str, LinkConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _links_name_known_connections(self) -> Config:
        for name, link in self.links.items():
            for side in ("internal", "client"):
                conn = getattr(link, side).connection
                if conn not in self.connections:
                    known = ", ".join(sorted(self.connections)) or "none defined"
                    raise ValueError(f"links.{name}.{side}.connection names {conn!r}, which is not under connections ({known})")
        return self
