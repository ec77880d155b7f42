"""The offline demo runs, passes its own checks quickly, and its checks can fail."""

from __future__ import annotations

import io
import itertools
import time

import pytest
from rich.console import Console
from typer.testing import CliRunner

import bridge.demo.story as demo
from bridge.cli.app import app
from bridge.core.rules import FieldRules, LinkRules, SectionRule
from bridge.demo import seed

KINDS = ["asana", "trello", "github", "basecamp"]
PAIRS = list(itertools.permutations(KINDS, 2))
TAKES_FILES = {"asana", "trello", "basecamp"}  # GitHub's REST API holds no files on issues (docs/files.md)


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
    assert "Homepage wireframes · Priority: P1" in out and "📎 homepage-concept.png" in out


def rows(text: str) -> dict[str, tuple[bool, str]]:
    """The closing checks table: check name -> (held, detail)."""
    found: dict[str, tuple[bool, str]] = {}
    name = ""
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 5 and cells[1] in ("✓", "✗"):
            name = cells[2]
            found[name] = (cells[1] == "✓", cells[3])
        elif len(cells) == 5 and name and not cells[1] and not cells[2]:  # a detail wrapped onto the next line
            found[name] = (found[name][0], f"{found[name][1]} {cells[3]}")
    return found


@pytest.mark.parametrize(("internal", "client"), PAIRS, ids=lambda k: k)
def test_demo_shows_the_field_and_the_deliverable_in_every_pairing(internal: str, client: str) -> None:
    out, buffer = console()
    code = demo.run_demo(out, internal, client)
    text = buffer.getvalue()
    assert code == 0, text
    checks = rows(text)
    tool = demo.TOOL_NAMES[client]
    assert checks["the mapped field arrived as P1"][0]
    assert checks[f"the unmapped field and the internal file never reached {tool}"][0]
    assert checks["Carla's P3 came back as Low"] == (True, "Priority = Low")
    if internal in TAKES_FILES and client in TAKES_FILES:
        held, detail = checks["the deliverable arrived as a file with identical bytes (sha256)"]
        assert held and f"{len(seed.DELIVERABLE_BYTES)} bytes" in detail
    else:
        assert checks["the deliverable arrived as a link"][0]
    if client in TAKES_FILES:
        kind = "a file with identical bytes" if internal in TAKES_FILES else "a link"
        assert checks[f"Carla's file came back as {kind}"][0]
    assert all(held for held, _ in checks.values()), text
    assert "Margin: 38 pct (stays internal)" in text and "cost-sheet.pdf (stays internal)" in text


def _map_margin_too(rules: LinkRules) -> LinkRules:
    spec = {"Priority": {"to": "Priority", "direction": "both", "values": seed.PRIORITY_MAP}, "Margin": "Margin"}
    fields = rules.mirror.fields.model_copy(update={"custom": FieldRules(custom=spec).custom})
    return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"fields": fields})})


def test_demo_fails_loudly_when_the_field_or_the_deliverable_does_not_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "with_custom_fields", lambda rules: rules)  # the link maps nothing
    monkeypatch.setattr(seed, "DELIVERABLE", "homepage-concept.png")  # Anna forgot the [client] marker
    out, buffer = console()
    assert demo.run_demo(out) == 1
    checks = rows(buffer.getvalue())
    assert checks["the mapped field arrived as P1"] == (False, "Trello field 'Priority' = None")
    assert not checks["the deliverable arrived as a file with identical bytes (sha256)"][0]
    assert not checks["Carla's P3 came back as Low"][0]


def test_demo_fails_loudly_when_the_copy_has_other_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "DELIVERABLE_BYTES", seed.png(240, 150, seed=2))  # not what Anna attached
    out, buffer = console()
    assert demo.run_demo(out, "trello", "basecamp") == 1
    assert not rows(buffer.getvalue())["the deliverable arrived as a file with identical bytes (sha256)"][0]


@pytest.mark.parametrize(("internal", "client"), [("asana", "github"), ("basecamp", "trello")])
def test_demo_fails_loudly_when_the_unmapped_field_or_the_internal_file_reaches_the_client(
    monkeypatch: pytest.MonkeyPatch, internal: str, client: str
) -> None:
    monkeypatch.setattr(demo, "with_custom_fields", _map_margin_too)  # GitHub takes any field name
    monkeypatch.setattr(seed, "COST_SHEET", "[client] cost-sheet.pdf")  # marked by mistake
    out, buffer = console()
    assert demo.run_demo(out, internal, client) == 1
    held, detail = rows(buffer.getvalue())[f"the unmapped field and the internal file never reached {demo.TOOL_NAMES[client]}"]
    assert not held
    if client == "github":  # a link: the name, never the bytes
        assert "found: the field's name, its value, the file's name" in detail
    else:  # Trello's board defines no Margin field: only the file crosses, bytes and all
        assert "found: the file's name, its bytes, the file stored" in detail


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
