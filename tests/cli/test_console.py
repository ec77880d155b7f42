"""`pm-bridge log` and `pm-bridge status --json` / narrow layout, on memory tools."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import typer_app as app
from bridge.cli.history import parse_since
from tests.cli.test_conflicts import Scene


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "240"})


def test_log_says_what_was_written_where_and_why_with_ids_and_urls(tmp_path: Path, runner: CliRunner) -> None:
    scene = Scene(tmp_path, runner)
    entries = json.loads(scene.ok("log", "--json"))
    created = [e for e in entries if e["event"] == "client.create" and e["kind"] == "task"]
    assert len(created) == 1
    card = scene.task("client")
    assert created[0]["title"] == "Shared task 0" and created[0]["detail"]["reason"] == "newly shared"
    assert created[0]["detail"]["id"] == card.id and created[0]["detail"]["url"] == card.url
    assert "title" in created[0]["detail"]["fields"]
    text = scene.ok("log")
    line = next(row for row in text.splitlines() if "client.create task" in row)
    assert "'Shared task 0'" in line and "why: newly shared" in line and f"id {card.id}" in line and str(card.url) in line


def test_log_filters_by_task_link_and_time(tmp_path: Path, runner: CliRunner) -> None:
    scene = Scene(tmp_path, runner)
    scene.edit("client", due=dt.date(2026, 3, 1))
    scene.ok("sync")  # the client's date goes inbound: an internal.update about the one task
    internal_id, client_id = scene.task("internal").id, scene.task("client").id
    by_internal = json.loads(scene.ok("log", "--json", "--task", internal_id))
    by_client = json.loads(scene.ok("log", "--json", "--task", client_id))
    assert by_internal == by_client and {e["event"] for e in by_internal} == {"client.create", "internal.update"}
    inbound = next(e for e in by_internal if e["event"] == "internal.update")
    assert inbound["detail"]["reason"] == "client input" and inbound["detail"]["id"] == internal_id
    assert json.loads(scene.ok("log", "--json", "--since", "2099-01-01")) == []
    assert len(json.loads(scene.ok("log", "--json", "--since", "1h"))) == len(json.loads(scene.ok("log", "--json")))
    assert json.loads(scene.ok("log", "--json", "--link", "acme"))
    bad = runner.invoke(app, ["log", "--since", "yesterday-ish", "-c", str(scene.config)])
    assert bad.exit_code == 2 and "--since 'yesterday-ish'" in bad.output
    unknown = runner.invoke(app, ["log", "--link", "nope", "-c", str(scene.config)])
    assert unknown.exit_code == 2 and "no link named 'nope'" in unknown.output


def test_since_reads_times_ago_and_dates() -> None:
    now = dt.datetime(2026, 5, 2, 12, 0, tzinfo=dt.UTC)
    assert parse_since("90m", now) == now - dt.timedelta(minutes=90)
    assert parse_since("2d", now) == now - dt.timedelta(days=2)
    assert parse_since("2026-05-01T00:00:00+00:00", now) == dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def test_status_json_has_links_last_run_counts_conflicts_and_notices(tmp_path: Path, runner: CliRunner) -> None:
    scene = Scene(tmp_path, runner)
    conflict = scene.conflict()
    record = json.loads(scene.ok("status", "--json"))
    (link,) = record["links"]
    assert link["name"] == "acme" and link["enabled"] is True
    assert link["internal"] == {"connection": "agency", "project": scene.internal}
    assert link["last_run"]["status"] == "ok" and link["last_run"]["counts"]["conflicts"] == 1
    assert link["last_run"]["error"] is None and link["open_conflicts"] == 1 and link["open_notices"] == 0
    assert [c["id"] for c in record["conflicts"]] == [conflict["id"]] and record["notices"] == []


def test_status_json_before_any_run(tmp_path: Path, runner: CliRunner) -> None:
    scene = Scene(tmp_path, runner)
    (tmp_path / "state.db").unlink()
    record = json.loads(scene.ok("status", "--json"))
    assert record["links"][0]["last_run"] is None and record["conflicts"] == []


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_status_fits_the_terminal_without_a_wrapped_table(tmp_path: Path, columns: int) -> None:
    runner = CliRunner(env={"COLUMNS": str(columns)})
    scene = Scene(tmp_path, runner)
    scene.conflict()
    output = scene.ok("status")
    rows = output.splitlines()
    assert all(len(row) <= columns for row in rows), output
    assert "acme" in output and "'2026-12-22'" in output and "'2026-12-20'" in output
    tabled = any(row.startswith("┏") for row in rows)
    assert tabled == (columns > 80), output
    if columns <= 80:
        assert any(row.startswith("✓ acme: ok") for row in rows), output
        assert any("last run" in row for row in rows) and any(row.strip() == "0 applied, 1 conflicts" for row in rows)
