"""`pm-bridge emulate --oauth` rehearses `pm-bridge connect` offline: the printed config connects through
the emulated app (browser or `--paste`), `pm-bridge sync` then runs on the stored token, and a short
lifetime shows the token renewed (or Trello's running out) - for every tool.

One test drives real processes, as a person would (emulate, connect --paste, sync); the others serve the
emulator in-process on a virtual clock, so expiry comes without waiting."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet
from rich.console import Console
from typer.testing import CliRunner

from bridge.auth.credential import SKEW_SECONDS
from bridge.auth.sealing import KEY_VARIABLE
from bridge.cli.app import app
from bridge.clock import VirtualClock
from bridge.demo.emulate import Rehearsal, prepare, print_instructions
from bridge.demo.emulated_auth import DEFAULT_TTL
from connectors.emulation.serve import asgi_app
from tests.conftest import StartServer

PM_BRIDGE = [sys.executable, "-c", "from bridge.cli import main; main()"]  # the installed `pm-bridge`, wherever it is


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def printed_block(text: str) -> str:
    start = text.index("\n", text.index("Put this in your config")) + 1
    return text[start : text.index("Press Ctrl+C")]


@dataclass
class Served:
    rehearsal: Rehearsal
    clock: VirtualClock
    config: Path
    events: list[str]  # the emulator window's lines: one per token issued, renewed or refused


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_VARIABLE, value)
    return value


@pytest.fixture
def served(
    tmp_path: Path, key: str, monkeypatch: pytest.MonkeyPatch, asgi_servers: StartServer
) -> Iterator[Callable[[str], Served]]:
    def serve(kind: str) -> Served:
        clock = VirtualClock()
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        rehearsal = prepare(kind, "127.0.0.1", listener.getsockname()[1], seed=True, clock=clock,
                            oauth_ttl=DEFAULT_TTL, redirect_port=free_port(), folder=tmp_path)
        rehearsal.emulator.limit = None
        assert rehearsal.auth is not None
        events: list[str] = []
        rehearsal.auth.say = events.append
        asgi_servers(asgi_app(rehearsal.handle), listener)
        buffer = io.StringIO()
        print_instructions(Console(file=buffer, width=200), rehearsal)
        config = tmp_path / "pm-bridge.yaml"
        config.write_text(f"state: sqlite:///{tmp_path / 'state.db'}\n" + printed_block(buffer.getvalue()))
        # The CLI's token expiry times follow the emulator's virtual clock, as the emulator's own epoch does.
        epoch = rehearsal.auth.issuer.epoch
        monkeypatch.setattr("bridge.runtime.wall_clock", lambda _clock: epoch)
        monkeypatch.setattr("bridge.cli.connect.wall_clock", lambda _clock: epoch)
        return Served(rehearsal, clock, config, events)

    yield serve


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's browser: approve on the emulator's page, then follow the redirect to the local callback."""

    def go(address: str) -> None:
        back = httpx.get(address, timeout=5).headers["location"]
        before, _, fragment = back.partition("#")
        if fragment:  # Trello: the page the callback serves sends the fragment back as a query
            assert "location.hash" in httpx.get(before, timeout=5).text
            back = f"{before}&{fragment}"
        httpx.get(back, timeout=5)

    monkeypatch.setattr("bridge.auth.flows.webbrowser.open",
                        lambda address: threading.Thread(target=go, args=(address,)).start() or True)


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "-c", str(config)])
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["asana", "basecamp", "github"])
def test_connect_then_sync_and_the_token_is_renewed_when_due(
    served: Callable[[str], Served], browser: None, kind: str, all_tokens_hidden: Callable[[str, Served], None]
) -> None:
    world = served(kind)
    code, output = run(world.config, "connect", f"{kind}-local", "--timeout", "10")
    assert code == 0, output
    assert f"{kind}-local ({kind}) is connected" in output
    assert len(world.events) == 1 and "new access token" in world.events[0]
    code, output = run(world.config, "check")
    assert code == 0 and "!" not in output, output  # the printed block is complete, token from connect included
    code, output = run(world.config, "sync")
    assert code == 0, output
    assert len(world.events) == 1  # the token from connect is used as it is
    world.clock.advance(DEFAULT_TTL - SKEW_SECONDS + 1)  # inside the renewal window
    code, output = run(world.config, "sync")
    assert code == 0, output
    renewed = world.events[1:]
    assert len(renewed) == 1 and "new access token" in renewed[0]
    assert ("refresh_token" in renewed[0]) == (kind != "github")  # GitHub mints a new installation token instead
    world.clock.advance(DEFAULT_TTL + 60)  # past expiry: renewed before the first request, the link syncs on
    code, output = run(world.config, "sync")
    assert code == 0, output
    assert len(world.events) == 3
    all_tokens_hidden(output, world)


def test_trello_connects_then_runs_out_and_connect_again_fixes_it(
    served: Callable[[str], Served], browser: None, all_tokens_hidden: Callable[[str, Served], None]
) -> None:
    world = served("trello")
    code, output = run(world.config, "connect", "trello-local", "--timeout", "10")
    assert code == 0, output
    code, output = run(world.config, "sync")
    assert code == 0, output
    world.clock.advance(DEFAULT_TTL + 1)  # the emulator's `1hour` ran out
    code, output = run(world.config, "sync")
    assert code == 1, output
    assert "token can no longer be refreshed" in output and "pm-bridge connect trello-local" in output
    code, output = run(world.config, "connect", "trello-local", "--timeout", "10")
    assert code == 0, output
    code, output = run(world.config, "sync")
    assert code == 0, output
    all_tokens_hidden(output, world)


@pytest.fixture
def all_tokens_hidden() -> Callable[[str, Served], None]:
    def check(text: str, world: Served) -> None:
        issued = [*world.rehearsal.auth.issuer.access, *world.rehearsal.auth.issuer.refresh]  # type: ignore[union-attr]
        assert issued and not any(token in text or token in " ".join(world.events) for token in issued)

    return check


def _read_until(stream: io.TextIOBase, pattern: str, seen: list[str], deadline: float) -> re.Match[str]:
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no {pattern!r} in:\n{''.join(seen)}")


@pytest.mark.parametrize("kind", ["asana", "trello"])
def test_a_person_rehearses_connect_paste_and_sync_with_real_processes(tmp_path: Path, key: str, kind: str) -> None:
    port, env = free_port(), {**os.environ, KEY_VARIABLE: key, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    emulate = subprocess.Popen([*PM_BRIDGE, "emulate", kind, "--seed", "--oauth", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        assert emulate.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 60
        _read_until(emulate.stdout, r"Press Ctrl\+C", seen, deadline)
        text = "".join(seen)
        assert f"pm-bridge connect {kind}-local" in text and "--paste" in text
        block = yaml.safe_load(printed_block(text))
        connection = block["connections"][f"{kind}-local"]
        assert "token" not in connection and connection["auth"] == "oauth"
        connection["oauth"]["redirect_port"] = free_port()  # 8765 may be taken on a shared machine
        config = tmp_path / "pm-bridge.yaml"
        config.write_text(yaml.safe_dump({"state": "sqlite:///state.db", **block}))

        connect = subprocess.Popen([*PM_BRIDGE, "connect", f"{kind}-local", "--paste", "-c", str(config)], env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   cwd=tmp_path)
        assert connect.stdout is not None and connect.stdin is not None
        asked: list[str] = []
        address = _read_until(connect.stdout, r"(http://127\.0\.0\.1:\d+/\S*authorize\S*)", asked, deadline).group(1)
        went = httpx.get(address, timeout=10)  # the browser, anywhere: approve, and the address bar shows where it went
        assert went.status_code == 302
        out, _ = connect.communicate(went.headers["location"] + "\n", timeout=60)
        assert connect.returncode == 0, "".join(asked) + out
        assert f"{kind}-local ({kind}) is connected" in out

        synced = subprocess.run([*PM_BRIDGE, "sync", "-c", str(config)], env=env, capture_output=True, text=True,
                                cwd=tmp_path, timeout=120)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "rehearsal" in synced.stdout
        _read_until(emulate.stdout, r"token endpoint: .*new access token", seen, deadline)  # the window says so
        location_token = re.search(r"(?:code|token)=([\w-]+)", went.headers["location"])
        assert location_token and location_token.group(1) not in synced.stdout + synced.stderr + out
    finally:
        emulate.terminate()
        emulate.wait(10)
