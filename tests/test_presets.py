"""A tool's mapping preset with a connection's overrides (connectors/presets.py, used by GitHub and Basecamp)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import ConfigError
from connectors.basecamp.mapping import BasecampMapping
from connectors.basecamp.mapping import load_mapping as basecamp_mapping
from connectors.github.mapping import load_mapping as github_mapping
from connectors.presets import load_preset


def test_the_shipped_presets_load_and_overrides_win() -> None:
    assert github_mapping().sections_as == "label"
    assert github_mapping({"sections_as": "milestone"}).sections_as == "milestone"
    assert basecamp_mapping({"poll_comments": False}).poll_comments is False


def test_a_wrong_override_names_the_tool_and_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        github_mapping({"sections_as": "column"})
    assert str(caught.value).startswith("github mapping: sections_as: ")
    with pytest.raises(ConfigError, match=r"^basecamp mapping: since_margin_seconds: "):
        basecamp_mapping({"since_margin_seconds": -1})


def test_a_preset_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "basecamp.yaml"
    broken.write_text("poll_comments: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML") as caught:
        load_preset(BasecampMapping, "basecamp", path=broken)
    assert str(broken) in str(caught.value)


def test_a_missing_preset_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_preset(BasecampMapping, "basecamp", {"poll_sections": False}, tmp_path / "absent.yaml") == BasecampMapping(
        poll_sections=False
    )
