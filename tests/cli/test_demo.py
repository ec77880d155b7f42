"""The offline demo runs, passes its own checks quickly, and its checks can fail."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from typer.testing import CliRunner

import bridge.demo.story as demo
from bridge.cli.app import app
from bridge.core.rules import LinkRules, SectionRule


def console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, highlight=False), buffer


def test_pm_bridge_demo_exits_0_well_under_a_minute(runner: CliRunner) -> None:
    started = time.monotonic()
    result = runner.invoke(app, ["demo"])
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 20
    out = result.output
    assert "All checks held" in out and "✗" not in out
    assert "Client Carla Client: Looks great!" in out
    assert "Client requests" in out
    assert "sent 0 write requests" in out


@pytest.mark.parametrize(("internal", "client"), [("trello", "asana"), ("github", "basecamp"), ("basecamp", "github")])
def test_demo_runs_between_the_other_tools(internal: str, client: str) -> None:
    out, buffer = console()
    assert demo.run_demo(out, internal, client) == 0, buffer.getvalue()


def _unlock_build(rules: LinkRules) -> LinkRules:
    sections = {**rules.mirror.sections, "Build": SectionRule(access="unlocked")}
    return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"sections": sections})})


def test_demo_fails_loudly_when_hidden_work_reaches_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    original = demo.demo_rules
    monkeypatch.setattr(demo, "demo_rules", lambda kind: _unlock_build(original(kind)))
    out, buffer = console()
    assert demo.run_demo(out) == 1
    text = buffer.getvalue()
    leak_row = next(line for line in text.splitlines() if "nothing hidden reached Trello" in line)
    assert "✗" in leak_row and "Fix flaky deploy" in leak_row
    assert "The demo found a problem" in text


def test_demo_with_two_clients_checks_neither_saw_the_others_input(runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo", "--clients", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "All checks held: neither client saw the other's input or anything hidden" in out and "✗" not in out
    assert "nothing of acme's reached globex's Basecamp" in " ".join(out.split())


def test_demo_with_two_clients_fails_loudly_when_one_clients_request_reaches_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bridge.core.plan import requests as plan_requests
    from bridge.demo import clients as demo_clients
    from bridge.store import Store

    # The bug of issue 9: a request marked with the plain marker, and no provenance to fall back on.
    monkeypatch.setattr(plan_requests, "access_marking", lambda ctx, title: {"custom_fields": {"Client access": "client"}})
    monkeypatch.setattr(Store, "foreign_client_items", lambda self, link, project: frozenset())
    out, buffer = console()
    assert demo_clients.run_clients_demo(out) == 1
    text = " ".join(buffer.getvalue().split())
    assert "✗ │ nothing of acme's reached globex's Basecamp" in text and "Add a newsletter signup" in text
