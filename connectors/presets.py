"""A tool's mapping preset (``mappings/<tool>.yaml``) with a connection's overrides, as the tool's typed object.

GitHub and Basecamp read the same way: the preset file (absent means all defaults), a connection's
``mapping:`` entries on top, then the tool's pydantic model; every failure is a :class:`ConfigError`
naming the file or the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bridge.errors import ConfigError

PRESETS = Path(__file__).resolve().parents[1] / "mappings"

M = TypeVar("M", bound=BaseModel)


def load_preset(model: type[M], tool: str, overrides: dict[str, Any] | None = None, path: Path | None = None) -> M:
    """The preset of ``tool`` (or the file at ``path``), with ``overrides`` applied on top."""
    path = path or PRESETS / f"{tool}.yaml"
    try:
        raw = yaml.safe_load(path.read_text()) if path.exists() else {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    merged = {**(raw or {}), **(overrides or {})}
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{tool} mapping: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
