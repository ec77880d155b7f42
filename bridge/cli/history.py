"""``pm-bridge log``: the audit trail, read back: what was written where, when and why.

Every remote write the engine makes is an entry ``<side>.<action>`` (e.g.
``client.update``) with the op's reason, the fields written, the remote id and,
where the tool gave one, the item's URL; conflicts, their decisions and
resolutions, notices and guard stops are entries too (docs/console.md).

Exit codes: 0 done (also when nothing matches); 2 a user error (config, a --since it cannot read).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from bridge.cli.app import ConfigOption, app, friendly
from bridge.cli.conflicts import titles
from bridge.cli.status import state_exists
from bridge.config.load import load_config
from bridge.errors import BridgeError
from bridge.runtime import open_store, select_links
from bridge.store.records import ALERT, AuditEntry

_AGO = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """``30m``, ``2h``, ``3d``, ``1w`` ago, or an ISO date or time (local time when it has no zone)."""
    found = _AGO.match(text.strip().lower())
    if found:
        return now - dt.timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise BridgeError(f"--since {text!r} is neither a time ago nor a date",
                          hint="e.g. --since 2h, --since 3d or --since 2026-05-01") from None
    return stamp.astimezone(dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def entry_record(entry: AuditEntry, title: str | None) -> dict[str, Any]:
    return {
        "id": entry.id, "at": entry.at.isoformat(timespec="seconds"), "link": entry.link, "event": entry.event,
        "kind": entry.kind, "key": entry.key, "title": title, "detail": entry.detail, "run_id": entry.run_id,
    }


def describe(record: dict[str, Any]) -> str:
    """One readable line's tail: why, which fields, where."""
    detail = record["detail"]
    parts = []
    if "fields" in detail:
        parts.append(", ".join(detail["fields"]) or "-")
    if detail.get("reason"):
        parts.append(f"why: {detail['reason']}")
    if record["event"] in ("conflict", "conflict_settled"):
        parts.append(f"{detail.get('field')}: internal {detail.get('internal')!r}, client {detail.get('client')!r}"
                     f" → {detail.get('resolution')}")
    if record["event"] in ("conflict_decided", "conflict_resolved"):
        value = f" {detail.get('value')!r}" if detail.get("take") == "value" else ""
        parts.append(f"{detail.get('field')}: take {detail.get('take')}{value} by {detail.get('by')}"
                     + (f" ({detail['outcome']})" if detail.get("outcome") else ""))
    if record["event"] == "notice":
        parts.append(str(detail.get("message", "")))
    if record["event"] == ALERT:  # who was told what (bridge/alerts), and whether it got there
        parts.append(f"{record['kind']} {detail.get('state')}: {detail.get('subject')}")
        parts += [f"{channel} {outcome}" for channel, outcome in (detail.get("channels") or {}).items()]
    if detail.get("id"):
        parts.append(f"id {detail['id']}")
    if detail.get("url"):
        parts.append(str(detail["url"]))
    return "; ".join(parts)


@app.command("log")
@friendly
def log_command(
    config: ConfigOption = None,
    link: Annotated[list[str] | None, typer.Option("--link", "-l", help="only this link (repeatable)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="only entries since: 30m, 2h, 3d, 1w or a date")] = None,
    task: Annotated[str | None, typer.Option("--task", help="only entries about this task (internal or client id)")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="at most this many entries (the newest)")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines' worth as one JSON list, oldest first")] = False,
) -> None:
    """The audit trail, oldest first: every write (where, why, remote id and URL), conflict and decision."""
    cfg = load_config(config)
    names = select_links(cfg, link) if link else None
    start = parse_since(since, dt.datetime.now(dt.UTC)) if since else None
    if not state_exists(cfg.state):
        typer.echo("[]" if as_json else "No runs recorded yet: run `pm-bridge sync` first.")
        return
    store = open_store(cfg.state)
    try:
        keys = None
        if task:  # a client id names the same item as its pair's key
            keys = [task] + [p.key for n in (names or list(cfg.links)) for p in store.pairs(n) if p.client_id == task]
        entries = store.audit_search(links=names, since=start, keys=keys, limit=limit)[::-1]
        known = titles(store, {e.link for e in entries})
    finally:
        store.close()
    records = [entry_record(e, known.get((e.link, e.key or ""))) for e in entries]
    if as_json:
        typer.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False, soft_wrap=True)  # one line per entry, however narrow the terminal
    if not records:
        console.print("No matching entries.")
    for r in records:
        local = dt.datetime.fromisoformat(r["at"]).astimezone()
        item = f" {r['kind']} {r['title']!r}" if r["title"] else (f" {r['kind']} {r['key']}" if r["key"] else "")
        tail = describe(r)
        console.print(escape(f"{local:%Y-%m-%d %H:%M:%S} {r['link']} {r['event']}{item}" + (f": {tail}" if tail else "")))
