"""An operator's answer to a flagged conflict, carried out by the next cycle (docs/console.md).

``pm-bridge conflicts resolve`` stores a :class:`Decision` in the link's
metadata; it names the value both sides must end up with. The planner stays
pure and knows nothing of decisions: before planning, the engine rewrites
its *inputs* (the pair's base and, for a typed value, the client's cached
value) so the planner's ordinary three-way merge writes the chosen value:

- the client already holds it: the base becomes the internal value, so only
  the client "changed" and the value goes inbound;
- the internal side holds it: the base becomes the client's value, so only the
  internal side "changed" and the value goes out;
- neither holds it (a typed value): the client's cached value becomes the
  typed one and the base the internal value, so it goes inbound first; once
  the internal side holds it the second case sends it out (in the same cycle,
  through the engine's settle pass, or the next one).

A decision is done, and its conflict closed, once both sides hold the value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel

from bridge.core.link import Pair
from bridge.core.mirror import MirrorView
from bridge.core.model import Snapshot
from bridge.core.plan.context import client_value
from bridge.core.plan.merge import same

Take = Literal["internal", "client", "value"]
PREFIX = "decision:"  # link_meta name: "decision:<conflict id>"


class Decision(BaseModel):
    conflict_id: int
    kind: str
    key: str
    field: str
    take: Take
    value: Any = None  # for take == "value": in the mirror's terms, as ``conflicts show`` prints them
    by: str
    at: str  # ISO time of the decision


def meta_name(conflict_id: int) -> str:
    return f"{PREFIX}{conflict_id}"


def pending(meta: dict[str, Any]) -> list[Decision]:
    """The link's decisions not yet carried out (a carried-out one is stored as null)."""
    found = [Decision.model_validate(value) for name, value in meta.items() if name.startswith(PREFIX) and value]
    return sorted(found, key=lambda d: d.conflict_id)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _values(decision: Decision, view: MirrorView, client: Snapshot, pair: Pair | None) -> tuple[Any, Any] | None:
    """(internal, client) values of the decided field, in the mirror's terms; None when the item is gone."""
    wanted = view.tasks.get(decision.key)
    task = client.tasks.get(pair.client_id or "") if pair is not None else None
    if wanted is None or task is None or decision.field not in wanted.fields:
        return None
    return wanted.fields[decision.field], client_value(task, decision.field)


def chosen(decision: Decision, mine: Any, theirs: Any) -> Any:
    if decision.take == "internal":
        return mine
    return theirs if decision.take == "client" else decision.value


def prepare(
    decisions: list[Decision], view: MirrorView, client: Snapshot, pairs: list[Pair]
) -> tuple[Snapshot, list[Pair]]:
    """The client snapshot and pairs to plan with so the plan carries the decisions out (copies; inputs untouched)."""
    by_key: dict[tuple[str, str], Pair] = {(p.kind, p.key): p for p in pairs}
    tasks = dict(client.tasks)
    for decision in decisions:
        pair = by_key.get((decision.kind, decision.key))
        found = _values(decision, view, client, pair)
        if found is None or pair is None:
            continue
        mine, theirs = found
        value = chosen(decision, mine, theirs)
        name = decision.field
        if same(name, mine, value) and same(name, theirs, value):
            base = value
        elif same(name, mine, value):
            base = theirs  # only the internal side differs from the base: the value goes out
        else:
            base = mine  # only the client differs: the value comes in
            if not same(name, theirs, value):
                task = tasks[pair.client_id or ""]
                tasks[task.id] = task.model_copy(update={name: _task_value(name, value)})
        by_key[(pair.kind, pair.key)] = pair.model_copy(update={"base": {**pair.base, name: base}})
    return client.model_copy(update={"tasks": tasks}), list(by_key.values())


def outcome(decision: Decision, view: MirrorView, client: Snapshot, pair: Pair | None) -> str | None:
    """"applied" once both sides hold the chosen value, "item gone" if the item left the mirror, else None."""
    found = _values(decision, view, client, pair)
    if found is None:
        return "item gone"
    mine, theirs = found
    value = chosen(decision, mine, theirs)
    return "applied" if same(decision.field, mine, value) and same(decision.field, theirs, value) else None


def _task_value(name: str, value: Any) -> Any:
    """A mirror-terms value as the Task model holds it (dates are ISO strings in the mirror)."""
    if name in ("due", "start"):
        return dt.date.fromisoformat(value) if value else None
    return value


def parse_value(text: str, like: Any) -> Any:
    """A typed ``--value`` in the type the conflict's values have (a bool, a list, a date or text)."""
    if isinstance(like, bool):
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise ValueError("expected true or false")
        return lowered in ("true", "yes", "1")
    if isinstance(like, list):
        return sorted({part.strip() for part in text.split(",") if part.strip()})
    if text.strip() == "":
        return None
    return text
