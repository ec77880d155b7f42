"""What ``pm-bridge emulate --seed`` prints is a working config: written to a file as it stands,
``pm-bridge check`` passes against the running emulator, for every tool."""

from __future__ import annotations

import io
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.cli.check import basecamp_agent_problem
from bridge.demo.emulate import Rehearsal, prepare, print_instructions
from connectors.emulation.sandbox import USERS
from connectors.emulation.serve import asgi_app
from connectors.github.emulator.server import GithubEmulator
from tests.conftest import StartServer

Served = Callable[[str], tuple[Rehearsal, str]]


@pytest.fixture
def emulated(asgi_servers: StartServer) -> Iterator[Served]:
    """``emulated(kind)``: a seeded emulator served on a free port, and the config block ``emulate`` prints for it."""

    def serve(kind: str) -> tuple[Rehearsal, str]:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        rehearsal = prepare(kind, "127.0.0.1", listener.getsockname()[1], seed=True)
        rehearsal.emulator.limit = None  # only the bridge's own pacing is under test elsewhere
        asgi_servers(asgi_app(rehearsal.emulator), listener)
        buffer = io.StringIO()
        print_instructions(Console(file=buffer, width=200), rehearsal)
        text = buffer.getvalue()
        start = text.index("\n", text.index("Put this in your config")) + 1
        return rehearsal, text[start : text.index("Press Ctrl+C")]

    yield serve


def _check(runner: CliRunner, folder: Path, block: str) -> tuple[int, str]:
    config = folder / "pm-bridge.yaml"
    config.write_text("state: sqlite:///state.db\n" + block)
    result = runner.invoke(app, ["check", "-c", str(config)])
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["asana", "trello", "github", "basecamp"])
def test_the_printed_block_passes_check_against_the_live_emulator(
    runner: CliRunner, tmp_path: Path, emulated: Served, kind: str
) -> None:
    rehearsal, block = emulated(kind)
    parsed = yaml.safe_load(block)
    assert set(parsed) == {"connections", "links"}
    code, output = _check(runner, tmp_path, block)
    assert code == 0, output
    for side in ("internal", "client"):
        assert f"✓ rehearsal {side} ({kind}-local" in output
    assert "!" not in output  # no warning either: the block is complete as printed
    if kind == "basecamp":
        connection = parsed["connections"]["basecamp-local"]
        assert connection["account_id"] and "(ops@acme-agency.example)" in connection["user_agent"]
        assert "YOUR contact" in block


def test_check_warns_when_a_basecamp_connection_names_no_real_contact(
    runner: CliRunner, tmp_path: Path, emulated: Served
) -> None:
    _, block = emulated("basecamp")
    without = "\n".join(line for line in block.splitlines() if "user_agent:" not in line)
    code, output = _check(runner, tmp_path, without)
    assert code == 0, output  # a warning, not a failure: the requests still go out
    assert "! connections.basecamp-local.user_agent: not set, so Basecamp is sent a placeholder contact" in output
    assert basecamp_agent_problem("pm-bridge (ops@example.invalid)", real_api=False)
    assert basecamp_agent_problem("Acme sync", real_api=True)  # no contact at all
    assert basecamp_agent_problem("Acme sync (ops@acme-agency.example)", real_api=True)  # the example, kept as is
    assert basecamp_agent_problem("Acme sync (ops@acme.co.uk)", real_api=True) is None
    assert basecamp_agent_problem("Freshbooks (http://freshbooks.com/contact.php)", real_api=True) is None


def test_check_fails_a_github_repository_whose_issues_are_disabled(
    runner: CliRunner, tmp_path: Path, emulated: Served
) -> None:
    rehearsal, block = emulated("github")
    client = yaml.safe_load(block)["links"]["rehearsal"]["client"]["project"]
    emulator = rehearsal.emulator
    assert isinstance(emulator, GithubEmulator)
    emulator.repos[client.casefold()].has_issues = False
    headers = {"Authorization": f"Bearer {USERS['bridge'].token}"}
    # The emulator answers as GitHub does: the repository says so, and its issue endpoints are gone.
    assert httpx.get(f"{rehearsal.base_url}/repos/{client}", headers=headers).json()["has_issues"] is False
    for path in ("issues", "issues/comments", "issues/1"):
        gone = httpx.get(f"{rehearsal.base_url}/repos/{client}/{path}", headers=headers)
        assert gone.status_code == 410 and gone.json()["message"] == "Issues are disabled for this repo"
    code, output = _check(runner, tmp_path, block)
    assert code == 2, output
    assert f"✗ rehearsal client (github-local, project {client}): github: issues are disabled in {client}" in output
    assert "✓ rehearsal internal" in output
