"""The Basecamp mapping preset (``mappings/basecamp.yaml``) as a typed object."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.presets import PRESETS, load_preset

PRESET = PRESETS / "basecamp.yaml"


class BasecampMapping(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sections_as: Literal["todolist"] = "todolist"
    since_margin_seconds: int = Field(default=5, ge=0, le=3600)
    poll_comments: bool = True
    poll_sections: bool = True
    lists_visible_to_clients: bool = True


def load_mapping(overrides: dict[str, Any] | None = None, path: Path = PRESET) -> BasecampMapping:
    """The preset, with a link's overrides applied on top."""
    return load_preset(BasecampMapping, "basecamp", overrides, path)
