"""Config files that YAML accepts but that would mislead or stall the bridge: refused at load time, exit 2."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.config.load import find_config, load_config
from bridge.errors import ConfigError


def write(folder: Path, text: str) -> Path:
    path = folder / "pm-bridge.yaml"
    path.write_text(textwrap.dedent(text))
    return path


TWO_ACMES = """\
connections:
  agency: {kind: asana, token: t1}
  client: {kind: trello, key: k, token: t2}
links:
  acme:
    internal: {connection: agency, project: "1"}
    client: {connection: client, project: board}
  globex:
    internal: {connection: agency, project: "2"}
    client: {connection: client, project: board2}
  acme:
    internal: {connection: agency, project: "3"}
    client: {connection: client, project: board3}
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PM_BRIDGE_CONFIG", raising=False)


def test_a_link_given_twice_is_refused_naming_the_key_and_both_lines(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "-c", str(write(tmp_path, TWO_ACMES))])
    assert result.exit_code == 2
    assert "pm-bridge.yaml:11: the key 'acme' is given twice (first on line 5)" in result.output
    assert "Traceback" not in result.output


def test_a_connection_given_twice_is_refused_too(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        connections:
          agency: {kind: asana, token: t1}
          agency:
            kind: trello
        """)
    with pytest.raises(ConfigError, match=r":3: the key 'agency' is given twice \(first on line 2\)"):
        load_config(path)


def test_keys_merged_from_an_anchor_may_be_overridden(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        connections:
          agency: &base {kind: asana, token: t1, timeout: 10}
          other: {<<: *base, timeout: 20}
        """)
    assert load_config(path).connections["other"].timeout == 20


def test_aliases_that_stay_small_are_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        connections:
          agency: &asana {kind: asana, token: t1}
          other: *asana
          client: {kind: trello, key: k, token: t2}
        links:
          acme:
            internal: {connection: agency, project: "1"}
            client: {connection: client, project: board}
            mirror: &rules {sections: {Design: {access: unlocked}}}
          globex:
            internal: {connection: other, project: "2"}
            client: {connection: client, project: board2}
            mirror: *rules
        """)
    config = load_config(path)
    assert config.links["globex"].mirror == config.links["acme"].mirror


def test_a_nested_alias_bomb_fails_fast_with_a_clear_message(runner: CliRunner, tmp_path: Path) -> None:
    levels = ["a: &l0 [" + ", ".join(['"lol"'] * 9) + "]"]
    levels += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    path = tmp_path / "pm-bridge.yaml"
    path.write_text("\n".join(levels) + "\nlinks: {}\n")
    assert path.stat().st_size < 1400
    began = time.monotonic()
    result = runner.invoke(app, ["check", "-c", str(path)])
    assert time.monotonic() - began < 5
    assert result.exit_code == 2
    assert "its YAML aliases (*name) expand to" in result.output and "more than the 100,000" in result.output


def test_an_alias_to_its_own_container_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="an alias refers to the value that contains it"):
        load_config(write(tmp_path, "links: &me {a: *me}\n"))


@pytest.mark.parametrize("url", ["not a url", "ftp://files.example/api", "https://", "api.example.com/v1", "http://[::1"])
def test_a_base_url_without_http_scheme_and_host_is_refused_at_load_time(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f"""\
        connections:
          client: {{kind: trello, key: k, token: t, base_url: "{url}"}}
        """)
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert "connections.client.base_url: expected an http:// or https:// URL with a host" in message


def test_http_and_https_base_urls_still_load(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        connections:
          a: {kind: github, token: t, base_url: "http://127.0.0.1:8703"}
          b: {kind: basecamp, token: t, base_url: "https://3.basecampapi.com/999"}
          c: {kind: asana, token: t, base_url: ""}
        """)
    config = load_config(path)
    assert config.connections["a"].base_url == "http://127.0.0.1:8703" and config.connections["c"].base_url is None


def test_a_config_path_that_is_a_directory_says_so(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["check", "-c", str(tmp_path)])
    assert result.exit_code == 2 and f"error: config file {tmp_path} is a directory" in result.output
    monkeypatch.setenv("PM_BRIDGE_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match="names .* which is a directory"):
        find_config(None)
