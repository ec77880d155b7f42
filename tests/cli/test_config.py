"""Loading the config file: interpolation, .env, discovery and error messages a person can act on."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bridge.config.load import find_config, load_config
from bridge.config.schema import Config
from bridge.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SECRET = "sekrit-token-9f8e7d6c"

VALID = """\
state: sqlite:///state/pm-bridge.db
connections:
  agency:
    kind: asana
    token: ${ASANA_TOKEN}
  client:
    kind: trello
    key: ${TRELLO_KEY:-key-from-default}
    token: "$${literal}"
links:
  acme:
    internal: {connection: agency, project: "1"}
    client: {connection: client, project: board}
    mirror:
      sections:
        Design: {access: unlocked, rename: Design review}
"""


def write(folder: Path, text: str, name: str = "pm-bridge.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ASANA_TOKEN", "TRELLO_KEY", "TRELLO_TOKEN", "PM_BRIDGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_interpolation_defaults_and_literal_dollar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASANA_TOKEN", "tok-from-env")
    config = load_config(write(tmp_path, VALID))
    agency, client = config.connections["agency"], config.connections["client"]
    assert agency.token is not None and agency.token.get_secret_value() == "tok-from-env"
    assert client.key is not None and client.key.get_secret_value() == "key-from-default"
    assert client.token is not None and client.token.get_secret_value() == "${literal}"
    assert config.links["acme"].mirror.sections["Design"].rename == "Design review"


def test_dotenv_next_to_the_config_fills_in_but_never_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("ASANA_TOKEN=tok-from-dotenv\nTRELLO_KEY=key-from-dotenv\n")
    config = load_config(write(tmp_path, VALID))
    assert config.connections["agency"].token.get_secret_value() == "tok-from-dotenv"  # type: ignore[union-attr]
    assert config.connections["client"].key.get_secret_value() == "key-from-dotenv"  # type: ignore[union-attr]
    monkeypatch.setenv("ASANA_TOKEN", "tok-real-env")
    config = load_config(write(tmp_path, VALID))
    assert config.connections["agency"].token.get_secret_value() == "tok-real-env"  # type: ignore[union-attr]


def test_a_missing_variable_names_the_variable_the_key_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    message = error_of(path)
    assert "ASANA_TOKEN" in message
    assert "connections.agency.token" in message
    assert str(path) in message


def test_relative_sqlite_state_is_next_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASANA_TOKEN", "x")
    monkeypatch.chdir(REPO)
    config = load_config(write(tmp_path, VALID))
    assert config.state == f"sqlite:///{tmp_path.resolve()}/state/pm-bridge.db"
    absolute = write(tmp_path, VALID.replace("sqlite:///state/pm-bridge.db", "sqlite:////var/lib/pmb.db"))
    assert load_config(absolute).state == "sqlite:////var/lib/pmb.db"
    pg = write(tmp_path, VALID.replace("sqlite:///state/pm-bridge.db", "postgresql+psycopg://u@db/pmb"))
    assert load_config(pg).state == "postgresql+psycopg://u@db/pmb"


# (key to change, its new value, the key path the message names, what it must say is expected)
BAD_VALUES: list[tuple[str, Any, str, str]] = [
    ("links.acme.mirror.sections.Design.access", "open", "links.acme.mirror.sections.Design.access",
     "expected one of 'locked' or 'unlocked', got 'open'"),
    ("links.acme.mirror.sections.Design.acess", "unlocked", "links.acme.mirror.sections.Design.acess",
     "unknown key (did you mean 'access'?)"),
    ("links.acme.conflict", "agency_wins", "links.acme.conflict", "'internal_wins', 'client_wins', 'newest_wins' or 'flag'"),
    ("links.acme.max_removal_share", 2, "links.acme.max_removal_share", "expected a number at most 1, got 2"),
    ("links.acme.interval", "often", "links.acme.interval", "expected a whole number, got 'often'"),
    ("links.acme.client", "board", "links.acme.client", "expected a mapping"),
    ("links.acme.internal.project", None, "links.acme.internal.project", "expected text"),
    ("connections.agency.kind", "jira", "connections.agency.kind",
     "'asana', 'trello', 'github', 'basecamp', 'memory' or 'email'"),
    ("connections.agency.timeout", -1, "connections.agency.timeout", "expected a number greater than 0"),
    ("links.acme.inbound", {"approval": {"internal_label": None}}, "links.acme.inbound.approval",
     "needs internal_label or internal_section"),
    ("links.acme.client.connection", "nope", "links.acme.client.connection", "not under connections (agency, client)"),
    ("links.acme.mirror.comment_attribution", "{who}: ", "links.acme.mirror.comment_attribution",
     "may use {name} and {date} only"),
    ("links.acme.mirror.fields", {"custom": {"Priority": {"to": "P", "direction": "sideways"}}},
     "links.acme.mirror.fields.custom.Priority.direction", "'to_client', 'to_internal' or 'both'"),
    ("links.acme.mirror.fields", {"custom": {"Priority": {"to": "P", "value": {"High": "P1"}}}},
     "links.acme.mirror.fields.custom.Priority.value", "unknown key (did you mean 'values'?)"),
]


def test_custom_fields_are_a_known_key(tmp_path: Path) -> None:
    data = yaml.safe_load(VALID.replace("${ASANA_TOKEN}", SECRET))
    data["links"]["acme"]["mirror"]["fields"] = {
        "custom": {"Priority": {"to": "Priority", "direction": "both", "values": {"High": "P1"}}, "Size": "Effort"}}
    file = tmp_path / "pm-bridge.yaml"
    file.write_text(yaml.safe_dump(data))
    custom = load_config(file).links["acme"].mirror.fields.custom
    assert (custom["Priority"].values, custom["Size"].to) == ({"High": "P1"}, "Effort")


@pytest.mark.parametrize(("key", "value", "path", "expectation"), BAD_VALUES, ids=[case[2] for case in BAD_VALUES])
def test_each_validation_error_names_file_key_path_and_expectation(
    tmp_path: Path, key: str, value: Any, path: str, expectation: str
) -> None:
    data = yaml.safe_load(VALID.replace("${ASANA_TOKEN}", SECRET))
    *parents, last = key.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = value
    file = tmp_path / "pm-bridge.yaml"
    file.write_text(yaml.safe_dump(data))
    message = error_of(file)
    assert str(file) in message
    assert path in message
    assert expectation in message
    assert SECRET not in message
    assert "pydantic" not in message and "errors.pydantic.dev" not in message
    assert "\n" not in message  # one problem, one line


def test_a_link_name_cannot_start_with_at_the_stores_own_names_do(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, VALID.replace("  acme:", "  '@daemon:x':").replace("${ASANA_TOKEN}", "t")))
    assert "a link's name cannot start with '@'" in message


def test_a_missing_required_key_says_so(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "connections:\n  a:\n    token: x\n"))
    assert "connections.a.kind: this key is required" in message


def test_several_problems_are_listed_in_one_error(tmp_path: Path) -> None:
    text = "connections:\n  a: {kind: asana, token: x, timeout: 0, colour: red}\n"
    message = error_of(write(tmp_path, text))
    assert "2 problems" in message
    assert "connections.a.timeout" in message and "connections.a.colour: unknown key" in message


def test_secrets_never_appear_in_messages(tmp_path: Path) -> None:
    # A credential of the wrong type: the message says what is wrong, not what was there.
    message = error_of(write(tmp_path, f"connections:\n  a: {{kind: trello, token: [{SECRET}], key: {{k: {SECRET}}}}}\n"))
    assert "connections.a.token: expected text" in message
    assert "connections.a.key" in message
    assert SECRET not in message
    # A YAML syntax error on the line holding the token shows the position, not the line.
    message = error_of(write(tmp_path, f'connections:\n  a:\n    token: "{SECRET}\n    kind: asana\n'))
    assert "invalid YAML" in message and "pm-bridge.yaml:" in message
    assert SECRET not in message


def test_yaml_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert "expected a mapping at the top" in error_of(write(tmp_path, "- just\n- a list\n"))


def test_no_config_anywhere_says_how_to_create_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        find_config(None)
    assert "cp config.example.yaml pm-bridge.yaml" in caught.value.hint
    with pytest.raises(ConfigError, match="does not exist"):
        find_config(tmp_path / "missing.yaml")


def test_config_is_found_in_the_environment_then_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    local = write(tmp_path, "state: sqlite:///local.db\n")
    assert find_config(None) == local
    elsewhere = write(tmp_path, "state: sqlite:///other.db\n", name="other.yaml")
    monkeypatch.setenv("PM_BRIDGE_CONFIG", str(elsewhere))
    assert load_config(None).state.endswith("/other.db")


def _documented(model: type[BaseModel], node: Any, path: str, missing: list[str]) -> None:
    """Every field of ``model`` must appear in the example (for dicts of models: in at least one entry)."""
    entries = node if isinstance(node, list) else [node]
    for field_name, info in model.model_fields.items():
        name = info.alias or field_name  # the key as written in YAML (alerts.email.from)
        present = [entry[name] for entry in entries if isinstance(entry, dict) and name in entry]
        if not present:
            missing.append(f"{path}.{name}")
            continue
        annotation = info.annotation
        args: tuple[Any, ...] = getattr(annotation, "__args__", ()) or ()
        if getattr(annotation, "__origin__", None) is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
            values = [v for mapping in present if isinstance(mapping, dict) for v in mapping.values()]
            _documented(args[1], values, f"{path}.{name}.*", missing)
            continue
        inner = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if inner is not None:
            _documented(inner, [p for p in present if isinstance(p, dict)], f"{path}.{name}", missing)


def test_config_example_loads_and_documents_every_option(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ASANA_TOKEN", "TRELLO_KEY", "TRELLO_TOKEN", "ASANA_CLIENT_SECRET"):
        monkeypatch.setenv(name, f"value-of-{name}")
    example = REPO / "config.example.yaml"
    config = load_config(example)
    assert config.links["acme"].mirror.sections["Design"].rename == "Design review"
    missing: list[str] = []
    _documented(Config, yaml.safe_load(example.read_text()), "", missing)
    assert missing == []


def test_a_connection_mapping_reaches_the_connector(tmp_path: Path) -> None:
    from bridge.config.connection import ConnectionConfig
    from connectors import registry

    github = registry.build("gh", ConnectionConfig(kind="github", token="t", mapping={"sections_as": "milestone"}))
    assert github.mapping.sections_as == "milestone"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="trello has no mapping to override"):
        registry.build("tr", ConnectionConfig(kind="trello", token="t", key="k", mapping={"x": 1}))
