"""What ``pm-bridge sync`` prints: one line per cycle from the engine's events, and dry-run plans.

It sits beside the events it renders, below both front ends that print them (the CLI and the demo),
so neither imports the other's modules.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

from bridge import secrets
from bridge.core.model import Snapshot, Task
from bridge.core.ops import (
    CopyClientAttachment,
    CopyClientComment,
    CreateAttachment,
    CreateComment,
    Op,
    RenameSection,
    Side,
    UpdateComment,
    UpdateInternalTask,
    UpdateTask,
)
from bridge.sync.engine import CycleReport
from bridge.sync.events import CycleFinished, CycleStarted, Event, Noticed, OpApplied, OpFailed, Planned, Pulled

CLIENT_FIRST: tuple[Side, Side] = ("client", "internal")

ICONS = {
    "ok": ("✓", "green"), "dry-run": ("✓", "cyan"), "partial": ("!", "yellow"),
    "guarded": ("⚠", "yellow"), "failed": ("✗", "red"),
}


@dataclass
class _Cycle:
    started: float
    dry_run: bool
    pulls: list[str] = field(default_factory=list)
    planned: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    writes: Counter[str] = field(default_factory=Counter)


class Progress:
    """Listens to the engine's events and prints one line per finished cycle."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()  # ops are applied (and reported) from worker threads
        self._cycles: dict[str, _Cycle] = {}
        self.finished: list[CycleFinished] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._on(event)

    def _on(self, event: Event) -> None:
        if isinstance(event, CycleStarted):
            self._cycles[event.link] = _Cycle(time.monotonic(), event.dry_run)
            return
        cycle = self._cycles.setdefault(event.link, _Cycle(time.monotonic(), False))
        if isinstance(event, Pulled):
            how = "full" if event.full else "incremental"
            cost = f", {event.requests} req" if event.requests else ""  # only connectors that keep stats count
            cycle.pulls.append(f"{event.side} {event.tasks} tasks ({how}{cost})")
        elif isinstance(event, Planned):
            cycle.planned, cycle.conflicts = dict(event.writes), event.conflicts
        elif isinstance(event, OpApplied) and event.op.is_write:
            cycle.writes[event.op.side] += 1
        elif isinstance(event, OpFailed):
            error = escape(secrets.redact(event.error))
            self.console.print(f"  ! {event.link}: {escape(describe_op(event.op))} failed: {error}", style="yellow")
        elif isinstance(event, Noticed):
            self.console.print(f"  ! {escape(event.link)}: {escape(secrets.redact(event.notice.message))}", style="yellow")
        elif isinstance(event, CycleFinished):
            self.finished.append(event)
            self.console.print(self._line(event, cycle))

    def _line(self, event: CycleFinished, cycle: _Cycle) -> str:
        icon, colour = ICONS.get(event.status, ("?", "white"))
        parts = [f"[{colour}]{icon} {escape(event.link)}: {event.status}[/{colour}]"]
        if cycle.pulls:
            parts.append("pulled " + ", ".join(cycle.pulls))
        if cycle.dry_run:
            parts.append("would write " + ", ".join(f"{side} {cycle.planned.get(side, 0)}" for side in CLIENT_FIRST))
        elif event.status != "failed" or cycle.writes:
            parts.append("wrote " + ", ".join(f"{side} {cycle.writes[side]}" for side in CLIENT_FIRST))
        extra = {k: v for k, v in event.counts.items() if k in ("failed", "deferred") and v}
        parts += [f"{v} {k}" for k, v in extra.items()]
        parts.append(f"conflicts {cycle.conflicts}")
        parts.append(f"{time.monotonic() - cycle.started:.1f}s")
        line = " · ".join(parts)
        if event.error:
            line += f"\n    [{colour}]{escape(secrets.redact(event.error))}[/{colour}]"
        return line



def short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def describe_op(op: Op, report: CycleReport | None = None) -> str:
    """``task 'Homepage wireframes': due, notes`` for a person reading a plan."""
    own: Snapshot | None = None
    other: Snapshot | None = None
    if report is not None:
        own, other = (report.client, report.internal) if op.side == "client" else (report.internal, report.client)
    written = op.written
    target = str(getattr(op, "target_id", ""))
    if op.kind == "section":
        name = written.get("name") or (own.sections[target].name if own and target in own.sections else op.key)
    elif op.kind == "task":
        name = written.get("title") or (own.tasks[target].title if own and target in own.tasks else None)
        if name is None:  # a client-side op's key is the internal task's id
            name = other.tasks[op.key].title if other and op.key in other.tasks else op.key
    elif op.kind == "comment":
        name = written.get("text") or (own.comments[target].text if own and target in own.comments else op.key)
    else:
        name = written.get("name") or (own.attachments[target].name if own and target in own.attachments else op.key)
    text = f"{op.kind} {short(str(name))}"
    host_key = op.task_key if isinstance(op, CreateComment | CreateAttachment) else None
    host_key = op.client_task_id if isinstance(op, CopyClientComment | CopyClientAttachment) else host_key
    host = other.tasks.get(host_key or "") if other is not None else None
    if host is not None:
        text += f" on {short(host.title, 40)}"
    if op.action == "update":
        text += ": " + ", ".join(sorted(written))
    if op.reason and op.action != "update":
        text += f" ({op.reason})"
    return text


def _shown(value: Any, snapshot: Snapshot | None, field: str) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    if field in ("section_id", "section") and snapshot is not None and str(value) in snapshot.sections:
        value = snapshot.sections[str(value)].name
    if field == "assignees" and snapshot is not None and isinstance(value, list):
        value = ", ".join(snapshot.people[p].name if p in snapshot.people else str(p) for p in value)
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return short(str(value), 40)


def _current(task: Task | None, field: str, snapshot: Snapshot | None) -> str:
    if task is None:
        return "(none)"
    name = {"section": "section_id", "parent": "parent_id"}.get(field, field)
    return _shown(getattr(task, name, None), snapshot, name)


def before_after(op: Op, report: CycleReport) -> list[str]:
    """``field: before → after`` for every field an update changes.

    Each line shows one side's values only: a client-side update, what the client
    holds and what the mirror gives it (values it may see); an internal-side
    update, the internal values. Hidden internal text never appears on a client line.
    """
    own = report.client if op.side == "client" else report.internal
    if isinstance(op, RenameSection):
        before = own.sections[op.target_id].name if own and op.target_id in own.sections else None
        return [f"name: {_shown(before, None, 'name')} → {_shown(op.name, None, 'name')}"]
    if isinstance(op, UpdateComment):
        before = own.comments[op.target_id].text if own and op.target_id in own.comments else None
        return [f"text: {_shown(before, None, 'text')} → {_shown(op.text, None, 'text')}"]
    if not isinstance(op, UpdateTask | UpdateInternalTask):
        return []
    task = own.tasks.get(op.target_id) if own else None
    lines = []
    for name, value in sorted(op.changes.items()):
        if name in ("section", "parent"):  # planner keys: the line says where it sits now
            lines.append(f"{name}: {_current(task, name, own)} → (the mirror's place)")
        else:
            lines.append(f"{name}: {_current(task, name, own)} → {_shown(value, own, name)}")
    if isinstance(op, UpdateInternalTask) and op.section_name:
        lines.append(f"section: {_current(task, 'section_id', own)} → {short(op.section_name, 40)}")
    return lines


def print_plan(console: Console, report: CycleReport) -> None:
    plan = report.plan
    if plan is None:
        return
    console.print(f"  plan for [bold]{escape(report.link)}[/bold] (dry run: nothing was written)")
    marks = {"create": "+", "update": "~", "remove": "-"}
    for side in CLIENT_FIRST:
        writes = plan.writes(side)
        if not writes:
            console.print(f"    {side} side: nothing to do")
            continue
        counts = Counter[str](op.action for op in writes)
        console.print(f"    {side} side: " + ", ".join(f"{counts[a]} {a}s" for a in marks if counts[a]))
        for action, mark in marks.items():
            for op in (o for o in writes if o.action == action):
                console.print(f"      {mark} {escape(describe_op(op, report))}")
                for line in before_after(op, report):
                    console.print(f"          {escape(line)}")
    for conflict in plan.conflicts:
        task = report.internal.tasks.get(conflict.key) if report.internal else None
        what = short(task.title) if task else conflict.key
        console.print(f"    conflict: {conflict.kind} {what} field {conflict.field}: {conflict.resolution}", style="yellow")
