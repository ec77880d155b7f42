"""The Basecamp sandbox: the three well-known people in one account, and projects they all belong to."""

from __future__ import annotations

from bridge.clock import Clock
from bridge.config.connection import ToolKind
from connectors.basecamp.emulator.server import BasecampEmulator
from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.sandbox import Sandbox, SandboxUser, Who

SANDBOX_USER_AGENT = "pm-bridge sandbox (ops@example.invalid)"


class BasecampSandbox(Sandbox):
    kind: ToolKind = "basecamp"

    def __init__(self, emulator: BasecampEmulator | None = None, clock: Clock | None = None) -> None:
        self.basecamp = emulator or BasecampEmulator(clock=clock)
        super().__init__(self.basecamp, clock)

    def add_user(self, user: SandboxUser) -> str:
        # Carla is a client: Basecamp keeps client users out of admin-only areas such as webhooks.
        return self.basecamp.add_person(user.name, user.email, user.token, client=user.who == "client")

    def create_project(self, name: str, sections: list[str] | None = None) -> str:
        people = [self.user_ids[who] for who in ("bridge", "human", "client") if who in self.user_ids]
        wanted = sections if sections is not None else ["To do", "Doing", "Done"]
        return self.basecamp.add_project(name, people, wanted, creator=self.user_ids["bridge"])

    def extra_credentials(self, who: Who) -> dict[str, object]:
        return {"account_id": ACCOUNT_ID, "user_agent": SANDBOX_USER_AGENT}
