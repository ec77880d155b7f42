"""The ``pm-bridge`` command: sync, status, check, emulate and the offline demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bridge import secrets
from bridge.errors import BridgeError

app = typer.Typer(add_completion=False, help="A curated, client-facing mirror between project-management tools.")
console = Console()
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="config file (default ./pm-bridge.yaml or $PM_BRIDGE_CONFIG)")]


def _fail(exc: BridgeError) -> None:
    console.print(f"[red]error:[/red] {secrets.redact(str(exc))}")
    raise typer.Exit(2)


@app.command()
def demo(internal: str = "asana", client: str = "trello") -> None:
    """Run the offline demo on the bundled emulators (no network, SQLite in a temp dir)."""
    from bridge.demo import run_demo

    try:
        raise typer.Exit(run_demo(internal, client, console))
    except BridgeError as exc:
        _fail(exc)


@app.command()
def sync(
    config: ConfigOption = None,
    link: Annotated[list[str] | None, typer.Option("--link", "-l", help="only these links")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan, write nothing")] = False,
    confirm_removals: Annotated[bool, typer.Option("--confirm-removals", help="allow a cycle the removal guard stopped")] = False,
) -> None:
    """Run one cycle of every (or the named) link."""
    from bridge.config import load_config
    from bridge.runtime import build_runtime

    try:
        runtime = build_runtime(load_config(config), link or [])
    except BridgeError as exc:
        _fail(exc)
    worst = 0
    for name, why in runtime.broken.items():
        console.print(f"[red]{name}: {secrets.redact(why)}")
        worst = 1
    for name, item in runtime.links.items():
        report = runtime.engine.run(item, dry_run=dry_run, confirm_removals=confirm_removals)
        colour = "green" if report.ok else "yellow" if report.status in ("partial", "guarded") else "red"
        console.print(f"[{colour}]{name}: {report.status}[/] applied {report.applied}, failed {report.failed}, deferred {report.deferred}")
        if report.plan is not None and dry_run:
            for op in report.plan.ordered():
                if op.is_write:
                    console.print(f"  {op.side:<8} {op.action:<6} {op.kind:<10} {op.key}  {sorted(op.fields)} {op.reason}")
        for error in report.errors[:5]:
            console.print(f"  [red]{error}")
        worst = max(worst, 3 if report.status == "guarded" else 1 if report.status == "failed" else 0)
    runtime.close()
    raise typer.Exit(worst)


@app.command()
def status(config: ConfigOption = None) -> None:
    """Last run of each link and open conflicts."""
    from bridge.config import load_config
    from bridge.runtime import open_store

    try:
        cfg = load_config(config)
        store = open_store(cfg.state)
    except BridgeError as exc:
        _fail(exc)
    runs = store.last_runs()
    for name in cfg.links:
        run = runs.get(name)
        conflicts = len(store.open_conflicts(name))
        if run is None:
            console.print(f"{name}: never ran")
        else:
            console.print(f"{name}: {run.status} at {run.finished_at or run.started_at}, {run.counts}, open conflicts {conflicts}")
            if run.error:
                console.print(f"  [red]{run.error}")


@app.command()
def check(config: ConfigOption = None) -> None:
    """Validate the config, credentials and that every link's projects are reachable."""
    from bridge.config import load_config
    from bridge.runtime import build_runtime

    try:
        runtime = build_runtime(load_config(config), [])
    except BridgeError as exc:
        _fail(exc)
    failed = bool(runtime.broken)
    for name, why in runtime.broken.items():
        console.print(f"[red]{name}: {secrets.redact(why)}")
    for name, item in runtime.links.items():
        for side_name, side in (("internal", item.internal), ("client", item.client)):
            try:
                result = side.connector.check(side.project_id)
                console.print(f"[green]{name}.{side_name}: ok[/] ({result.project_name})")
            except BridgeError as exc:
                console.print(f"[red]{name}.{side_name}: {secrets.redact(str(exc))}")
                failed = True
    runtime.close()
    raise typer.Exit(1 if failed else 0)


@app.command()
def emulate(tool: str, port: int = 8080, host: str = "127.0.0.1", seed: bool = False) -> None:
    """Serve a tool's emulator on a local port, with the sandbox users (and a demo project with --seed)."""
    from connectors.emulation.sandbox import USERS
    from connectors.emulation.serve import serve
    from connectors.registry import tool_module

    try:
        module = tool_module(tool)
    except BridgeError as exc:
        _fail(exc)
    emulator = module.Emulator()
    sandbox = module.Sandbox(emulator)
    emulator.base_url = f"http://{host}:{port}"
    if seed:
        project = sandbox.create_project("Acme website", ["Discovery", "Design", "Build", "Internal QA"])
        sandbox.setup_access_field(project)
        console.print(f"seeded project id: {project}")
    for user in USERS.values():
        console.print(f"user {user.name}: token {user.token}")
    console.print(f"{tool} emulator on http://{host}:{port} (Ctrl-C to stop)")
    serve(emulator, host, port)


def main() -> None:
    try:
        app()
    except BridgeError as exc:  # pragma: no cover - commands handle their own
        console.print(f"[red]error:[/red] {secrets.redact(str(exc))}")
        sys.exit(2)
