"""The command line on in-memory tools: exit codes, messages, dry runs, the guard, broken links, emulate."""

from __future__ import annotations

import io
import types
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import bridge.cli.app as cli
import bridge.cli.status as status_cli
from bridge.cli.app import app
from bridge.clock import VirtualClock
from bridge.core.ports import NewTask, WebhookRequest, WebhookVerdict
from bridge.demo.emulate import prepare, print_instructions
from connectors import trello
from connectors.emulation.sandbox import USERS
from connectors.emulation.webhooks import to_receiver
from connectors.memory import world_named
from connectors.memory.sandbox import MemorySandbox
from tests.cli.conftest import MemoryTool, _worlds, agency_project, lines, link_yaml, write_config


@pytest.fixture
def client_tool() -> MemoryTool:
    return MemoryTool(MemorySandbox(world_named(f"cli-client-{next(_worlds)}")))


def one_link(tmp_path: Path, agency: MemoryTool, client: MemoryTool, shared: int = 4) -> tuple[Path, str, str]:
    internal = agency_project(agency, shared=shared)
    board = client.sandbox.create_project("Acme x Agency", [])
    config = write_config(
        tmp_path,
        agency.connection("agency") + client.connection("client"),
        link_yaml("acme", ("agency", internal), ("client", board)),
    )
    return config, internal, board


def client_titles(client: MemoryTool, board: str) -> set[str]:
    return {t.title for t in client.person("client").pull(board).snapshot.tasks.values()}


def test_sync_mirrors_then_status_reports_the_run(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool
) -> None:
    config, _, board = one_link(tmp_path, memory_tool, client_tool)
    result = runner.invoke(app, ["sync", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "✓ acme: ok" in result.output and "wrote client" in result.output
    assert client_titles(client_tool, board) == {f"Shared task {n}" for n in range(4)}
    assert (tmp_path / "state.db").exists()  # relative to the config file, not the working folder
    again = runner.invoke(app, ["sync", "-c", str(config)])
    assert again.exit_code == 0 and "wrote client 0, internal 0" in again.output
    status = runner.invoke(app, ["status", "-c", str(config)])
    assert status.exit_code == 0, status.output
    assert "acme" in status.output and "ok" in status.output and "No open conflicts." in status.output


def test_dry_run_prints_the_plan_per_side_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool
) -> None:
    config, _, board = one_link(tmp_path, memory_tool, client_tool)
    before = (memory_tool.writes(), client_tool.writes())
    result = runner.invoke(app, ["sync", "--dry-run", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert (memory_tool.writes(), client_tool.writes()) == before
    assert client_titles(client_tool, board) == set()
    out = result.output
    assert "dry run: nothing was written" in out
    assert "would write client 6, internal 0" in out
    assert "client side: 6 creates" in out  # the "Design" and "Approved" sections and four tasks
    assert "+ task 'Shared task 0'" in out and "+ section 'Design'" in out and "+ section 'Approved'" in out
    assert "internal side: nothing to do" in out
    assert "SECRET" not in out


def test_guard_stops_mass_removal_with_exit_3_until_confirmed(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool
) -> None:
    config, internal, board = one_link(tmp_path, memory_tool, client_tool)
    assert runner.invoke(app, ["sync", "-c", str(config)]).exit_code == 0
    anna = memory_tool.person()
    snapshot = anna.pull(internal).snapshot
    build = next(s.id for s in snapshot.sections.values() if s.name == "Build")
    for task in [t for t in snapshot.tasks.values() if t.title.startswith("Shared")][:3]:
        anna.update_task(internal, task, {"section_id": build})
    guarded = runner.invoke(app, ["sync", "-c", str(config)])
    assert guarded.exit_code == 3, guarded.output
    assert "--confirm-removals" in guarded.output and "nothing was changed" in guarded.output
    assert len(client_titles(client_tool, board)) == 4
    confirmed = runner.invoke(app, ["sync", "-c", str(config), "--confirm-removals"])
    assert confirmed.exit_code == 0, confirmed.output
    assert client_titles(client_tool, board) == {"Shared task 3"}


def test_a_connection_that_cannot_be_built_fails_only_its_links(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool
) -> None:
    internal = agency_project(memory_tool)
    board = client_tool.sandbox.create_project("Acme x Agency", [])
    broken = "  broken:\n    kind: memory\n    base_url: 'memory://'\n    token: whatever\n"
    links = link_yaml("good", ("agency", internal), ("client", board)) + link_yaml("bad", ("agency", internal), ("broken", board))
    config = write_config(tmp_path, memory_tool.connection("agency") + client_tool.connection("client") + broken, links)
    result = runner.invoke(app, ["sync", "-c", str(config)])
    assert result.exit_code == 1, result.output
    assert "✓ good: ok" in result.output
    assert "✗ bad: failed" in result.output and "connection 'broken'" in result.output
    assert len(client_titles(client_tool, board)) == 4
    status = runner.invoke(app, ["status", "-c", str(config)])
    assert "failed" in status.output and "connection 'broken'" in status.output


def test_no_config_file_says_how_to_create_one(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PM_BRIDGE_CONFIG", raising=False)
    for command in ("sync", "status", "check"):
        result = runner.invoke(app, [command])
        assert result.exit_code == 2, result.output
        assert lines(result.output)[0].startswith("error: no config file given")
        assert "cp config.example.yaml pm-bridge.yaml" in result.output
        assert "Traceback" not in result.output


def test_an_invalid_config_is_one_red_line_with_file_and_key_path(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "pm-bridge.yaml"
    config.write_text(
        "connections:\n  a: {kind: asana, token: tok-1234567890}\n"
        "links:\n  x:\n    internal: {connection: a, project: '1'}\n"
        "    client: {connection: a, project: '2'}\n    removal: shred\n"
    )
    result = runner.invoke(app, ["sync", "-c", str(config)])
    assert result.exit_code == 2
    assert lines(result.output) == [f"error: {config}: links.x.removal: expected one of 'archive' or 'delete', got 'shred'"]
    assert "tok-1234567890" not in result.output


def test_unknown_link_name_lists_the_known_ones(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool
) -> None:
    config, _, _ = one_link(tmp_path, memory_tool, client_tool)
    result = runner.invoke(app, ["sync", "-c", str(config), "--link", "acme", "--link", "nope"])
    assert result.exit_code == 2
    assert "no link named 'nope'" in result.output and "links: acme" in result.output
    assert client_tool.writes() == 0


def test_unexpected_errors_are_short_unless_debug(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_: Any) -> None:
        raise RuntimeError("kaboom in the loader")

    monkeypatch.setattr(status_cli, "load_config", boom)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "unexpected error: RuntimeError: kaboom in the loader" in result.output
    assert "Traceback" not in result.output and "--debug" in result.output
    debug = runner.invoke(app, ["--debug", "status"])
    assert debug.exit_code == 1 and "Traceback" in debug.output


def test_check_reports_each_side_and_a_bad_token_without_showing_it(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool
) -> None:
    internal = agency_project(memory_tool)
    board = client_tool.sandbox.create_project("Acme x Agency", [])
    connections = memory_tool.connection("agency") + client_tool.connection("client", token="tok-revoked-55555")
    config = write_config(tmp_path, connections, link_yaml("acme", ("agency", internal), ("client", board)))
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 2, result.output
    assert f"✓ acme internal (agency, project {internal}): signed in as pm-bridge, project 'Acme website'" in result.output
    assert "✗ acme client (client" in result.output
    assert "tok-revoked-55555" not in result.output and "Traceback" not in result.output


def test_emulate_prints_base_url_tokens_and_seeded_projects(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[tuple[Any, str, int]] = []
    monkeypatch.setattr("connectors.emulation.serve.serve", lambda emulator, host, port: served.append((emulator, host, port)))
    monkeypatch.setattr(cli, "_port_free", lambda host, port: True)
    result = runner.invoke(app, ["emulate", "asana", "--port", "18701", "--seed"])
    assert result.exit_code == 0, result.output
    assert "base_url: http://127.0.0.1:18701/api/1.0" in result.output
    for user in USERS.values():
        assert user.token in result.output
    assert "Acme website (agency project, seeded by Anna)" in result.output
    assert "Acme x Agency (empty client project)" in result.output
    ((emulator, host, port),) = served
    assert (host, port) == ("127.0.0.1", 18701)
    created = [r for r in emulator.requests if r.method == "POST" and r.path == "/tasks"]
    assert len(created) >= 5  # Anna's seeded tasks went through the emulator's API


def test_emulate_trello_prints_the_api_key_too() -> None:
    rehearsal = prepare("trello", "127.0.0.1", 18702, seed=True, clock=VirtualClock())
    buffer = io.StringIO()
    print_instructions(Console(file=buffer, width=200), rehearsal)
    text = buffer.getvalue()
    assert rehearsal.base_url == "http://127.0.0.1:18702/1"
    assert "key: key-sandbox" in text and f"token: {USERS['bridge'].token}" in text
    assert len(rehearsal.projects) == 2


def _printed_config(text: str) -> dict[str, Any]:
    """The config lines ``emulate`` prints, parsed: they must be copyable as they are."""
    start = text.index("connections:")
    return dict(yaml.safe_load(text[start : text.index("Press Ctrl+C")]))


def test_emulate_trello_prints_the_app_secret_its_webhooks_are_signed_with() -> None:
    rehearsal = prepare("trello", "127.0.0.1", 18702, seed=False, clock=VirtualClock())
    buffer = io.StringIO()
    print_instructions(Console(file=buffer, width=200), rehearsal)
    connection = _printed_config(buffer.getvalue())["connections"]["trello-local"]
    secret = connection["webhook_secret"]
    assert f"App secret (signs webhook deliveries): {secret}" in buffer.getvalue()
    # The printed secret is the one that verifies a delivery the emulator signs for the printed key.
    verdicts: list[WebhookVerdict] = []

    def receive(request: WebhookRequest) -> WebhookVerdict:
        verdicts.append(trello.webhooks.receive(request, secret))
        return verdicts[-1]

    rehearsal.emulator.outbox.use(to_receiver(receive))
    board = rehearsal.sandbox.create_project("Acme x Agency", ["To do"])
    bridge = rehearsal.sandbox.connector("bridge")
    assert connection["key"] == "key-sandbox"
    bridge.register_webhook(board, "https://bridge.test/hooks/acme/client/tok", "tok")  # type: ignore[attr-defined]
    rehearsal.sandbox.connector("human").create_task(board, NewTask(title="Client asks for a logo"))
    assert [a.status for a in rehearsal.emulator.deliver_pending()] == [200]
    assert verdicts[-1].trigger


def test_emulate_asana_prints_no_app_secret() -> None:
    buffer = io.StringIO()
    print_instructions(Console(file=buffer, width=200), prepare("asana", "127.0.0.1", 18701, seed=False, clock=VirtualClock()))
    connection = _printed_config(buffer.getvalue())["connections"]["asana-local"]
    assert set(connection) == {"kind", "base_url", "token"} and "App secret" not in buffer.getvalue()


def test_emulate_refuses_a_busy_port_and_an_unavailable_tool(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_port_free", lambda host, port: False)
    busy = runner.invoke(app, ["emulate", "asana", "--port", "9"])
    assert busy.exit_code == 2 and "port 9 on 127.0.0.1 is already in use" in busy.output
    monkeypatch.setattr(cli, "_port_free", lambda host, port: True)
    monkeypatch.setattr("connectors.emulation.serve.serve", lambda *a: pytest.fail("must not serve"))
    # A tool package without an emulator yet (as github and basecamp were while being written).
    monkeypatch.setattr("bridge.demo.emulate.tool_module", lambda kind: types.ModuleType(f"connectors.{kind}"))
    missing = runner.invoke(app, ["emulate", "basecamp"])
    assert missing.exit_code == 2
    assert lines(missing.output)[0] == "error: the basecamp emulator is not available in this version"


def test_sync_prints_a_notice_once_and_status_lists_it_until_it_is_gone(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bridge.sync.engine as engine_module
    from bridge.core.ops import Notice

    config, _, _ = one_link(tmp_path, memory_tool, client_tool)
    real_mirror, found = engine_module.mirror, [Notice(code="marker-near-miss", key="x", message="comment says #Client")]

    def noticing(*args: object, **kwargs: object) -> object:
        view = real_mirror(*args, **kwargs)  # type: ignore[arg-type]
        view.notices = list(found)
        return view

    monkeypatch.setattr(engine_module, "mirror", noticing)
    first = runner.invoke(app, ["sync", "-c", str(config)])
    assert first.exit_code == 0 and first.output.count("comment says #Client") == 1, first.output
    second = runner.invoke(app, ["sync", "-c", str(config)])
    assert "#Client" not in second.output
    assert "comment says #Client" in runner.invoke(app, ["status", "-c", str(config)]).output
    found.clear()
    runner.invoke(app, ["sync", "-c", str(config)])
    assert "#Client" not in runner.invoke(app, ["status", "-c", str(config)]).output


def test_dry_run_shows_before_and_after_of_each_changed_field_in_each_sides_own_terms(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool, client_tool: MemoryTool
) -> None:
    config, internal, board = one_link(tmp_path, memory_tool, client_tool)
    assert runner.invoke(app, ["sync", "-c", str(config)]).exit_code == 0
    anna = memory_tool.person()
    task = next(t for t in anna.pull(internal).snapshot.tasks.values() if t.title == "Shared task 1")
    anna.update_task(internal, task, {"title": "Shared task one", "notes": "Visible\n---internal---\nSECRET margin"})
    card = next(t for t in client_tool.person("client").pull(board).snapshot.tasks.values() if t.title == "Shared task 2")
    client_tool.person("client").update_task(board, card, {"done": True})
    result = runner.invoke(app, ["sync", "--dry-run", "-c", str(config)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "title: 'Shared task 1' → 'Shared task one'" in out
    assert "notes: " in out and "→ 'Visible'" in out
    assert "done: False → True" in out  # the client's tick, going to the internal task
    assert "SECRET" not in out  # below the cut: never on a client line, and not otherwise changed
