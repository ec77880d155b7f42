"""``pm-bridge conflicts list|show|resolve``: the conflicts a ``conflict: flag`` link left for a person.

``resolve`` only records the decision (link metadata, and a ``conflict_decided``
entry in the audit log); the link's next cycle writes the chosen value to the
side(s) that differ, closes the conflict and records ``conflict_resolved``
(bridge/sync/decisions.py, docs/console.md).

Exit codes: 0 done; 2 a user error (config, unknown or already closed conflict id, a value that does not fit).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bridge.cli.app import ConfigOption, LinkOption, app, friendly
from bridge.config.load import load_config
from bridge.errors import BridgeError
from bridge.runtime import open_store
from bridge.store import Store
from bridge.sync import decisions as decided
from bridge.sync.waiting import conflict_record, open_records, titles

conflicts_app = typer.Typer(help="List, show and resolve the conflicts flagged for review.", no_args_is_help=True)
app.add_typer(conflicts_app, name="conflicts")

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


class Take(StrEnum):
    internal = "internal"
    client = "client"
    value = "value"


def operator() -> str:
    """Who decided, for the audit log: the login and the machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def decision_text(decision: dict[str, Any] | None) -> str:
    if decision is None:
        return ""
    what = decision["take"] if decision["take"] != "value" else f"value {shown(decision['value'])}"
    return f"take {what} (by {decision['by']}, applies at the next cycle)"


def _store(config: Any) -> Store:
    cfg = load_config(config)
    return open_store(cfg.state)


@conflicts_app.command("list")
@friendly
def list_conflicts(config: ConfigOption = None, link: LinkOption = None, as_json: JsonOption = False) -> None:
    """The open conflicts, oldest first, with the id `show` and `resolve` take."""
    store = _store(config)
    try:
        records = open_records(store, link)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False)
    if not records:
        console.print("No open conflicts.")
        return
    table = Table(title="Open conflicts (flagged for review)", title_justify="left")
    for column in ("id", "link", "item", "field", "internal", "client", "since", "decision"):
        table.add_column(column, overflow="fold")
    for r in records:
        item = f"{r['kind']} {shown(r['title']) if r['title'] else r['key']}"
        table.add_row(
            str(r["id"]), escape(r["link"]), escape(item), escape(str(r["field"])), escape(shown(r["internal"])),
            escape(shown(r["client"])), r["since"], escape(decision_text(r["decision"]) or "waiting"),
        )
    console.print(table)


def _open_conflict(store: Store, conflict_id: int) -> dict[str, Any]:
    entry = store.audit_entry(conflict_id)
    if entry is None or entry.event != "conflict":
        raise BridgeError(f"no conflict with id {conflict_id}", hint="`pm-bridge conflicts list` shows the open ones")
    if entry.resolved_at is not None:
        raise BridgeError(
            f"conflict {conflict_id} was closed on {entry.resolved_at:%Y-%m-%d %H:%M}",
            hint="`pm-bridge log --task " + (entry.key or "") + "` shows what happened",
        )
    decision = next((d for d in decided.pending(store.link_meta(entry.link)) if d.conflict_id == conflict_id), None)
    title = titles(store, {entry.link}).get((entry.link, entry.key or ""))
    return conflict_record(entry, title, decision)


@conflicts_app.command("show")
@friendly
def show(
    conflict_id: Annotated[int, typer.Argument(metavar="ID", help="the id `conflicts list` shows")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """One open conflict in full: both values, the last agreed one, and any decision waiting for the next cycle."""
    store = _store(config)
    try:
        record = _open_conflict(store, conflict_id)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False, soft_wrap=True)
    item = f"{record['kind']} {shown(record['title']) if record['title'] else ''} (id {record['key']})"
    for label, value in (
        ("conflict", str(record["id"])), ("link", record["link"]), ("item", item), ("field", str(record["field"])),
        ("internal", shown(record["internal"])), ("client", shown(record["client"])),
        ("last agreed", shown(record["base"])), ("since", record["since"]),
        ("decision", decision_text(record["decision"]) or "none yet: pm-bridge conflicts resolve " + str(record["id"])
         + " --take internal|client|value"),
    ):
        console.print(f"{label:>12}  {escape(value)}")


@conflicts_app.command("resolve")
@friendly
def resolve(
    conflict_id: Annotated[int, typer.Argument(metavar="ID", help="the id `conflicts list` shows")],
    take: Annotated[Take, typer.Option("--take", help="keep the internal value, the client's, or --value")],
    value: Annotated[str | None, typer.Option("--value", help="with --take value: the value both sides get")] = None,
    config: ConfigOption = None,
    by: Annotated[str | None, typer.Option("--by", help="who decides (default: login@host)")] = None,
) -> None:
    """Decide a conflict; the link's next cycle writes the value where it differs and closes the conflict."""
    if (take == Take.value) != (value is not None):
        raise BridgeError("--value goes with --take value, and only with it", hint="e.g. --take value --value 2026-12-21")
    store = _store(config)
    try:
        record = _open_conflict(store, conflict_id)
        typed = _typed(record, value) if take == Take.value and value is not None else None
        decision = decided.Decision(
            conflict_id=conflict_id, kind=record["kind"], key=record["key"], field=record["field"],
            take=take.value, value=typed, by=by or operator(), at=decided.now_iso(),
        )
        store.set_link_meta(record["link"], **{decided.meta_name(conflict_id): decision.model_dump(mode="json")})
        store.audit(
            record["link"], "conflict_decided", kind=record["kind"], key=record["key"], detail=decision.model_dump(mode="json")
        )
    finally:
        store.close()
    Console(highlight=False, soft_wrap=True).print(
        f"conflict {conflict_id}: {escape(decision_text(decision.model_dump(mode='json')))}; "
        f"run `pm-bridge sync --link {escape(record['link'])}` to apply it now"
    )


def _typed(record: dict[str, Any], text: str) -> Any:
    like = record["internal"] if record["internal"] is not None else record["client"]
    try:
        value = decided.parse_value(text, like)
        if record["field"] in ("due", "start") and value is not None:
            dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BridgeError(f"--value {text!r} does not fit field {record['field']!r}: {exc}",
                          hint="dates as YYYY-MM-DD, done as true/false, lists comma-separated") from None
    return value
