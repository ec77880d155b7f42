"""What the planner asks the engine to do: one remote write (or one bookkeeping step) each.

Ops name items by planner *keys*, not only remote ids, because an op may
depend on an item another op of the same plan creates (a comment on a task
created this cycle). The engine resolves keys to ids at apply time.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Side = Literal["internal", "client"]
ItemKind = Literal["section", "task", "comment", "attachment"]
Action = Literal["create", "update", "remove", "adopt", "forget", "rebase"]

# An internal update field naming a section that may not exist yet (the engine
# finds or creates it); used by approvals into a configured internal section.
SECTION_BY_NAME = "section_by_name"
# A task change: put the card right after this client task id in its list (None: at the top).
# Each connector turns it into its tool's own position (bridge/core/ports.py).
AFTER = "after"
# A task change: False takes the task out of its tool's archive (connectors/base.Capabilities.restore).
ARCHIVED = "archived"
# An AFTER naming a card created earlier in the same cycle: "key:<pair key>", resolved by apply.
CREATED = "key:"

# Order in which the engine applies ops: bookkeeping, then containers before
# contents, and removals last (contents before containers).
_KIND_RANK = {"section": 0, "task": 1, "comment": 2, "attachment": 2}


def _phase(kind: ItemKind, action: Action) -> int:
    if action in ("adopt", "rebase", "forget"):
        return 0
    if action == "remove":
        return 10 - _KIND_RANK[kind]
    return 1 + _KIND_RANK[kind]


class Op(BaseModel):
    side: Side  # where the write happens
    action: Action
    kind: ItemKind
    key: str  # the pair key this op is about
    target_id: str | None = None  # remote id on ``side`` for update/remove
    client_id: str | None = None  # for adopt: the client item being claimed
    internal_id: str | None = None
    # create/update payload. Client side: projected field names with ``section``/``parent``
    # as planner keys. Internal side: canonical Task fields with internal ids.
    fields: dict[str, Any] = Field(default_factory=dict)
    # For ops on the client side that depend on a task: the task's pair key; for
    # inbound ops: the client id of the task (resolved through the id map).
    task_key: str | None = None
    base: dict[str, Any] | None = None  # the base to record once the write succeeded
    origin: Literal["internal", "client"] = "internal"
    reason: str = ""
    depth: int = 0  # subtasks after their parents
    # Ops that place cards in one client list run one after another, by this rank (plan_order.py).
    order: int | None = None

    @property
    def phase(self) -> tuple[int, int]:
        return (_phase(self.kind, self.action), self.depth)

    @property
    def is_write(self) -> bool:
        return self.action in ("create", "update", "remove")


class Conflict(BaseModel):
    kind: ItemKind
    key: str
    field: str
    internal: Any
    client: Any
    base: Any
    resolution: Literal["internal", "client", "flagged"]


class Notice(BaseModel):
    """Something the agency should fix, found while planning (a marker near miss, a shortened text).

    ``code`` and ``key`` identify it across cycles: the engine reports a notice
    once, when it first appears, and ``status`` lists it until it is gone.
    """

    model_config = ConfigDict(frozen=True)

    code: str  # what kind of thing: "marker-near-miss", "text-shortened", ...
    key: str  # the item it is about (usually an internal id), so the same finding is not reported twice
    message: str  # one readable line: what was found and what to do; never a token, never hidden client text


class Plan(BaseModel):
    ops: list[Op] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    removals: int = 0  # client-side task removals (the guard's numerator)
    mirrored: int = 0  # task pairs before this plan (the guard's denominator)
    notices: list[Notice] = Field(default_factory=list)

    def writes(self, side: Side | None = None) -> list[Op]:
        return [op for op in self.ops if op.is_write and (side is None or op.side == side)]

    def ordered(self) -> list[Op]:
        return sorted(self.ops, key=lambda op: op.phase)
