"""The Basecamp mapping preset (``mappings/basecamp.yaml``) as a typed object."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.errors import ConfigError

PRESET = Path(__file__).resolve().parents[2] / "mappings" / "basecamp.yaml"


class BasecampMapping(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sections_as: Literal["todolist"] = "todolist"
    since_margin_seconds: int = Field(default=5, ge=0, le=3600)
    poll_comments: bool = True
    poll_sections: bool = True
    lists_visible_to_clients: bool = True


def load_mapping(overrides: dict[str, Any] | None = None, path: Path = PRESET) -> BasecampMapping:
    """The preset, with a link's overrides applied on top."""
    try:
        raw = yaml.safe_load(path.read_text()) if path.exists() else {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    merged = {**(raw or {}), **(overrides or {})}
    try:
        return BasecampMapping.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"basecamp mapping: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
