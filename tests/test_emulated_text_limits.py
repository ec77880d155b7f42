"""Every emulator refuses text over its tool's declared limit, with the tool's error (issue 10)."""

from __future__ import annotations

import pytest

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask
from bridge.errors import RemoteError
from connectors.registry import tool_module


@pytest.mark.parametrize("tool", ["trello", "github", "asana", "basecamp"])
def test_an_emulator_refuses_a_title_over_the_limit_and_takes_one_at_it(tool: str) -> None:
    clock = VirtualClock()
    module = tool_module(tool)
    sandbox = module.Sandbox(module.Emulator(clock=clock), clock)
    project = sandbox.create_project("Limits", ["Todo"])
    conn = sandbox.connector("human", "anna")
    limit = conn.capabilities.text_limits["title"]
    conn.create_task(project, NewTask(title="x" * limit))
    with pytest.raises(RemoteError) as refused:
        conn.create_task(project, NewTask(title="x" * (limit * 2 + 1)))
    assert refused.value.status in (400, 422)
