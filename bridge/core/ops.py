"""What the planner asks the engine to do: one typed op per intent, one remote write (or one bookkeeping step) each.

Ops name items by planner *keys*, not only remote ids, because an op may
depend on an item another op of the same plan creates (a comment on a task
created this cycle). The engine resolves keys to ids at apply time
(bridge/sync/apply.py, one function per op type).

The common base holds only what the engine, the audit log, the guard and the
progress printer read: side, kind, key, action, reason, the base to record, and
the phase the op runs in.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Side = Literal["internal", "client"]
ItemKind = Literal["section", "task", "comment", "attachment"]
Action = Literal["create", "update", "remove", "adopt", "forget", "rebase"]

# Keys of the change dict a connector's ``update_task`` takes (bridge/core/ports.py), beside task fields:
# put the card right after this client task id (None: at the top), and take it out of its tool's archive.
AFTER = "after"
ARCHIVED = "archived"

# Order in which the engine applies ops: bookkeeping, then containers before
# contents, and removals last (contents before containers).
_KIND_RANK = {"section": 0, "task": 1, "comment": 2, "attachment": 2}


class Op(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: ClassVar[Action]
    side: Side = "client"  # where the write happens
    kind: ItemKind
    key: str  # the pair key this op is about (a label for the audit log where no pair follows)
    base: dict[str, Any] | None = None  # the base to record once the write succeeded
    reason: str = ""
    depth: int = 0  # subtasks after their parents (removals: -1 before them)

    @property
    def phase(self) -> tuple[int, int]:
        if self.action in ("adopt", "rebase", "forget"):
            rank = 0
        elif self.action == "remove":
            rank = 10 - _KIND_RANK[self.kind]
        else:
            rank = 1 + _KIND_RANK[self.kind]
        return (rank, self.depth)

    @property
    def is_write(self) -> bool:
        return self.action in ("create", "update", "remove")

    @property
    def written(self) -> dict[str, Any]:
        """The values this op writes, by field name (the audit log and the dry run list the names)."""
        return {}


# -- bookkeeping ---------------------------------------------------------------


class Adopt(Op):
    """Claim an unlinked item equal to a mirror item (a lost response, a lost state store): record the pair."""

    action: ClassVar[Action] = "adopt"
    client_id: str
    internal_id: str
    origin: Side = "internal"


class Forget(Op):
    """Drop a pair whose client copy is gone (and no longer wanted)."""

    action: ClassVar[Action] = "forget"


class Rebase(Op):
    """Record a new base for a pair whose two sides agree: no write."""

    action: ClassVar[Action] = "rebase"


# -- sections (client side) ------------------------------------------------------


class CreateSection(Op):
    action: ClassVar[Action] = "create"
    kind: ItemKind = "section"
    name: str

    @property
    def written(self) -> dict[str, Any]:
        return {"name": self.name}


class RenameSection(Op):
    action: ClassVar[Action] = "update"
    kind: ItemKind = "section"
    target_id: str
    name: str

    @property
    def written(self) -> dict[str, Any]:
        return {"name": self.name}


class RemoveSection(Op):
    action: ClassVar[Action] = "remove"
    kind: ItemKind = "section"
    target_id: str


# -- tasks ---------------------------------------------------------------------------


class Move(Op):
    """Put a client card right after another one in its list (bridge/core/plan/order.py).

    Its own op when nothing else writes the card this cycle; otherwise it rides on
    the card's create or update (``CreateTask.move``, ``UpdateTask.move``), so a
    card costs one write.
    """

    action: ClassVar[Action] = "update"
    kind: ItemKind = "task"
    section: str  # the planner key of the list the card is placed in
    after_id: str | None = None  # the client id of the card it goes after
    after_key: str | None = None  # ... or the pair key of a card created earlier this cycle; both None: the top

    @property
    def written(self) -> dict[str, Any]:
        return {AFTER: self.after_key or self.after_id}


class CreateTask(Op):
    """A client copy of a mirrored task; ``fields`` are projected values, ``section``/``parent`` planner keys."""

    action: ClassVar[Action] = "create"
    kind: ItemKind = "task"
    fields: dict[str, Any]
    section: str | None = None
    parent: str | None = None
    move: Move | None = None

    @property
    def written(self) -> dict[str, Any]:
        placed = {AFTER: self.move.written[AFTER]} if self.move else {}
        return {**self.fields, "section": self.section, "parent": self.parent, **placed}


class UpdateTask(Op):
    """Changes to a client copy, in planner terms (``section``/``parent`` as planner keys)."""

    action: ClassVar[Action] = "update"
    kind: ItemKind = "task"
    target_id: str
    changes: dict[str, Any] = Field(default_factory=dict)
    move: Move | None = None

    @property
    def written(self) -> dict[str, Any]:
        placed = {AFTER: self.move.written[AFTER]} if self.move else {}
        return {**self.changes, **placed}


class RestoreTask(Op):
    """Take the client copy out of its tool's archive (and back to done, if the archive undid that)."""

    action: ClassVar[Action] = "update"
    kind: ItemKind = "task"
    target_id: str
    done: bool = False

    @property
    def written(self) -> dict[str, Any]:
        return {ARCHIVED: False, **({"done": True} if self.done else {})}


class RemoveTask(Op):
    """Remove (archive or delete, per ``mode``) a client card; ``forget`` drops its pair too."""

    action: ClassVar[Action] = "remove"
    kind: ItemKind = "task"
    target_id: str
    mode: Literal["archive", "delete"]
    forget: bool = True  # False for a copy no pair holds (an orphan of a lost state store)

    @property
    def written(self) -> dict[str, Any]:
        return {"mode": self.mode}


class AddRequest(Op):
    """A task the client created, taken into the internal project (canonical fields, internal ids)."""

    action: ClassVar[Action] = "create"
    side: Side = "internal"
    kind: ItemKind = "task"
    client_id: str
    fields: dict[str, Any]
    section_name: str | None = None  # the intake section, found or created by name; None: a subtask

    @property
    def written(self) -> dict[str, Any]:
        return self.fields


class UpdateInternalTask(Op):
    """Client input for an internal task (canonical fields, internal ids)."""

    action: ClassVar[Action] = "update"
    side: Side = "internal"
    kind: ItemKind = "task"
    target_id: str
    changes: dict[str, Any]
    section_name: str | None = None  # an approval into a section that may not exist yet

    @property
    def written(self) -> dict[str, Any]:
        return {**self.changes, **({"section": self.section_name} if self.section_name else {})}


# -- comments and files --------------------------------------------------------------


class CreateComment(Op):
    action: ClassVar[Action] = "create"
    kind: ItemKind = "comment"
    task_key: str  # the pair key of the task it is on
    text: str

    @property
    def written(self) -> dict[str, Any]:
        return {"text": self.text}


class UpdateComment(Op):
    """A comment's new text: a shared comment's client copy, or a client comment's internal copy."""

    action: ClassVar[Action] = "update"
    kind: ItemKind = "comment"
    target_id: str
    text: str

    @property
    def written(self) -> dict[str, Any]:
        return {"text": self.text}


class RemoveComment(Op):
    action: ClassVar[Action] = "remove"
    kind: ItemKind = "comment"
    target_id: str


class CopyClientComment(Op):
    """A client comment copied, attributed, into the internal task (docs/design.md invariant 6)."""

    action: ClassVar[Action] = "create"
    side: Side = "internal"
    kind: ItemKind = "comment"
    client_id: str
    client_task_id: str
    text: str

    @property
    def written(self) -> dict[str, Any]:
        return {"text": self.text}


class _FileCopy(Op):
    """A file copied onto the other side's task: uploaded (``file``: ``size`` bytes) or linked by ``url``."""

    action: ClassVar[Action] = "create"
    kind: ItemKind = "attachment"
    name: str
    url: str
    file: bool = False
    size: int | None = None
    # Unlinked files of the same name on the target task: the copy an unrecorded upload may have left.
    # The engine adopts one only if an upload was journaled and its bytes hash alike (docs/files.md).
    candidates: tuple[str, ...] = ()

    @property
    def written(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, **({"size": self.size} if self.file else {})}


class CreateAttachment(_FileCopy):
    """A shared file on the client task, its bytes copied from the internal attachment ``key`` (docs/files.md)."""

    task_key: str


class CopyClientAttachment(_FileCopy):
    """A file the client added, copied into the internal task."""

    side: Side = "internal"
    client_id: str
    client_task_id: str


class RemoveAttachment(Op):
    action: ClassVar[Action] = "remove"
    kind: ItemKind = "attachment"
    target_id: str


class AddTwinLink(Op):
    """A link on an internal task to its client copy (bridge/core/plan/twins.py); known by name, no pair."""

    action: ClassVar[Action] = "create"
    side: Side = "internal"
    kind: ItemKind = "attachment"
    task_id: str
    name: str
    url: str

    @property
    def written(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url}


class RemoveTwinLink(Op):
    action: ClassVar[Action] = "remove"
    side: Side = "internal"
    kind: ItemKind = "attachment"
    target_id: str


# -- the plan --------------------------------------------------------------------------


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
    # The cards one client list receives are written one after another in this rank (plan/order.py).
    ranks: dict[str, int] = Field(default_factory=dict)

    def writes(self, side: Side | None = None) -> list[Op]:
        return [op for op in self.ops if op.is_write and (side is None or op.side == side)]

    def ordered(self) -> list[Op]:
        return sorted(self.ops, key=lambda op: op.phase)
