"""The Trello sandbox: the three well-known users on one API key, and boards they all belong to."""

from __future__ import annotations

from pydantic import SecretStr

from bridge.clock import Clock
from bridge.config.connection import ToolKind
from bridge.core.fields import FieldKind
from connectors.emulation.sandbox import Sandbox, SandboxUser, Who
from connectors.trello.emulator import custom_fields
from connectors.trello.emulator.server import TrelloEmulator

SANDBOX_KEY = "key-sandbox"


class TrelloSandbox(Sandbox):
    kind: ToolKind = "trello"

    def __init__(self, emulator: TrelloEmulator | None = None, clock: Clock | None = None) -> None:
        self.trello = emulator or TrelloEmulator(clock=clock)
        self.trello.add_key(SANDBOX_KEY)
        super().__init__(self.trello, clock)

    def add_user(self, user: SandboxUser) -> str:
        return self.trello.add_member(user.name, user.username, user.email, user.token)

    def create_project(self, name: str, sections: list[str] | None = None) -> str:
        members = [self.user_ids[who] for who in ("bridge", "human", "client") if who in self.user_ids]
        return self.trello.add_board(name, members, sections if sections is not None else ["To do", "Doing", "Done"])

    def add_custom_field(self, project_id: str, name: str, kind: FieldKind, options: tuple[str, ...] = ()) -> None:
        # Trello's "list" is an enum; it has no multi-select or people field (docs/custom-fields.md).
        trello_kind = {"enum": "list"}.get(kind, kind)
        with self.trello.lock:
            custom_fields.add_field(self.trello.world, project_id, name, trello_kind, options)

    def extra_credentials(self, who: Who) -> dict[str, object]:
        # webhook_secret: the OAuth secret the emulator signs this key's webhook deliveries with.
        return {"key": SecretStr(SANDBOX_KEY), "webhook_secret": SecretStr(self.trello.webhooks.app_secret(SANDBOX_KEY))}
