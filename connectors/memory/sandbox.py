"""The memory tool's sandbox: the three well-known users and projects they all reach."""

from __future__ import annotations

from bridge.clock import Clock
from connectors.emulation.sandbox import USERS, Sandbox, SandboxUser, Who
from connectors.memory.connector import MemoryConnector
from connectors.memory.world import MemoryWorld


class MemorySandbox(Sandbox):
    kind = "memory"

    def __init__(self, emulator: MemoryWorld | None = None, clock: Clock | None = None) -> None:
        self.world = emulator or MemoryWorld(clock=clock)
        # The world plays the emulator's part (base_url, transport) without any HTTP.
        super().__init__(self.world, clock)  # type: ignore[arg-type]

    def add_user(self, user: SandboxUser) -> str:
        return self.world.add_user(user.name, user.email, user.username, token=user.token)

    def create_project(self, name: str, sections: list[str] | None = None) -> str:
        return self.world.create_project(name, sections)

    def memory_connector(self, who: Who = "bridge", name: str | None = None) -> MemoryConnector:
        """The same connector :meth:`connector` builds, typed for tests that read its ``stats``."""
        return MemoryConnector(name or f"memory-{who}", self.world, self.world.user_for_token(USERS[who].token))
