"""Helpers for driving the CLI: a runner, config files, and in-memory tools a config can name."""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.core.ports import Connector, NewTask
from connectors.emulation.sandbox import USERS
from connectors.memory import world_named
from connectors.memory.sandbox import MemorySandbox

_worlds = itertools.count(1)


@dataclass
class MemoryTool:
    """A named memory world (``base_url: memory://<name>``) with the sandbox users."""

    sandbox: MemorySandbox

    @property
    def base_url(self) -> str:
        return self.sandbox.world.base_url

    def connection(self, name: str, token: str = USERS["bridge"].token) -> str:
        return f"  {name}:\n    kind: memory\n    base_url: {self.base_url}\n    token: {token}\n"

    def writes(self) -> int:
        return len(self.sandbox.world.writes())

    def person(self, who: str = "human") -> Connector:
        return self.sandbox.connector(who)  # type: ignore[arg-type]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "240"})  # rich folds tables to the terminal width


@pytest.fixture
def memory_tool() -> MemoryTool:
    return MemoryTool(MemorySandbox(world_named(f"cli-test-{next(_worlds)}")))


def agency_project(tool: MemoryTool, shared: int = 4, hidden: int = 1) -> str:
    """A project with an unlocked "Design" holding ``shared`` tasks and a locked "Build" holding ``hidden``."""
    project = tool.sandbox.create_project("Acme website", ["Design", "Build"])
    anna = tool.person()
    sections = {s.name: s.id for s in anna.pull(project).snapshot.sections.values()}
    for n in range(shared):
        anna.create_task(project, NewTask(title=f"Shared task {n}", section_id=sections["Design"]))
    for n in range(hidden):
        anna.create_task(project, NewTask(title=f"SECRET internal task {n}", section_id=sections["Build"]))
    return project


def link_yaml(name: str, internal: tuple[str, str], client: tuple[str, str]) -> str:
    return textwrap.dedent(f"""\
      {name}:
        internal: {{connection: {internal[0]}, project: "{internal[1]}"}}
        client: {{connection: {client[0]}, project: "{client[1]}"}}
        mirror:
          sections:
            Design: {{access: unlocked}}
    """)


def write_config(folder: Path, connections: str, links: str) -> Path:
    path = folder / "pm-bridge.yaml"
    indented_links = textwrap.indent(links, "  ")
    path.write_text(f"state: sqlite:///state.db\nconnections:\n{connections}links:\n{indented_links}")
    return path


def lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]

