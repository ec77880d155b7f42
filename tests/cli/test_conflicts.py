"""`pm-bridge conflicts` end to end on memory tools: flag → conflict → resolve → the next cycle writes it, then quiet."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import typer_app as app
from bridge.core.model import Task
from bridge.store import Store
from connectors.memory import world_named
from connectors.memory.sandbox import MemorySandbox
from tests.cli.conftest import MemoryTool, _worlds, agency_project, write_config

DUE_INTERNAL, DUE_CLIENT = dt.date(2026, 12, 22), dt.date(2026, 12, 20)


def flagged_link(name: str, internal: str, board: str) -> str:
    return textwrap.dedent(f"""\
      {name}:
        internal: {{connection: agency, project: "{internal}"}}
        client: {{connection: client, project: "{board}"}}
        conflict: flag
        mirror:
          sections:
            Design: {{access: unlocked}}
          fields: {{due: both}}
    """)


class Scene:
    """One link with `conflict: flag`, synced once, and both sides' people."""

    def __init__(self, tmp_path: Path, runner: CliRunner) -> None:
        self.runner = runner
        self.agency = MemoryTool(MemorySandbox(world_named(f"conflicts-agency-{next(_worlds)}")))
        self.client = MemoryTool(MemorySandbox(world_named(f"conflicts-client-{next(_worlds)}")))
        self.internal = agency_project(self.agency, shared=1, hidden=0)
        self.board = self.client.sandbox.create_project("Acme x Agency", [])
        self.config = write_config(
            tmp_path, self.agency.connection("agency") + self.client.connection("client"),
            flagged_link("acme", self.internal, self.board),
        )
        self.state = f"sqlite:///{tmp_path / 'state.db'}"
        self.ok("sync")

    def ok(self, *args: str) -> str:
        result = self.runner.invoke(app, [*args, "-c", str(self.config)])
        assert result.exit_code == 0, result.output
        return result.output

    def task(self, side: str) -> Task:
        tool, project, who = (self.agency, self.internal, "human") if side == "internal" else (self.client, self.board, "client")
        tasks = list(tool.person(who).pull(project).snapshot.tasks.values())
        assert len(tasks) == 1
        return tasks[0]

    def edit(self, side: str, **changes: object) -> None:
        tool, project, who = (self.agency, self.internal, "human") if side == "internal" else (self.client, self.board, "client")
        tool.person(who).update_task(project, self.task(side), changes)

    def conflict(self) -> dict[str, object]:
        self.edit("internal", due=DUE_INTERNAL)
        self.edit("client", due=DUE_CLIENT)
        self.ok("sync")
        found = json.loads(self.ok("conflicts", "list", "--json"))
        assert len(found) == 1, found
        return found[0]  # type: ignore[no-any-return]

    def audit_events(self) -> list[str]:
        store = Store.open(self.state)
        try:
            return [e.event for e in reversed(store.audit_entries(limit=500))]
        finally:
            store.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "240"})


@pytest.mark.parametrize(
    ("take", "extra", "expected"),
    [
        ("internal", [], DUE_INTERNAL),
        ("client", [], DUE_CLIENT),
        ("value", ["--value", "2026-12-21"], dt.date(2026, 12, 21)),
    ],
)
def test_a_resolved_conflict_is_written_by_the_next_cycle_then_closed_and_quiet(
    tmp_path: Path, runner: CliRunner, take: str, extra: list[str], expected: dt.date
) -> None:
    scene = Scene(tmp_path, runner)
    conflict = scene.conflict()
    assert (conflict["field"], conflict["internal"], conflict["client"]) == ("due", "2026-12-22", "2026-12-20")
    assert conflict["title"] == "Shared task 0" and conflict["decision"] is None
    again = scene.ok("sync")  # still flagged, still one conflict, nothing written
    assert "wrote client 0, internal 0" in again and len(json.loads(scene.ok("conflicts", "list", "--json"))) == 1

    said = scene.ok("conflicts", "resolve", str(conflict["id"]), "--take", take, *extra, "--by", "olga")
    assert f"conflict {conflict['id']}: take {take}" in said and "next cycle" in said
    shown = scene.ok("conflicts", "show", str(conflict["id"]))
    assert "by olga" in shown and "'2026-12-22'" in shown and "'2026-12-20'" in shown

    scene.ok("sync")
    assert scene.task("internal").due == expected and scene.task("client").due == expected
    assert "No open conflicts." in scene.ok("conflicts", "list")
    events = scene.audit_events()
    assert events.count("conflict_decided") == 1 and events.count("conflict_resolved") == 1
    quiet = scene.ok("sync")
    assert "wrote client 0, internal 0" in quiet, quiet
    assert scene.audit_events()[len(events):] == []  # the following cycle records nothing at all
    closed = runner.invoke(app, ["conflicts", "show", str(conflict["id"]), "-c", str(scene.config)])
    assert closed.exit_code == 2 and "was closed" in closed.output


def test_the_resolution_is_in_the_audit_log_with_who_what_and_when(tmp_path: Path, runner: CliRunner) -> None:
    scene = Scene(tmp_path, runner)
    conflict = scene.conflict()
    scene.ok("conflicts", "resolve", str(conflict["id"]), "--take", "client", "--by", "olga")
    scene.ok("sync")
    entries = json.loads(scene.ok("log", "--json"))
    resolved = [e for e in entries if e["event"] == "conflict_resolved"]
    assert len(resolved) == 1
    detail = resolved[0]["detail"]
    assert (detail["by"], detail["take"], detail["field"], detail["outcome"]) == ("olga", "client", "due", "applied")
    assert detail["conflict_id"] == conflict["id"] and detail["at"] and resolved[0]["at"]


def test_resolve_refuses_unknown_ids_and_values_that_do_not_fit(tmp_path: Path, runner: CliRunner) -> None:
    scene = Scene(tmp_path, runner)
    conflict = scene.conflict()
    cases = [
        (["999", "--take", "client"], "no conflict with id 999"),
        ([str(conflict["id"]), "--take", "value", "--value", "next tuesday"], "does not fit field 'due'"),
        ([str(conflict["id"]), "--take", "client", "--value", "2026-01-01"], "--value goes with --take value"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["conflicts", "resolve", *args, "-c", str(scene.config)])
        assert result.exit_code == 2 and message in result.output, result.output
        assert "Traceback" not in result.output
    assert json.loads(scene.ok("conflicts", "list", "--json"))[0]["decision"] is None
