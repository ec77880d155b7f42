"""End to end over real (loopback) HTTP: Asana and Trello emulators served by connectors/emulation/serve.py.

``pm-bridge emulate`` serves emulators the same way; here they run in threads
so the CLI can be pointed at them with an ordinary config file.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.core.ports import NewTask
from connectors.asana import Sandbox as AsanaSandbox
from connectors.emulation.sandbox import USERS, Sandbox
from connectors.emulation.serve import asgi_app
from connectors.trello import SANDBOX_KEY
from connectors.trello import Sandbox as TrelloSandbox
from tests.cli.conftest import lines

BRIDGE = USERS["bridge"].token


@dataclass
class Served:
    sandbox: Sandbox
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        return self.sandbox.emulator.base_url

    def writes(self) -> int:
        return len(self.sandbox.emulator.writes())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(sandbox: Sandbox) -> Served:
    port = _free_port()
    prefix = urllib.parse.urlsplit(sandbox.emulator.base_url).path
    sandbox.emulator.base_url = f"http://127.0.0.1:{port}{prefix}"
    server = uvicorn.Server(uvicorn.Config(asgi_app(sandbox.emulator), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the emulator's HTTP server did not start")
        time.sleep(0.01)
    return Served(sandbox, server, thread)


@pytest.fixture(scope="module")
def tools() -> Iterator[tuple[Served, Served]]:
    asana, trello = _serve(AsanaSandbox()), _serve(TrelloSandbox())
    yield asana, trello
    for served in (asana, trello):
        served.server.should_exit = True
        served.thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def seed(asana: Served, trello: Served) -> tuple[str, str]:
    sandbox = asana.sandbox
    project = sandbox.create_project("Acme website", ["Design", "Build"])
    anna = sandbox.connector("human")
    sections = {s.name: s.id for s in anna.pull(project).snapshot.sections.values()}
    anna.create_task(project, NewTask(title="Homepage wireframes", section_id=sections["Design"]))
    anna.create_task(project, NewTask(title="Rotate SECRET staging keys", section_id=sections["Build"]))
    return project, trello.sandbox.create_project("Acme x Agency", [])


def config_file(
    folder: Path, asana: Served, trello: Served, links: dict[str, tuple[str, str]], trello_token: str = BRIDGE
) -> Path:
    body = [
        "state: sqlite:///state.db",
        "connections:",
        f"  agency: {{kind: asana, base_url: '{asana.base_url}', token: '${{AGENCY_TOKEN}}'}}",
        f"  client: {{kind: trello, base_url: '{trello.base_url}', key: {SANDBOX_KEY}, token: '{trello_token}'}}",
        "links:",
    ]
    for name, (internal, board) in links.items():
        body += [
            f"  {name}:",
            f"    internal: {{connection: agency, project: '{internal}'}}",
            f"    client: {{connection: client, project: '{board}'}}",
            "    mirror: {sections: {Design: {access: unlocked}}, access: {type: custom_field}}",
        ]
    path = folder / "pm-bridge.yaml"
    path.write_text("\n".join(body) + "\n")
    (folder / ".env").write_text(f"AGENCY_TOKEN={BRIDGE}\n")
    return path


def client_titles(trello: Served, board: str) -> set[str]:
    carla = trello.sandbox.connector("client")
    return {t.title for t in carla.pull(board).snapshot.tasks.values()}


def test_check_dry_run_sync_and_status_over_http(tools: tuple[Served, Served], tmp_path: Path, runner: CliRunner) -> None:
    asana, trello = tools
    internal, board = seed(asana, trello)
    config = config_file(tmp_path, asana, trello, {"acme": (internal, board)})
    checked = runner.invoke(app, ["check", "-c", str(config)])
    assert checked.exit_code == 0, checked.output
    assert "signed in as pm-bridge, project 'Acme website'" in checked.output
    assert "project 'Acme x Agency'" in checked.output

    before = (asana.writes(), trello.writes())
    planned = runner.invoke(app, ["sync", "--dry-run", "-c", str(config)])
    assert planned.exit_code == 0, planned.output
    assert "+ task 'Homepage wireframes'" in planned.output
    assert (asana.writes(), trello.writes()) == before  # a dry run writes nothing, anywhere
    assert client_titles(trello, board) == set()

    synced = runner.invoke(app, ["sync", "-c", str(config)])
    assert synced.exit_code == 0, synced.output
    assert client_titles(trello, board) == {"Homepage wireframes"}
    leaked = [r.text for r in trello.sandbox.emulator.requests if "SECRET" in r.text]
    assert leaked == []
    quiet = runner.invoke(app, ["sync", "-c", str(config)])
    assert quiet.exit_code == 0 and "wrote client 0, internal 0" in quiet.output

    status = runner.invoke(app, ["status", "-c", str(config)])
    assert status.exit_code == 0
    assert "acme" in status.output and "ok" in status.output
    for output in (checked.output, planned.output, synced.output, status.output):
        assert BRIDGE not in output and SANDBOX_KEY not in output


def test_a_bad_token_is_one_line_without_the_token(tools: tuple[Served, Served], tmp_path: Path, runner: CliRunner) -> None:
    asana, trello = tools
    internal, board = seed(asana, trello)
    bad = "tok-revoked-0042abcdef"
    config = config_file(tmp_path, asana, trello, {"acme": (internal, board)}, trello_token=bad)
    checked = runner.invoke(app, ["check", "-c", str(config)])
    assert checked.exit_code == 2, checked.output
    failures = [line for line in lines(checked.output) if line.startswith("✗")]
    assert len(failures) == 1 and "acme client" in failures[0] and "trello" in failures[0].lower()
    synced = runner.invoke(app, ["sync", "-c", str(config)])
    assert synced.exit_code == 1
    assert lines(synced.output)[0].startswith("✗ acme: failed")
    assert len(lines(synced.output)) == 2  # the status line and the cause
    for result in (checked, synced):
        assert bad not in result.output and "Traceback" not in result.output


def test_an_unknown_project_is_named_and_other_links_still_run(
    tools: tuple[Served, Served], tmp_path: Path, runner: CliRunner
) -> None:
    asana, trello = tools
    internal, board = seed(asana, trello)
    config = config_file(tmp_path, asana, trello, {"lost": (internal, "5f00000000000000000000aa"), "acme": (internal, board)})
    checked = runner.invoke(app, ["check", "-c", str(config), "--link", "lost"])
    assert checked.exit_code == 2
    assert "✗ lost client (client, project 5f00000000000000000000aa)" in checked.output
    assert "hint: check links.lost.client.project" in checked.output
    synced = runner.invoke(app, ["sync", "-c", str(config)])
    assert synced.exit_code == 1, synced.output
    assert "client project '5f00000000000000000000aa' of link 'lost' was not found" in synced.output
    assert "✓ acme: ok" in synced.output
    assert client_titles(trello, board) == {"Homepage wireframes"}


def test_check_names_a_mapped_field_a_project_lacks_with_its_fix(
    tools: tuple[Served, Served], tmp_path: Path, runner: CliRunner
) -> None:
    asana, trello = tools
    internal, board = seed(asana, trello)
    asana.sandbox.add_custom_field(internal, "Priority", "enum", ("High", "Low"))
    asana.sandbox.add_custom_field(internal, "Budget", "number")
    trello.sandbox.add_custom_field(board, "Priority", "enum", ("P1", "P3"))
    config = config_file(tmp_path, asana, trello, {"acme": (internal, board)})
    text = config.read_text().replace(
        "access: {type: custom_field}}",
        "access: {type: custom_field}, fields: {custom: {priority: Priority, Budget: Cost, Margin: Margin}}}",
    )
    config.write_text(text)
    checked = runner.invoke(app, ["check", "-c", str(config)])
    assert checked.exit_code == 2, checked.output  # a user error, like every other check problem
    out = lines(checked.output)
    client_cost = [line for line in out if "'Cost'" in line]
    assert client_cost == [
        "✗ link acme, client side: the field 'Cost' does not exist in the project (its fields: Priority); "
        "add it there or fix links.acme.mirror.fields.custom.Budget.to"
    ]
    assert [line for line in out if "internal side" in line and "'Margin'" in line][0].endswith(
        "fix links.acme.mirror.fields.custom.Margin"
    )
    # Names match in any case ("priority" is Asana's "Priority"); fields both projects hold are not named.
    assert not [line for line in out if "'priority'" in line or "'Budget'" in line]
    # The access field the project lacks is a warning, not an error.
    assert any(line.startswith("! link acme, internal side: the field 'Client access'") for line in out)


def test_migrate_copies_a_file_as_a_file_over_http(tools: tuple[Served, Served], tmp_path: Path, runner: CliRunner) -> None:
    """``pm-bridge migrate`` carries an uploaded file as a file with identical bytes (docs/files.md), and a
    rerun uploads nothing; the bytes stream through both served emulators (connectors/emulation/serve.py)."""
    import hashlib

    from bridge.core.ports import FileTransfer

    asana, trello = tools
    internal, board = seed(asana, trello)
    anna = asana.sandbox.connector("human")
    assert isinstance(anna, FileTransfer)
    task = next(t for t in anna.pull(internal).snapshot.tasks.values() if t.title == "Homepage wireframes")  # type: ignore[attr-defined]
    content = b"%PDF-1.7 " + bytes(range(256)) * 5000  # 1.2 MB: past the emulators' 1 MB spool threshold
    anna.upload_attachment(internal, task.id, "Wireframes.pdf", iter([content[:70000], content[70000:]]), len(content),
                           "application/pdf")
    config = config_file(tmp_path, asana, trello, {"acme": (internal, board)})  # the config needs a link; migrate ignores it
    args = ["migrate", "-c", str(config), "--from", f"agency:{internal}", "--to", f"client:{board}"]
    migrated = runner.invoke(app, args)
    assert migrated.exit_code == 0, migrated.output
    carla = trello.sandbox.connector("client")
    assert isinstance(carla, FileTransfer)
    [copy] = carla.pull(board).snapshot.attachments.values()  # type: ignore[attr-defined]
    assert (copy.name, copy.hosted, copy.size) == ("Wireframes.pdf", True, len(content))
    with carla.open_download(board, copy) as download:
        assert hashlib.sha256(b"".join(download.chunks)).digest() == hashlib.sha256(content).digest()
    writes = trello.writes()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "copied now: nothing" in again.output
    assert trello.writes() == writes
