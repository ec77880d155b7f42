"""The state one planning pass shares between its parts (sections, tasks, comments, requests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bridge.core.fields import PREFIX, lookup
from bridge.core.link import Pair, PairIndex
from bridge.core.mirror import MirrorView
from bridge.core.model import Snapshot, Task
from bridge.core.ops import Op, Plan
from bridge.core.people import internal_audience
from bridge.core.plan.decide import Facts
from bridge.core.ports import Capabilities
from bridge.core.rules import LinkRules
from bridge.richtext.audience import Audience

MISSING = object()


@dataclass
class PlanContext:
    internal: Snapshot
    client: Snapshot
    view: MirrorView
    pairs: PairIndex
    rules: LinkRules
    client_caps: Capabilities
    internal_caps: Capabilities
    link_started: dt.datetime | None = None
    plan: Plan = field(default_factory=Plan)
    # client ids already claimed by a pair or by an adoption in this plan
    claimed: set[tuple[str, str]] = field(default_factory=set)
    # client tasks taken in as new requests by this plan
    requested: set[str] = field(default_factory=set)
    # adoptions made by this plan: (kind, key) -> client id, and back
    adopted: dict[tuple[str, str], str] = field(default_factory=dict)
    adopted_back: dict[tuple[str, str], str] = field(default_factory=dict)
    # The view before fitting to the client's text limits (bridge/core/plan/limits.py): the full texts.
    full_view: MirrorView | None = None
    # internal task key -> its place in the agency's order (bridge/core/plan/order.py), worked out once per plan
    internal_orders: dict[str, tuple[float, float, str]] = field(default_factory=dict)

    @cached_property
    def internal_audience(self) -> Audience:
        """Whom the internal tool knows, for mentions in client input (``people.map`` read backwards)."""
        return internal_audience(self.internal.people, self.client.people, self.rules.mirror.people, self.client_caps.tool)

    def adopt(self, kind: str, key: str, client_id: str) -> None:
        self.claimed.add((kind, client_id))
        self.adopted[(kind, key)] = client_id
        self.adopted_back[(kind, client_id)] = key

    def client_id_of(self, kind: str, key: str) -> str | None:
        pair = self.pairs.get(kind, key)
        return pair.client_id if pair and pair.client_id else self.adopted.get((kind, key))

    def client_ids_of(self, kind: str, keys: Iterable[str]) -> dict[str, str | None]:
        """:meth:`client_id_of` for many keys at once (the order pass asks for every card of a list)."""
        by_key, adopted = self.pairs.by_key, self.adopted
        out: dict[str, str | None] = {}
        for key in keys:
            pair = by_key.get((kind, key))
            out[key] = pair.client_id if pair and pair.client_id else adopted.get((kind, key))
        return out

    def archived_host(self, task_key: str) -> bool:
        """Is the client copy of this task archived (``Snapshot.archived``)? What hangs off it waits for its restore."""
        client_id = self.client_id_of("task", task_key)
        return client_id is not None and client_id in self.client.archived

    def emit(self, op: Op) -> None:
        self.plan.ops.append(op)

    def facts(
        self, *, wanted: bool, pair: Pair | None, on_client: bool, archived: bool = False, host_archived: bool = False
    ) -> Facts:
        """What the decision table (bridge/core/plan/decide.py) needs to know of one item."""
        return Facts(wanted, pair is not None, on_client, archived, host_archived, self.internal.complete, self.client.complete)

    def client_section_key(self, section_id: str | None) -> str | None:
        if section_id is None:
            return None
        pair = self.pairs.for_client("section", section_id)
        return pair.key if pair else self.adopted_back.get(("section", section_id), f"client:{section_id}")

    def client_task_key(self, task_id: str | None) -> str | None:
        if task_id is None:
            return None
        pair = self.pairs.for_client("task", task_id)
        return pair.key if pair else self.adopted_back.get(("task", task_id), f"client:{task_id}")


def client_value(task: Task, name: str) -> Any:
    if name.startswith(PREFIX):
        return lookup(task.custom_fields, name[len(PREFIX):])
    value = getattr(task, name)
    if name in ("assignees", "labels"):
        return sorted(set(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def client_fields(task: Task, names: list[str]) -> dict[str, Any]:
    """``client_value`` of each name, inlined: the task merge reads it for every linked task of every cycle."""
    out: dict[str, Any] = {}
    for name in names:
        if name.startswith(PREFIX):  # a custom field the link maps (bridge/core/fields.py)
            out[name] = lookup(task.custom_fields, name[len(PREFIX):])
            continue
        value = getattr(task, name)
        if name in ("assignees", "labels"):
            value = sorted(set(value))
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[name] = value
    return out
