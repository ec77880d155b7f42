"""Keeping every write within the target tool's text limits (``Capabilities.text_limits``).

One item over a limit must never fail a link for ever (issue 10): a tool that
refuses a 17,000-character description refuses it again every cycle. So the
planner writes a fitted form instead and compares against that same form, which
keeps a quiet cycle quiet (DESIGN invariant 4):

- outbound, the mirror view's title and notes are shortened, ending with a
  visible note, and a shared comment is split into "(1/n)" … "(n/n)" comments,
  the later parts keyed ``<comment key>~<n>``;
- inbound, client text going into the internal tool is shortened the same way,
  with a note that the full text stays in the client's tool;
- a client edit of a title or notes the client holds shortened (where the
  field's direction lets it in) replaces only the head the client sees: the rest,
  which the client never saw, stays in the internal text (:func:`keep_unseen_rest`).

Each fitted item is reported once as a ``text-shortened`` notice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bridge.core.mirror import MirrorItem, MirrorTask, MirrorView
from bridge.core.ops import Notice
from bridge.core.plan.context import PlanContext
from bridge.core.ports import Capabilities
from bridge.core.text_fit import SHORTENED_FOR_CLIENT, SHORTENED_TITLE, shorten, shortened_for_agency, split

CODE = "text-shortened"
EDITED = "shortened-text-edited"
PART = "~"  # a comment's later parts are keyed "<comment key>~2", "~3", …


def part_number(key: str) -> int:
    """1 for a whole comment or its first part, n for the key of its n-th part."""
    head, sep, tail = key.rpartition(PART)
    return int(tail) if sep and head and tail.isdigit() else 1


def _name(title: object) -> str:
    text = " ".join(str(title or "").split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _over(field: str, size: int, tool: str, limit: int) -> str:
    return f"{field} {size:,} characters, over {tool or 'the tool'}'s limit of {limit:,}"


def fit_view(view: MirrorView, caps: Capabilities) -> MirrorView:
    """The view as the client's tool can hold it, with a notice for every item that had to change."""
    limits = caps.text_limits
    if not limits:
        return view
    notices: list[Notice] = []
    tasks: dict[str, MirrorTask] = {}
    for key, task in view.tasks.items():
        fields = dict(task.fields)
        over: list[str] = []
        for name, note in (("title", SHORTENED_TITLE), ("notes", SHORTENED_FOR_CLIENT)):
            limit, value = limits.get(name), fields.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                fields[name] = shorten(value, limit, note)
                over.append(_over(name, len(value), caps.tool, limit))
        tasks[key] = replace(task, fields=fields) if over else task
        if over:
            message = f"task {_name(task.fields.get('title'))}: {'; '.join(over)}: the client sees it shortened, with a note"
            notices.append(Notice(code=CODE, key=key, message=message + "; shorten it in the agency's tool to lift this"))
    comments: dict[str, MirrorItem] = {}
    limit = limits.get("comment")
    for key, item in view.comments.items():
        parts = split(item.text, limit) if limit else [item.text]
        for number, text in enumerate(parts, 1):
            part_key = key if number == 1 else f"{key}{PART}{number}"
            comments[part_key] = item.model_copy(update={"key": part_key, "text": text})
        if len(parts) > 1 and limit:
            host = view.tasks.get(item.task)
            where = _name(host.fields.get("title")) if host else "a task"
            over_by = _over("it is", len(item.text), caps.tool, limit)
            message = f"a shared comment on {where}: {over_by}: it goes out as {len(parts)} comments"
            notices.append(Notice(code=CODE, key=key, message=message))
    return view.model_copy(update={"tasks": tasks, "comments": comments, "notices": [*view.notices, *notices]})


def fit_inbound(ctx: PlanContext, name: str, value: str, key: str, reserve: int = 0) -> str:
    """Client text for the internal tool's ``name`` field ("title", "notes", "comment"), shortened if it must be.

    ``reserve`` keeps room for what the bridge appends (the internal tail of the notes).
    """
    limit = ctx.internal_caps.text_limits.get(name)
    if not limit or len(value) + reserve <= limit:
        return value
    note = SHORTENED_TITLE if name == "title" else shortened_for_agency(ctx.client_caps.tool)
    fitted = shorten(value, max(limit - reserve, len(note) + 1), note)
    what = "a client comment" if name == "comment" else f"the client's {name}"
    tool = ctx.client_caps.tool or "tool"
    message = (
        f"{what} (client item {key}) is {len(value):,} characters, over {ctx.internal_caps.tool or 'the tool'}'s "
        f"room of {limit - reserve:,}: the internal copy is shortened; the full text stays in the client's {tool}"
    )
    if not any(n.code == CODE and n.key == key for n in ctx.plan.notices):
        ctx.plan.notices.append(Notice(code=CODE, key=key, message=message))
    return fitted


def keep_unseen_rest(ctx: PlanContext, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Client edits bound for the internal task, with a shortened field's unseen rest put back after the edit.

    The client's copy of a shortened title or notes is the head of the agency's
    text plus the note. Taken as is, an edit of it would replace the whole
    internal text and lose everything past the head. Refusing the edit would
    keep the agency's text but lose the client's. Splicing keeps both: the
    client's text (without the note, if they left it) replaces exactly the head
    they were shown, and the text after it stays. Only text the client could
    see is ever replaced, so no agency text is lost.
    """
    full_task = ctx.full_view.tasks.get(key) if ctx.full_view is not None else None
    shown_task = ctx.view.tasks.get(key)
    if full_task is None or shown_task is None:
        return changes
    out = dict(changes)
    for name, note in (("title", SHORTENED_TITLE), ("notes", SHORTENED_FOR_CLIENT)):
        full, shown, theirs = full_task.fields.get(name), shown_task.fields.get(name), changes.get(name)
        if not (isinstance(full, str) and isinstance(shown, str) and isinstance(theirs, str)) or full == shown:
            continue
        # What the client was shown of ``full``: shorten() keeps a prefix (none when only the note fit).
        head = shown[: -len(note)].rstrip() if shown.endswith(note) else ""
        edited = theirs.rstrip()
        edited = edited[: -len(note)].rstrip() if edited.endswith(note) else edited
        out[name] = edited + full[len(head):]
        rest = len(full) - len(head)
        message = (f"task {_name(full_task.fields.get('title'))}: the client edited its shortened {name}; the edit "
                   f"replaced the part they see, and the {rest:,} characters they never saw were kept after it")
        ctx.plan.notices.append(Notice(code=EDITED, key=f"{key}:{name}", message=message))
    return out
