"""A ready-made world on one emulator: known users, projects, and connectors into it.

Tests, the demo, benchmarks and ``pm-bridge emulate`` all build their data
through a sandbox so that every tool is driven the same way. Edits "by a
person" go through a connector holding that person's token, so the emulator
sees them exactly as it would see a human's edit through the real API.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from bridge.clock import Clock
from bridge.config.connection import ConnectionConfig, ToolKind
from bridge.core.fields import FieldKind
from bridge.core.ports import Connector
from connectors.emulation.toolkit import Emulator

Who = Literal["bridge", "human", "client"]


@dataclass(frozen=True)
class SandboxUser:
    who: Who
    name: str
    email: str
    username: str
    token: str


USERS: dict[Who, SandboxUser] = {
    "bridge": SandboxUser("bridge", "pm-bridge", "bridge@agency.example", "pmbridge", "tok-bridge-0001"),
    "human": SandboxUser("human", "Anna Agency", "anna@agency.example", "anna", "tok-anna-0002"),
    "client": SandboxUser("client", "Carla Client", "carla@client.example", "carla", "tok-carla-0003"),
}


class Sandbox(ABC):
    """Subclasses seed :data:`USERS` into their emulator and create projects."""

    kind: ToolKind

    def __init__(self, emulator: Emulator, clock: Clock | None = None) -> None:
        self.emulator = emulator
        self.clock = clock
        self.user_ids: dict[Who, str] = {}
        for user in USERS.values():
            self.user_ids[user.who] = self.add_user(user)

    @abstractmethod
    def add_user(self, user: SandboxUser) -> str:
        """Register a user and their token with the emulator; return the user's id."""

    @abstractmethod
    def create_project(self, name: str, sections: list[str] | None = None) -> str:
        """Create a project every sandbox user can reach; return the id a link config names."""

    def setup_access_field(self, project_id: str, name: str = "Client access") -> None:  # noqa: B027 - optional hook
        """Create the enum field the mirror filter reads; a no-op for tools without custom fields."""

    def add_custom_field(  # noqa: B027 - optional hook
        self, project_id: str, name: str, kind: FieldKind, options: tuple[str, ...] = ()
    ) -> None:
        """Define a custom field on the project (docs/custom-fields.md); a no-op where any name is a field."""

    def connection(self, who: Who = "bridge") -> ConnectionConfig:
        return ConnectionConfig(
            kind=self.kind, base_url=self.emulator.base_url, token=SecretStr(USERS[who].token), **self.extra_credentials(who)
        )

    def extra_credentials(self, who: Who) -> dict[str, object]:
        return {}

    def connector(self, who: Who = "bridge", name: str | None = None) -> Connector:
        from connectors.registry import build

        return build(name or f"{self.kind}-{who}", self.connection(who), transport=self.emulator.transport(), clock=self.clock)
