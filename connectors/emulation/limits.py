"""Text limits as an emulator enforces them: the same check for every tool, each tool's own error.

Each tool declares its limits once (``connectors/<tool>/limits.py``); its connector
hands them to the planner through ``Capabilities.text_limits`` and its emulator
refuses longer text here, with the status and message the real tool answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connectors.emulation.toolkit import HttpError

# Given the request field's name and its limit: the tool's own refusal.
Refusal = Callable[[str, int], HttpError]


def enforce(values: Mapping[str, str | None], limits: Mapping[str, int], refuse: Refusal) -> None:
    """Raise the tool's refusal for the first value longer than its field's limit (fields without one pass)."""
    for name, value in values.items():
        limit = limits.get(name)
        if limit is not None and value is not None and len(value) > limit:
            raise refuse(name, limit)
