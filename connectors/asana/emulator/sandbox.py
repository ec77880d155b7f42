"""A seeded Asana emulator for tests, the demo and ``pm-bridge emulate asana``."""

from __future__ import annotations

from typing import Any

from bridge.clock import Clock
from bridge.config.connection import ToolKind
from bridge.core.fields import FieldKind
from connectors.asana.emulator.server import AsanaEmulator
from connectors.emulation.sandbox import Sandbox, SandboxUser, Who

ACCESS_OPTIONS = ["none", "client", "automatic"]


class AsanaSandbox(Sandbox):
    kind: ToolKind = "asana"
    emulator: AsanaEmulator

    def __init__(self, emulator: AsanaEmulator | None = None, clock: Clock | None = None) -> None:
        super().__init__(emulator or AsanaEmulator(clock=clock), clock)

    def add_user(self, user: SandboxUser) -> str:
        with self.emulator.lock:
            return self.emulator.store.add_user(user.name, user.email, user.token).gid

    def create_project(self, name: str, sections: list[str] | None = None) -> str:
        with self.emulator.lock:
            return self.emulator.store.create_project(name, list(sections or [])).gid

    def setup_access_field(self, project_id: str, name: str = "Client access") -> None:
        with self.emulator.lock:
            store = self.emulator.store
            store.create_enum_field(store.project(project_id), name, ACCESS_OPTIONS, self.user_ids["human"])

    def add_custom_field(self, project_id: str, name: str, kind: FieldKind, options: tuple[str, ...] = ()) -> None:
        with self.emulator.lock:
            store = self.emulator.store
            store.create_enum_field(store.project(project_id), name, list(options), self.user_ids["human"], subtype=kind)

    def section_ids(self, project_id: str) -> dict[str, str]:
        """Section name -> gid, in project order."""
        with self.emulator.lock:
            store = self.emulator.store
            return {store.sections[gid].name: gid for gid in store.project(project_id).sections}

    def add_task(
        self,
        project_id: str,
        title: str,
        *,
        section_id: str | None = None,
        parent_id: str | None = None,
        who: Who = "human",
        **fields: Any,
    ) -> str:
        """Create a task as ``who`` would in Asana's UI (events and stories included); returns its gid."""
        data: dict[str, Any] = {"name": title, **fields}
        with self.emulator.lock:
            writes = self.emulator.task_writes
            store = self.emulator.store
            if parent_id:
                return writes.create(self.user_ids[who], data, parent=store.task(parent_id)).gid
            data["memberships"] = [{"project": project_id, "section": section_id}]
            return writes.create(self.user_ids[who], data).gid
