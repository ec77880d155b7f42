"""``pm-bridge status``: per link the last run, then open notices and conflicts; ``--json`` for scripts.

Up to 80 columns it prints one block per link instead of a table, so nothing
folds into a wrapped grid (docs/console.md).

Exit codes: 0 done (whatever the links' state: a script reads ``--json``); 2 a user error (config, state store).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bridge.cli.app import ConfigOption, app, friendly
from bridge.cli.conflicts import open_records, shown
from bridge.config.load import load_config
from bridge.config.schema import Config
from bridge.runtime import open_store
from bridge.store.records import RunInfo
from bridge.sync.progress import ICONS, short

NARROW = 80  # columns: at most this wide, one block per link


def state_exists(url: str) -> bool:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix) :] not in ("", ":memory:"):
        return Path(url[len(prefix) :]).exists()
    return True


def when(stamp: dt.datetime | None) -> str:
    if stamp is None:
        return "running"
    local = stamp.astimezone()
    ago = int((dt.datetime.now(dt.UTC) - stamp).total_seconds())
    if ago < 120:
        rel = f"{ago}s"
    elif ago < 7200:
        rel = f"{ago // 60} min"
    else:
        rel = f"{ago // 3600} h" if ago < 172800 else f"{ago // 86400} days"
    return f"{local:%Y-%m-%d %H:%M:%S} ({rel} ago)"


def _iso(stamp: dt.datetime | None) -> str | None:
    return None if stamp is None else stamp.isoformat(timespec="seconds")


def _run(run: RunInfo | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"run_id": run.run_id, "status": run.status, "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at), "counts": run.counts, "error": run.error}


def status_record(cfg: Config) -> dict[str, Any]:
    """What ``status --json`` prints: links with their last run, open conflicts and notices."""
    runs: dict[str, RunInfo] = {}
    conflicts: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    if state_exists(cfg.state):
        store = open_store(cfg.state)
        try:
            runs, conflicts = store.last_runs(), open_records(store, None)
            notices = [{"link": n.link, "key": n.key, "message": n.detail.get("message", n.key), "since": _iso(n.at)}
                       for n in store.open_notices()]
        finally:
            store.close()
    links = []
    for name in list(cfg.links) + sorted(set(runs) - set(cfg.links)):
        link = cfg.links.get(name)
        links.append({
            "name": name,
            "in_config": link is not None,
            "enabled": link.enabled if link is not None else None,
            "internal": None if link is None else {"connection": link.internal.connection, "project": link.internal.project},
            "client": None if link is None else {"connection": link.client.connection, "project": link.client.project},
            "last_run": _run(runs.get(name)),
            "open_conflicts": sum(1 for c in conflicts if c["link"] == name),
            "open_notices": sum(1 for n in notices if n["link"] == name),
        })
    return {"links": links, "conflicts": conflicts, "notices": notices}


@app.command()
@friendly
def status(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable: links, last runs, conflicts, notices")] = False,
) -> None:
    """Per link: the last run (status, time, counts, error), then open notices and conflicts."""
    cfg = load_config(config)
    if as_json:
        typer.echo(json.dumps(status_record(cfg), indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False)
    if not state_exists(cfg.state):
        console.print("No runs recorded yet: run `pm-bridge sync` first.")
        return
    record = status_record(cfg)
    narrow = console.width <= NARROW
    (_links_blocks if narrow else _links_table)(console, record["links"])
    if record["notices"]:
        console.print("Notices (fix these in the internal tool; each goes away once the next cycle no longer finds it):")
        for notice in record["notices"]:
            console.print(f"  ! {escape(notice['link'])}: {escape(str(notice['message']))}", style="yellow")
    if not record["conflicts"]:
        console.print("No open conflicts.")
        return
    (_conflict_blocks if narrow else _conflicts_table)(console, record["conflicts"])
    console.print("Resolve one with: pm-bridge conflicts resolve ID --take internal|client|value")


def _sides(link: dict[str, Any]) -> str:
    if not link["in_config"]:
        return "(not in config)"
    internal, client = link["internal"], link["client"]
    sides = f"{internal['connection']}:{internal['project']} → {client['connection']}:{client['project']}"
    return sides + ("" if link["enabled"] else " (disabled)")


def _counts(run: dict[str, Any]) -> str:
    return ", ".join(f"{v} {k}" for k, v in run["counts"].items() if v or k == "applied")


def _finished(run: dict[str, Any]) -> str:
    return when(dt.datetime.fromisoformat(run["finished_at"]) if run["finished_at"] else None)


def _links_table(console: Console, links: list[dict[str, Any]]) -> None:
    table = Table(title="Links", title_justify="left")
    for column in ("link", "internal → client", "last run", "status", "counts", "error"):
        table.add_column(column, overflow="fold")
    for link in links:
        run = link["last_run"]
        if run is None:
            table.add_row(escape(link["name"]), escape(_sides(link)), "never", "-", "", "")
            continue
        colour = ICONS.get(run["status"], ("", "white"))[1]
        table.add_row(escape(link["name"]), escape(_sides(link)), _finished(run),
                      f"[{colour}]{run['status']}[/{colour}]", _counts(run), escape(run["error"] or ""))
    console.print(table)


def _links_blocks(console: Console, links: list[dict[str, Any]]) -> None:
    for link in links:
        run = link["last_run"]
        icon, colour = ICONS.get(run["status"], ("·", "white")) if run else ("·", "white")
        console.print(f"[{colour}]{icon}[/{colour}] [bold]{escape(link['name'])}[/bold]: "
                      f"[{colour}]{run['status'] if run else 'never run'}[/{colour}]")
        console.print(f"    {escape(_sides(link))}")
        if run is not None:
            console.print(f"    last run {_finished(run)}")
            if _counts(run):
                console.print(f"    {_counts(run)}")
            if run["error"]:
                console.print(f"    error: {escape(run['error'])}", style="red")


def _value(value: Any) -> str:
    return short(value) if isinstance(value, str) else shown(value)


def _item(conflict: dict[str, Any]) -> str:
    return f"{conflict['kind']} {short(conflict['title']) if conflict['title'] else conflict['key']}"


def _conflicts_table(console: Console, conflicts: list[dict[str, Any]]) -> None:
    table = Table(title="Open conflicts (flagged for review)", title_justify="left")
    for column in ("id", "link", "item", "field", "internal", "client", "since"):
        table.add_column(column, overflow="fold")
    for c in conflicts:
        since = when(dt.datetime.fromisoformat(c["since"]))
        table.add_row(str(c["id"]), escape(c["link"]), escape(_item(c)), escape(str(c["field"])),
                      escape(_value(c["internal"])), escape(_value(c["client"])), since)
    console.print(table)


def _conflict_blocks(console: Console, conflicts: list[dict[str, Any]]) -> None:
    console.print("Open conflicts (flagged for review):")
    for c in conflicts:
        console.print(f"  #{c['id']} {escape(c['link'])}: {escape(_item(c))}")
        console.print(f"    {escape(str(c['field']))}: internal {escape(_value(c['internal']))}, "
                      f"client {escape(_value(c['client']))}")
        console.print(f"    since {when(dt.datetime.fromisoformat(c['since']))}")
