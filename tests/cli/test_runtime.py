"""From a Config to connectors, links, store and engine: sharing, selection and failures that stay local."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.config.load import load_config
from bridge.config.schema import LinkConfig, LinkSideConfig
from bridge.core.ports import Capabilities
from bridge.core.rules import AccessSource, FieldRules, MirrorRules
from bridge.errors import ConfigError
from bridge.runtime import build_runtime, rule_problems, select_links
from tests.cli.conftest import MemoryTool, agency_project, link_yaml, write_config


def two_links(tmp_path: Path, tool: MemoryTool, extra: str = "") -> Path:
    internal = agency_project(tool)
    board = tool.sandbox.create_project("Acme x Agency", [])
    links = link_yaml("a", ("agency", internal), ("agency", board)) + link_yaml("b", ("agency", internal), ("agency", board))
    return write_config(tmp_path, tool.connection("agency"), links + extra)


def test_a_connection_is_built_once_and_shared_by_its_links(tmp_path: Path, memory_tool: MemoryTool) -> None:
    runtime = build_runtime(load_config(two_links(tmp_path, memory_tool)))
    try:
        assert set(runtime.links) == {"a", "b"} and runtime.broken == {}
        a, b = runtime.links["a"], runtime.links["b"]
        assert a.internal.connector is b.internal.connector is a.client.connector
        assert list(runtime.connectors) == ["agency"]
    finally:
        runtime.close()


def test_disabled_links_run_only_when_named(tmp_path: Path, memory_tool: MemoryTool) -> None:
    path = two_links(tmp_path, memory_tool)
    path.write_text(path.read_text().replace("  b:\n", "  b:\n    enabled: false\n"))
    config = load_config(path)
    assert select_links(config) == ["a"]
    assert select_links(config, ["b"]) == ["b"]
    with pytest.raises(ConfigError, match="no link named 'c'"):
        select_links(config, ["c"])


def test_a_missing_token_fails_only_the_links_using_that_connection(tmp_path: Path, memory_tool: MemoryTool) -> None:
    internal = agency_project(memory_tool)
    board = memory_tool.sandbox.create_project("Acme x Agency", [])
    tokenless = "  trello:\n    kind: trello\n"
    links = link_yaml("ok", ("agency", internal), ("agency", board))
    links += link_yaml("no-token", ("agency", internal), ("trello", "b1"))
    runtime = build_runtime(load_config(write_config(tmp_path, memory_tool.connection("agency") + tokenless, links)))
    try:
        assert set(runtime.links) == {"ok"}
        assert "trello connection needs both `key` and `token`" in runtime.broken["no-token"]
    finally:
        runtime.close()


def test_an_unreachable_state_store_is_a_user_error_without_its_password(
    runner: CliRunner, tmp_path: Path, memory_tool: MemoryTool
) -> None:
    path = two_links(tmp_path, memory_tool)
    path.write_text(path.read_text().replace("sqlite:///state.db", "postgresql+psycopg://bridge:pw-hunter2@127.0.0.1:1/pmb"))
    result = runner.invoke(app, ["sync", "-c", str(path)])
    assert result.exit_code == 2
    assert "cannot open the state store postgresql+psycopg://bridge:***@127.0.0.1:1/pmb" in result.output
    assert "pw-hunter2" not in result.output


def test_rules_a_tool_cannot_hold_are_named_by_key_path() -> None:
    sides = {"internal": LinkSideConfig(connection="a", project="1"), "client": LinkSideConfig(connection="b", project="2")}
    full = Capabilities()
    assert rule_problems("acme", LinkConfig(**sides), full, full) == []
    asks_for_labels = LinkConfig(**sides, mirror=MirrorRules(fields=FieldRules(labels="to_client")))
    no_labels = Capabilities(task_fields=frozenset({"title", "notes", "done", "section_id"}))
    problems = rule_problems("acme", asks_for_labels, no_labels, no_labels)
    assert [p.split(" ")[0] for p in problems] == [
        "links.acme.mirror.access.type", "links.acme.inbound.approval.internal_label", "links.acme.mirror.fields.labels",
    ]
    by_field = LinkConfig(**sides, mirror=MirrorRules(access=AccessSource(type="custom_field")))
    assert "no custom fields" in rule_problems("acme", by_field, no_labels, full)[0]


def test_custom_fields_need_both_tools_to_hold_them() -> None:
    sides = {"internal": LinkSideConfig(connection="a", project="1"), "client": LinkSideConfig(connection="b", project="2")}
    mapped = LinkConfig(**sides, mirror=MirrorRules(fields=FieldRules(custom={"Priority": "Priority"})))
    holds = Capabilities(tool="asana", custom_fields=True)
    assert rule_problems("acme", mapped, holds, holds) == []
    (problem,) = rule_problems("acme", mapped, holds, Capabilities(tool="plain"))
    assert problem == ("links.acme.mirror.fields.custom names Priority, but the client tool (plain) holds no custom fields")
