"""A GitHub sandbox: the three well-known users, and repositories as projects."""

from __future__ import annotations

import re

from bridge.clock import Clock
from bridge.config.connection import ToolKind
from connectors.emulation.sandbox import Sandbox, SandboxUser
from connectors.github.emulator.server import GithubEmulator

OWNER = "agency"
SECTION_PREFIX = "status: "


class GithubSandbox(Sandbox):
    kind: ToolKind = "github"
    emulator: GithubEmulator

    def __init__(self, emulator: GithubEmulator | None = None, clock: Clock | None = None) -> None:
        super().__init__(emulator or GithubEmulator(clock=clock), clock)

    def add_user(self, user: SandboxUser) -> str:
        self.emulator.add_user(user.username, user.token, name=user.name, email=user.email)
        return user.username

    def create_project(self, name: str, sections: list[str] | None = None) -> str:
        """Create repository ``agency/<slug>``, every sandbox user a collaborator, one label per section."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "project"
        candidate, n = slug, 2
        while f"{OWNER}/{candidate}".casefold() in self.emulator.repos:
            candidate, n = f"{slug}-{n}", n + 1
        repo = self.emulator.create_repo(OWNER, candidate, collaborators=list(self.user_ids.values()), description=name)
        for section in sections or []:
            self.emulator.add_label(repo, SECTION_PREFIX + section)
        return repo.full_name
