"""``pm-bridge migrate`` on in-memory tools: output, exit codes, one-line errors, --keep-linked then sync."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.core.ports import NewTask
from connectors.memory import world_named
from connectors.memory.sandbox import MemorySandbox
from tests.cli.conftest import MemoryTool, _worlds, agency_project, lines, link_yaml, write_config

Setup = tuple[Path, MemoryTool, str, MemoryTool, str]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "240"})


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    agency = MemoryTool(MemorySandbox(world_named(f"migrate-a-{next(_worlds)}")))
    client = MemoryTool(MemorySandbox(world_named(f"migrate-c-{next(_worlds)}")))
    project = agency_project(agency, shared=3, hidden=1)
    board = client.sandbox.create_project("Target", [])
    config = write_config(tmp_path, agency.connection("agency") + client.connection("client"),
                          link_yaml("acme", ("agency", project), ("client", board)))
    return config, agency, project, client, board


def titles(tool: MemoryTool, project: str) -> list[str]:
    return sorted(t.title for t in tool.person("client").pull(project).snapshot.tasks.values())


def test_migrate_copies_reports_and_a_rerun_copies_nothing(runner: CliRunner, setup: Setup) -> None:
    config, _, project, client, board = setup
    args = ["migrate", "-c", str(config), "--from", f"agency:{project}", "--to", f"client:{board}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "✓ migrated" in result.output and "copied now: 2 sections, 4 tasks" in result.output
    assert "6/6" in result.output  # the progress bar: 2 sections and 4 tasks written, all done
    assert len(titles(client, board)) == 4
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "copied now: nothing" in again.output
    assert "already there (an earlier run): 2 sections, 4 tasks" in again.output
    assert len(titles(client, board)) == 4


def test_dry_run_and_only_shared(runner: CliRunner, setup: Setup) -> None:
    config, _, project, client, board = setup
    result = runner.invoke(app, ["migrate", "-c", str(config), "--from", f"agency:{project}", "--to", f"client:{board}",
                                 "--dry-run", "--link", "acme"])
    assert result.exit_code == 0, result.output
    assert "nothing was written" in result.output and "would create: 1 section, 3 tasks" in result.output
    assert "+ task 'Shared task 0'" in result.output and "SECRET" not in result.output.split("not carried")[0]
    assert "tasks (1): the filter does not share them" in result.output
    assert client.writes() == 0


def test_keep_linked_then_sync_writes_nothing(runner: CliRunner, setup: Setup) -> None:
    config, _, project, client, board = setup
    result = runner.invoke(app, ["migrate", "-c", str(config), "--from", f"agency:{project}", "--to", f"client:{board}",
                                 "--keep-linked", "acme"])
    assert result.exit_code == 0, result.output
    assert "pm-bridge sync --link acme" in result.output
    writes = client.writes()
    synced = runner.invoke(app, ["sync", "-c", str(config), "--link", "acme"])
    assert synced.exit_code == 0, synced.output
    assert "wrote client 0, internal 0" in synced.output
    assert client.writes() == writes


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "agency", "--to", "client:B"], "error: --from 'agency' is not CONNECTION:PROJECT"),
    (["--from", "nope:1", "--to", "client:B"], "error: --from 'nope:1': no connection named 'nope' in the config"),
    (["--from", "memory:1", "--to", "client:B"], "error: --from 'memory:1': several connections are memory (agency, client)"),
    (["--from", "asana:1", "--to", "client:B"], "error: --from 'asana:1': no connection of kind asana in the config"),
    (["--from", "agency:P", "--to", "client:B", "--link", "acme", "--only-shared"],
     "error: --link and --only-shared both choose a filter"),
    (["--from", "agency:P", "--to", "client:B", "--keep-linked", "nolink"], "error: --keep-linked 'nolink': no link"),
    (["--from", "agency:P", "--to", "client:B", "--keep-linked", "acme"], "error: --keep-linked 'acme': the link joins"),
    (["--from", "agency:P", "--to", "agency:P"], "error: --from and --to name the same project"),
    (["--from", "agency:missing", "--to", "client:B"], "error: the source project 'missing' was not found"),
])
def test_user_errors_are_one_readable_line(runner: CliRunner, setup: Setup, args: list[str], message: str) -> None:
    config = setup[0]
    result = runner.invoke(app, ["migrate", "-c", str(config), *args])
    assert result.exit_code == 2, result.output
    out = lines(result.output)
    assert out[0].startswith(message), out
    assert len([line for line in out if line.startswith("error:")]) == 1
    assert "Traceback" not in result.output and "tok-" not in result.output


def test_fields_chooses_the_custom_fields_and_the_report_names_the_rest(runner: CliRunner, setup: Setup) -> None:
    config, agency, project, client, board = setup
    anna = agency.person()
    design = next(s.id for s in anna.pull(project).snapshot.sections.values() if s.name == "Design")
    anna.create_task(project, NewTask(title="Priced task", section_id=design,
                                      custom_fields={"Priority": "High", "Budget": "3"}))
    args = ["migrate", "-c", str(config), "--from", f"agency:{project}", "--to", f"client:{board}", "--fields", "priority"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "custom field 'Budget' (1): not chosen (carry it with --fields)" in result.output
    copied = next(t for t in client.person("client").pull(board).snapshot.tasks.values() if t.title == "Priced task")
    assert copied.custom_fields == {"Priority": "High"}
    # Without --fields, everything: the rerun adds Budget to the task it copied before.
    again = runner.invoke(app, args[:-2])
    assert again.exit_code == 0 and "custom field" not in again.output, again.output
    copied = next(t for t in client.person("client").pull(board).snapshot.tasks.values() if t.title == "Priced task")
    assert copied.custom_fields == {"Priority": "High", "Budget": "3"}
