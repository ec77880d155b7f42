"""``pm-bridge migrate``: a one-off, resumable copy of a whole project into another tool.

Registered on :data:`bridge.cli.app.app` by importing this module (the last line of
``bridge/cli/app.py``).
"""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from bridge import secrets
from bridge.cli.app import EXIT_FAILED, EXIT_OK, ConfigOption, app, friendly
from bridge.config.load import load_config
from bridge.migrate.launch import prepared
from bridge.migrate.report import MigrationEvent, MigrationReport, PassPlanned, SidePulled, WriteDone, WriteFailed
from bridge.migrate.spec import resolve_options
from bridge.sync.progress import describe_op

_NOUNS = {"section": "sections", "task": "tasks", "comment": "comments", "attachment": "attachments"}
_SHOWN = 25  # a dry run lists this many planned writes, then counts the rest


class MigrationProgress:
    """A progress bar with counts and ETA, fed by the migration's events from worker threads."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("·"),
                            TimeElapsedColumn(), TextColumn("· ETA"), TimeRemainingColumn(), console=console, transient=False)
        self.task = self.bar.add_task("copying", total=None, start=False)
        self.failed = 0
        self._lock = threading.Lock()

    def __call__(self, event: MigrationEvent) -> None:
        with self._lock:
            if isinstance(event, SidePulled):
                self.console.print(f"  read the {event.side}: {event.tasks} tasks ({event.requests} requests)")
            elif isinstance(event, PassPlanned):
                if event.number == 1:
                    self.bar.start()
                    self.bar.update(self.task, total=event.writes)
                    self.bar.start_task(self.task)
                else:
                    done = self.bar.tasks[0].completed
                    self.console.print(f"  pass {event.number}: retrying what failed ({event.writes} writes)")
                    self.bar.update(self.task, total=done + event.writes)
            elif isinstance(event, WriteDone):
                self.bar.advance(self.task)
            elif isinstance(event, WriteFailed):
                self.failed += 1
                self.bar.advance(self.task)
                self.bar.update(self.task, description=f"copying ({self.failed} failed)")

    def stop(self) -> None:
        self.bar.stop()


def _counts(table: dict[str, int]) -> str:
    return ", ".join(f"{table[kind]} {_NOUNS[kind] if table[kind] != 1 else kind}" for kind in _NOUNS if table.get(kind))


def print_report(console: Console, report: MigrationReport) -> None:
    arrow = f"{escape(report.source)} → {escape(report.target)}"
    if report.status == "dry-run":
        console.print(f"[cyan]dry run[/cyan] {arrow}: nothing was written")
        creates = [op for op in report.planned if op.action == "create"]
        console.print(f"  would create: {_counts({k: sum(1 for o in creates if o.kind == k) for k in _NOUNS}) or 'nothing'}")
        updates = len(report.planned) - len(creates)
        if updates:
            console.print(f"  would update: {updates} items that differ from the source")
        for op in report.planned[:_SHOWN]:
            mark = "+" if op.action == "create" else "~"
            console.print(f"    {mark} {escape(describe_op(op.model_copy(update={'reason': ''})))}")
        if len(report.planned) > _SHOWN:
            console.print(f"    … and {len(report.planned) - _SHOWN} more")
    else:
        icon, colour = ("✓", "green") if report.status == "ok" else ("!", "yellow")
        total = sum(report.requests.values())
        console.print(f"[{colour}]{icon} migrated[/{colour}] {arrow} in {report.seconds:.1f} s "
                      f"({total} requests, {report.passes} pass{'es' if report.passes != 1 else ''})")
        console.print(f"  copied now: {_counts(report.created) or 'nothing'}")
        if report.updated:
            console.print(f"  brought up to date: {_counts(report.updated)}")
    if report.already_there:
        console.print(f"  already there (an earlier run): {_counts(report.already_there)}")
    if report.lost:
        console.print("  not carried over:")
        for loss in report.lost:
            console.print(f"    - {escape(loss.line())}")
    if report.changed:
        console.print("  carried over differently:")
        for loss in report.changed:
            console.print(f"    - {escape(loss.line())}")
    if report.errors:
        console.print(f"  [yellow]{len(report.errors)} writes failed[/yellow]"
                      + (f", {report.held_back} items waiting for them" if report.held_back else "")
                      + ": rerun the same command to continue (nothing is created twice)")
        for error in report.errors[:5]:
            console.print(f"    ! {escape(secrets.redact(error))}", style="yellow")
    if report.linked_as and report.status != "dry-run":
        console.print(f"  linked: `pm-bridge sync --link {escape(report.linked_as)}` keeps the two projects in sync from here")


@app.command()
@friendly
def migrate(
    source: Annotated[str, typer.Option("--from", help="CONNECTION:PROJECT to copy from (a connection name, or a tool "
                                                       "kind when one connection has it)", show_default=False)],
    target: Annotated[str, typer.Option("--to", help="CONNECTION:PROJECT to copy into", show_default=False)],
    config: ConfigOption = None,
    link: Annotated[str | None, typer.Option("--link", help="copy only what this link's mirror rules share")] = None,
    only_shared: Annotated[bool, typer.Option("--only-shared", help="copy only what the default mirror rules share")] = False,
    keep_linked: Annotated[str | None, typer.Option("--keep-linked", help="afterwards, keep the projects in sync as "
                                                                          "this configured link")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be created, write nothing")] = False,
    workers: Annotated[int, typer.Option(min=1, max=32, help="writes in flight at once (the rate limits pace them)")] = 4,
    fields: Annotated[str | None, typer.Option("--fields", help="custom fields to carry: all, none or NAME,NAME (default: "
                                                                "all; with --link/--only-shared the link's)")] = None,
) -> None:
    """Copy a whole project into another project (any tool to any tool); resumable: rerun to continue."""
    cfg = load_config(config)
    options = resolve_options(cfg, source, target, link=link, only_shared=only_shared, keep_linked=keep_linked,
                              dry_run=dry_run, fields=fields)
    console = Console(highlight=False, soft_wrap=True)
    progress = MigrationProgress(console)
    try:
        with prepared(cfg, options, listeners=[progress], workers=workers) as migration:
            report = migration.run()
    finally:
        progress.stop()
    print_report(console, report)
    raise typer.Exit(EXIT_OK if report.status in ("ok", "dry-run") else EXIT_FAILED)

