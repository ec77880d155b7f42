"""The GitHub mapping preset (``mappings/github.yaml``) as a typed object."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.presets import PRESETS, load_preset

PRESET = PRESETS / "github.yaml"


class GithubMapping(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sections_as: Literal["label", "milestone"] = "label"
    section_prefix: str = Field(default="status: ", min_length=1)
    subtask_heading: str = "### Subtasks"
    archived_reasons: frozenset[str] = frozenset({"not_planned", "duplicate"})
    delete_lock_reason: Literal["off-topic", "too heated", "resolved", "spam"] = "resolved"
    since_margin_seconds: int = Field(default=5, ge=0, le=3600)
    poll_comments: bool = False


def load_mapping(overrides: dict[str, Any] | None = None, path: Path = PRESET) -> GithubMapping:
    """The preset, with a link's overrides applied on top."""
    return load_preset(GithubMapping, "github", overrides, path)
