"""The ``pm-bridge`` command line: sync, check, emulate, demo (status: bridge/cli/status.py).

Exit codes: 0 all good; 1 a link failed (or an unexpected error); 2 a user
error (bad config, credential, project: one red line and a hint, never a
traceback); 3 the mass-removal guard stopped a link; 4 ``sync`` skipped a
link because a daemon (or another sync) holds its lease.
"""

from __future__ import annotations

import functools
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec

import click
import typer
from rich.console import Console
from rich.markup import escape

from bridge import secrets
from bridge.alerts.alerter import Alerter
from bridge.cli.check import check_state, connection_warnings, field_problems
from bridge.clock import Clock, RealClock
from bridge.config.load import find_config, load_config
from bridge.errors import BridgeError, NotFound, Transient
from bridge.runtime import SIDES, Runtime, build_connectors, build_runtime, rule_problems, select_links
from bridge.sync.progress import Progress, print_plan

if TYPE_CHECKING:
    from bridge.daemon.leases import Holder

EXIT_OK, EXIT_FAILED, EXIT_USER, EXIT_GUARD, EXIT_HELD = 0, 1, 2, 3, 4

app = typer.Typer(
    name="pm-bridge",
    help="Keep a curated, client-facing mirror of an internal project in the client's own tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="config file (default: $PM_BRIDGE_CONFIG or ./pm-bridge.yaml)")
]
LinkOption = Annotated[list[str] | None, typer.Option("--link", "-l", help="only this link (repeatable)")]


class Tool(StrEnum):
    asana = "asana"
    trello = "trello"
    github = "github"
    basecamp = "basecamp"


class ClientTool(StrEnum):
    """What ``demo --client`` takes: any tool, or a client who reads and answers by email (docs/email.md)."""

    asana = "asana"
    trello = "trello"
    github = "github"
    basecamp = "basecamp"
    email = "email"


@dataclass
class Settings:
    debug: bool = False


# Set by the root callback on every invocation (typer does not expose click's context to commands).
SETTINGS = Settings()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", envvar="PM_BRIDGE_DEBUG", help="show tracebacks")] = False,
) -> None:
    SETTINGS.debug = debug


def _debug() -> bool:
    return SETTINGS.debug


def _stderr() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def print_error(exc: BridgeError) -> None:
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    console = _stderr()
    console.print(f"error: {escape(secrets.redact(message))}", style="red")
    if exc.hint:
        console.print(f"hint: {escape(secrets.redact(exc.hint))}", style="dim")


def print_crash(exc: BaseException, what: str = "unexpected error") -> None:
    console = _stderr()
    if _debug():
        console.print(escape(secrets.redact("".join(traceback.format_exception(exc)))))
    detail = secrets.redact(str(exc)).splitlines()[0] if str(exc) else ""
    console.print(f"{what}: {type(exc).__name__}{': ' + escape(detail) if detail else ''}", style="red")
    if not _debug():
        console.print("hint: rerun with `pm-bridge --debug ...` for the traceback, and report it if it persists", style="dim")


P = ParamSpec("P")


def friendly(command: Callable[P, None]) -> Callable[P, None]:
    """User errors become one red line and exit 2; anything else a short message and exit 1."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except (typer.Exit, click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BridgeError as exc:
            print_error(exc)
            raise typer.Exit(EXIT_USER) from None
        except KeyboardInterrupt:
            _stderr().print("interrupted", style="red")
            raise typer.Exit(130) from None
        except Exception as exc:
            print_crash(exc)
            raise typer.Exit(EXIT_FAILED) from None

    return run


# -- commands --------------------------------------------------------------------------------


def _run_link(
    runtime: Runtime, name: str, console: Console, dry_run: bool, confirm: bool, alerter: Alerter | None = None
) -> str:
    if name in runtime.broken:
        message = runtime.broken[name]
        run_id = runtime.store.start_run(name)
        runtime.store.finish_run(run_id, "failed", {}, message)
        console.print(f"[red]✗ {escape(name)}: failed[/red]\n    [red]{escape(message)}[/red]")
        return "failed"
    try:
        report = runtime.engine.run(runtime.links[name], dry_run=dry_run, confirm_removals=confirm)
    except Exception as exc:  # a bug in one link must not stop the others
        print_crash(exc, f"link {name!r} stopped on an unexpected error")
        return "failed"
    if dry_run:
        print_plan(console, report)
    elif alerter is not None:
        # What `sync` can judge on its own: a guard stop and a refused credential (docs/alerts.md).
        link = runtime.config.links[name]
        error = "; ".join(report.errors[:3]) or None
        connections = (link.internal.connection, link.client.connection)
        alerter.after_cycle(name, report.status, error=error, cause=report.cause, connections=connections)
        _print_alerts(console, alerter)
    return report.status


def _print_alerts(console: Console, alerter: Alerter) -> None:
    for alert, outcome in alerter.outcomes:
        for channel, error in outcome.items():
            if error is None:
                console.print(f"[dim]  alert sent by {channel}: {escape(alert.subject)}[/dim]")
            else:
                console.print(f"[yellow]  ! alert not sent by {channel}: {escape(error)}[/yellow]")
    alerter.outcomes.clear()


# How ``sync --wait`` passes the time: module-level so that tests can make it pass at once.
WAIT_CLOCK: Clock = RealClock()
WAIT_POLL = 1.0  # seconds between attempts at a held lease


def _holder_text(holder: Holder | None) -> str:
    if holder is None:
        return "another process"  # released between the attempt and the look-up
    if holder.is_sync:
        return f"another pm-bridge sync ({holder.owner})"
    return f"pm-bridge daemon {holder.owner}"


def _held_line(name: str, holder: Holder | None, waited: float) -> str:
    """Who holds the link, and what the operator can do about it."""
    who = _holder_text(holder)
    daemon = holder is not None and not holder.is_sync
    if waited:
        what = f"still held by {who} after waiting {waited:g} s"
        advice = "stop that daemon to sync it by hand" if daemon else "rerun when it is done"
    elif daemon:
        what, advice = f"{who} runs this link", "stop that daemon to sync it by hand (or add --wait SECONDS if it is stopping)"
    else:
        what, advice = f"{who} is running this link", "rerun when it is done, or add --wait SECONDS"
    return f"– {name}: skipped, {what}; {advice}"


def _run_leased(
    runtime: Runtime, names: list[str], console: Console, confirm: bool, wait: float, alerter: Alerter | None = None
) -> dict[str, str]:
    """Each link's cycle under the link's lease, the one daemons take, so it never overlaps a daemon's cycle.

    A held link is skipped (status "held") after waiting up to ``wait`` seconds, while the free ones run.
    """
    from bridge.daemon.leases import LeaseKeeper, holders, sync_id  # the daemon package is slow to import

    keeper = LeaseKeeper(runtime.store, sync_id(), runtime.config.daemon.lease_ttl)
    statuses: dict[str, str] = {}

    def attempt(name: str) -> bool:
        if not keeper.acquire(name):
            return False
        try:
            statuses[name] = _run_link(runtime, name, console, False, confirm, alerter)
        finally:
            keeper.release(name)
        return True

    keeper.start()  # renews the lease of the link running now, however long its cycle takes
    try:
        held = [name for name in names if not attempt(name)]
        if held and wait > 0:
            who = {name: _holder_text(h) for name, h in holders(runtime.store, held).items()}
            for name in held:
                console.print(
                    f"[dim]… {escape(name)}: held by {escape(who.get(name, 'another process'))}; waiting up to {wait:g} s[/dim]"
                )
            deadline = WAIT_CLOCK.now() + wait
            while held and WAIT_CLOCK.now() < deadline:
                WAIT_CLOCK.sleep(min(WAIT_POLL, deadline - WAIT_CLOCK.now()))
                held = [name for name in held if not attempt(name)]
        found = holders(runtime.store, held)
        for name in held:
            console.print(escape(_held_line(name, found.get(name), wait)), style="yellow")
            statuses[name] = "held"
    finally:
        keeper.stop()
        keeper.release_all()  # only after an interruption does it find any left
    return {name: statuses[name] for name in names}


def exit_code(statuses: dict[str, str]) -> int:
    values = set(statuses.values())
    if values & {"failed", "partial"}:
        return EXIT_FAILED
    if "guarded" in values:
        return EXIT_GUARD
    return EXIT_HELD if "held" in values else EXIT_OK


@app.command()
@friendly
def sync(
    config: ConfigOption = None,
    link: LinkOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="plan and print, write nothing")] = False,
    confirm_removals: Annotated[bool, typer.Option("--confirm-removals", help="allow a cycle the removal guard stopped")] = False,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, metavar="SECONDS", help="wait up to SECONDS for links a daemon or another sync holds"),
    ] = 0,
) -> None:
    """Run one cycle of each link (or of the --link ones); links a running daemon holds are skipped."""
    cfg = load_config(config)
    names = select_links(cfg, link or [])
    console = Console(highlight=False, soft_wrap=True)  # one line per event, however narrow the terminal
    runtime = build_runtime(cfg, names, listeners=[Progress(console)])
    try:
        if dry_run:  # a plan writes to neither tool, so it may run beside a daemon: no lease
            statuses = {name: _run_link(runtime, name, console, True, confirm_removals) for name in names}
        else:
            alerter = Alerter(cfg.alerts, runtime.store)
            statuses = _run_leased(runtime, names, console, confirm_removals, wait, alerter)
            alerter.check_conflicts([name for name, status in statuses.items() if status != "held"], configured=cfg.links)
            _print_alerts(console, alerter)
    finally:
        runtime.close()
    raise typer.Exit(exit_code(statuses))


@app.command()
@friendly
def check(config: ConfigOption = None, link: LinkOption = None) -> None:
    """Validate the config, open the state store, then check each link's credentials and projects."""
    path = find_config(config)
    cfg = load_config(path)
    console = Console(highlight=False, soft_wrap=True)
    sizes = f"{_count(len(cfg.connections), 'connection')}, {_count(len(cfg.links), 'link')}"
    console.print(f"[green]✓[/green] config {escape(str(path))}: {sizes}")
    names = select_links(cfg, link or [])
    worst = EXIT_OK if check_state(console, cfg.state) else EXIT_USER
    used = [getattr(cfg.links[n], side).connection for n in names for side in SIDES]
    for warning in connection_warnings(cfg, used):
        console.print(f"[yellow]! {escape(warning)}[/yellow]")
    connectors, failed = build_connectors(cfg, used)
    try:
        for name in names:
            link_cfg = cfg.links[name]
            sides = [connectors.get(getattr(link_cfg, side).connection) for side in SIDES]
            if sides[0] is not None and sides[1] is not None:
                for problem in rule_problems(name, link_cfg, sides[0].capabilities, sides[1].capabilities):
                    console.print(f"[red]✗ {escape(problem)}[/red]")
                    worst = EXIT_USER
            for side in SIDES:
                where = getattr(cfg.links[name], side)
                label = f"{name} {side} ({where.connection}, project {where.project})"
                if where.connection in failed:
                    console.print(f"[red]✗ {escape(label)}: {escape(failed[where.connection])}[/red]")
                    worst = EXIT_USER
                    continue
                try:
                    result = connectors[where.connection].check(where.project)
                except BridgeError as exc:
                    hint = f"check links.{name}.{side}.project" if isinstance(exc, NotFound) else exc.hint
                    message = escape(secrets.redact(str(exc.args[0]) if exc.args else type(exc).__name__))
                    console.print(f"[red]✗ {escape(label)}: {message}[/red]" + (f"\n    hint: {escape(hint)}" if hint else ""))
                    worst = max(worst, EXIT_FAILED if isinstance(exc, Transient) else EXIT_USER)
                    continue
                found = f"signed in as {escape(result.user)}, project {escape(repr(result.project_name))}"
                console.print(f"[green]✓[/green] {escape(label)}: {found}")
                for error, problem in field_problems(name, link_cfg, side, result.fields):
                    console.print(f"[red]✗ {escape(problem)}[/red]" if error else f"[yellow]! {escape(problem)}[/yellow]")
                    worst = max(worst, EXIT_USER if error else EXIT_OK)
    finally:
        for connector in connectors.values():
            connector.close()
    for unused in sorted(set(cfg.connections) - set(used)):
        console.print(f"  connection {unused!r} is not used by the checked links (not checked)", style="dim")
    raise typer.Exit(worst)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@app.command()
@friendly
def emulate(
    tool: Annotated[Tool, typer.Argument(help="which tool's API to emulate")],
    port: Annotated[int | None, typer.Option(help="port (default: asana 8701, trello 8702, github 8703, basecamp 8704)")] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    seed: Annotated[bool, typer.Option("--seed", help="create the demo agency project and an empty client project")] = False,
) -> None:
    """Serve a local emulator of a tool's API, to rehearse a config without touching the real service."""
    from bridge.demo.emulate import DEFAULT_PORTS, prepare, print_instructions, serve

    chosen = port or DEFAULT_PORTS[tool.value]
    if not _port_free(host, chosen):
        raise BridgeError(f"port {chosen} on {host} is already in use", hint="pick another with --port N")
    rehearsal = prepare(tool.value, host, chosen, seed=seed)
    print_instructions(Console(highlight=False), rehearsal)
    serve(rehearsal, host, chosen)


@app.command()
@friendly
def demo(
    internal: Annotated[Tool, typer.Option("--internal", help="the agency's tool")] = Tool.asana,
    client: Annotated[ClientTool, typer.Option("--client", help="the client's tool, or email")] = ClientTool.trello,
    clients: Annotated[
        int, typer.Option("--clients", min=1, max=2, help="2: one internal project, two clients in different tools")
    ] = 1,
) -> None:
    """A fully offline walk-through on emulated tools: mirror, client input, idempotence."""
    if client is ClientTool.email:
        if clients == 2:
            raise BridgeError("--client email plays the one-client story", hint="drop --clients 2")
        from bridge.demo.email_client import run_email_demo

        raise typer.Exit(run_email_demo(Console(highlight=False), internal.value))
    if clients == 2:
        from bridge.demo.clients import run_clients_demo

        raise typer.Exit(run_clients_demo(Console(highlight=False), internal.value, client.value))
    from bridge.demo.story import run_demo

    raise typer.Exit(run_demo(Console(highlight=False), internal.value, client.value))
