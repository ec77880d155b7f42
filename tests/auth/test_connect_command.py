"""`pm-bridge connect` from the command line: the browser's round trip through the local callback,
and the user errors (a personal-token connection, no key) as one line without a traceback."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from bridge.cli import connect as connect_cli
from bridge.cli.app import app
from tests.auth.conftest import CLIENT_SECRET, AsanaWorld


def write_config(world: AsanaWorld, tmp_path: Path) -> Path:
    connection = world.connection().model_dump(mode="json", exclude_none=True)
    connection["oauth"]["client_secret"] = "${ASANA_CLIENT_SECRET}"
    body = {"state": f"sqlite:///{tmp_path / 'cli.db'}",
            "connections": {"acme": connection, "pat": {"kind": "asana", "token": "${ASANA_TOKEN}"}}}
    path = tmp_path / "pm-bridge.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


@pytest.fixture
def config(world: AsanaWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASANA_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("ASANA_TOKEN", "pat-0123456789")
    monkeypatch.setattr(connect_cli, "token_client", lambda connection, transport: world.http())

    def open_browser(address: str) -> bool:  # the user's browser: approve, then follow the redirect to 127.0.0.1
        def go() -> None:
            answer = world.emulator.transport().handle_request(httpx.Request("GET", address))
            httpx.get(answer.headers["location"], timeout=5)
        threading.Thread(target=go).start()
        return True

    monkeypatch.setattr("bridge.auth.flows.webbrowser.open", open_browser)
    return write_config(world, tmp_path)


def test_connect_opens_the_browser_and_stores_the_token(config: Path, world: AsanaWorld) -> None:
    result = CliRunner().invoke(app, ["connect", "acme", "-c", str(config), "--timeout", "10"])
    assert result.exit_code == 0, result.output
    assert "acme (asana) is connected" in result.output
    assert f"http://127.0.0.1:{world.port}/callback" in result.output  # the redirect URI to register
    assert world.issuer.calls["authorization_code"] == 1
    assert not any(token in result.output for token in world.issuer.access)


def test_a_personal_token_connection_has_nothing_to_connect(config: Path) -> None:
    result = CliRunner().invoke(app, ["connect", "pat", "-c", str(config)])
    assert result.exit_code == 2 and "auth: token" in result.output and "Traceback" not in result.output


def test_without_the_key_nothing_is_asked_of_the_browser(config: Path, world: AsanaWorld,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PM_BRIDGE_SECRET_KEY")
    result = CliRunner().invoke(app, ["connect", "acme", "-c", str(config)])
    assert result.exit_code == 2 and "PM_BRIDGE_SECRET_KEY is not set" in result.output
    assert world.issuer.calls["authorization_code"] == 0


def test_an_unknown_connection_is_named(config: Path) -> None:
    result = CliRunner().invoke(app, ["connect", "nope", "-c", str(config)])
    assert result.exit_code == 2 and "no connection named 'nope'" in result.output
