"""``check`` opens the state store, and a store written by a newer pm-bridge is a user error everywhere."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.store import Store
from bridge.store.schema import VERSION_TABLE
from tests.cli.conftest import MemoryTool, agency_project, lines, link_yaml, write_config

NEWER = "9f9f9f9f9f9f"
NEWER_MESSAGE = f"this state store was written by a newer pm-bridge (revision {NEWER}); upgrade, or point `state:` elsewhere"


def _config(tmp_path: Path, tool: MemoryTool, state: str) -> Path:
    internal = agency_project(tool, shared=1, hidden=0)
    client = tool.sandbox.create_project("Acme x Agency", [])
    config = write_config(tmp_path, tool.connection("agency") + tool.connection("client"),
                          link_yaml("acme", ("agency", internal), ("client", client)))
    config.write_text(config.read_text().replace("state: sqlite:///state.db", f"state: {state}"))
    return config


def test_check_opens_the_state_store(runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool) -> None:
    result = runner.invoke(app, ["check", "-c", str(_config(tmp_path, memory_tool, "sqlite:///state.db"))])
    assert result.exit_code == 0, result.output
    assert f"✓ state sqlite:///{tmp_path / 'state.db'}: opened, schema up to date" in result.output


def test_check_says_the_sqlite_state_path_cannot_be_written(runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = runner.invoke(app, ["check", "-c", str(_config(tmp_path, memory_tool, "sqlite:///a-file/state.db"))])
    assert result.exit_code == 2, result.output
    assert any(line.startswith("✗ state: cannot open the state store sqlite:///") for line in lines(result.output))
    assert "✓ acme internal" in result.output  # the links are still checked


def test_check_says_postgresql_is_unreachable_without_showing_the_password(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool
) -> None:
    url = "postgresql+psycopg://bridge:pg-pass-77@127.0.0.1:1/bridge?connect_timeout=3"
    result = runner.invoke(app, ["check", "-c", str(_config(tmp_path, memory_tool, url))])
    assert result.exit_code == 2, result.output
    assert "✗ state: cannot open the state store postgresql+psycopg://bridge:***@127.0.0.1:1/bridge" in result.output
    assert "pg-pass-77" not in result.output


def test_a_store_from_a_newer_version_is_a_user_error_in_every_command(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool
) -> None:
    config = _config(tmp_path, memory_tool, "sqlite:///state.db")
    Store.open(f"sqlite:///{tmp_path / 'state.db'}").close()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = :newer"), {"newer": NEWER})
    engine.dispose()
    for command in (["sync"], ["sync", "--dry-run"], ["status"], ["check"]):
        result = runner.invoke(app, [*command, "-c", str(config)])
        assert result.exit_code == 2, (command, result.output)
        assert NEWER_MESSAGE in result.output, (command, result.output)
        assert "CommandError" not in result.output and "unexpected error" not in result.output
