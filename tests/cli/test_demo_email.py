"""``pm-bridge demo --client email``: offline, in seconds, with its own checks; and the checks can fail."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from typer.testing import CliRunner

import bridge.demo.email_client as demo
from bridge.cli.app import app
from bridge.core.rules import LinkRules, SectionRule


def test_the_email_demo_shows_the_digest_processes_a_reply_and_an_approval(runner: CliRunner) -> None:
    started = time.monotonic()
    result = runner.invoke(app, ["demo", "--client", "email"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 20
    out = result.output
    assert "Subject: Acme website: your update" in out and "WAITING FOR YOUR APPROVAL" in out
    assert "Client Carla Client: Looks great!" in out
    assert "refused, logged: forged reply token" in out
    assert "All checks held" in out and "✗" not in out
    assert "Budgeted 10h" not in out and "Fix flaky deploy" not in out


def test_the_email_demo_fails_loudly_when_hidden_work_reaches_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    original = demo.demo_rules

    def leaky(kind: str) -> LinkRules:
        rules = original(kind)
        sections = {**rules.mirror.sections, "Build": SectionRule(access="unlocked")}
        return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"sections": sections})})

    monkeypatch.setattr(demo, "demo_rules", leaky)
    buffer = io.StringIO()
    assert demo.run_email_demo(Console(file=buffer, width=200, highlight=False)) == 1
    row = next(line for line in buffer.getvalue().splitlines() if "no message carried anything hidden" in line)
    assert "✗" in row and "Fix flaky deploy" in row


def test_email_is_a_client_only(runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo", "--internal", "email"])
    assert result.exit_code != 0
