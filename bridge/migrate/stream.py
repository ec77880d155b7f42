"""The first pass of a migration, pipelined: the target is written while the source is still read.

Reading and writing use different tools with separate rate budgets, so the
slower of the two sets the pace, not their sum (docs/migrate.md "Speed"). The
source comes in parts (bridge/core/ports.PartedPull; one part for a tool that
reads its project in one go): first its sections, then tasks in the source's
order, each with its subtasks, comments and files. Each part is planned as it
arrives, as an incomplete pull of the source (so nothing unseen counts as
gone, docs/design.md invariant 9), against the target as this run has left it
so far; its writes join the running write graph (bridge/migrate/schedule.py).
Once the source is read through, the whole of it is planned (complete as the
pull says), which is the plan a migration without parts would have made: what
it holds beyond the parts (an order to put right across parts, a pair to
forget) goes out then.

The bookkeeping is the sync engine's, unchanged: every create writes its
intent, then the item, then the pair. A write already handed over is never
handed over again in this pass, whatever later parts plan for it (it may
still be in flight, with no pair yet); one that failed is retried by the next
pass, as before.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Literal

from bridge.core.model import Snapshot
from bridge.core.ops import Op
from bridge.core.ports import Connector, PartedPull
from bridge.errors import NotFound
from bridge.migrate.report import PassPlanned, SidePulled
from bridge.migrate.view import MigrationView
from bridge.sync.apply import ApplyContext, apply_op

BOOKKEEPING = ("adopt", "rebase", "forget")

Side = Literal["source", "target"]
Emit = Callable[[object], None]
# (source, target, view, pairs) -> the client-side ops to carry out (Migration._plan)
Planner = Callable[..., list[Op]]


def not_found(side: Side, project: str, exc: NotFound) -> NotFound:
    option = "--from" if side == "source" else "--to"
    return NotFound(f"the {side} project {project!r} was not found: {exc}",
                    hint=f"check the project id in {option}, and that the connection's user can see it")


class SourceStream:
    """The source project, part by part; ``whole`` grows with every part read."""

    def __init__(self, connector: Connector, project: str, emit: Emit) -> None:
        self.connector = connector
        self.project = project
        self.emit = emit
        self._stats = getattr(connector, "stats", None)
        self._before = getattr(self._stats, "total", 0)
        self._parts = self._read()
        self.whole = self._next() or Snapshot(connection=connector.name, project_id=project)
        # Read through: at once for a tool that reads its project in one go.
        self.done = not isinstance(connector, PartedPull)
        if self.done:
            self._pulled()

    def _read(self) -> Iterator[Snapshot]:
        if isinstance(self.connector, PartedPull):
            yield from self.connector.pull_parts(self.project)
        else:
            yield self.connector.pull(self.project).snapshot

    def _next(self) -> Snapshot | None:
        try:
            return next(self._parts, None)
        except NotFound as exc:
            raise not_found("source", self.project, exc) from None

    def _pulled(self) -> None:
        self.emit(SidePulled("source", len(self.whole.tasks), getattr(self._stats, "total", 0) - self._before))

    def rest(self) -> Iterator[Snapshot]:
        """Each later part (its tasks, with the project's sections and people), merged into ``whole``."""
        while not self.done:
            part = self._next()
            whole = self.whole
            if part is None:
                self.done = True
                self._pulled()
                return
            whole.tasks.update(part.tasks)
            whole.comments.update(part.comments)
            whole.attachments.update(part.attachments)
            whole.complete = part.complete
            yield part.model_copy(update={"sections": whole.sections, "people": whole.people, "fields": whole.fields,
                                          "complete": False})

    def read_all(self) -> Snapshot:
        """The whole project: the parts not read yet are merged into ``whole`` as :meth:`rest` reads them."""
        collections.deque(self.rest(), maxlen=0)
        return self.whole


class FirstPass:
    """Plans each part as it is read and hands its writes to the scheduler (``feed``)."""

    def __init__(self, stream: SourceStream, ctx: ApplyContext, plan: Planner, view_of: Callable[[Snapshot, Snapshot],
                 MigrationView], emit: Emit) -> None:
        self.stream = stream
        self.ctx = ctx
        self.plan = plan
        self.view_of = view_of
        self.emit = emit
        self.planned: MigrationView | None = None  # the whole source's view, once read
        # Shared with the write graph: filled before each part's writes are handed over.
        self.written_at: dict[str, dt.datetime] = {}
        self.handed: set[tuple[str, str, str]] = set()  # (action, kind, key) of every op of this pass
        self.creating: dict[str, int] = {}
        self.writes: dict[str, int] = {}

    def feed(self) -> Iterator[list[Op]]:
        if not self.stream.done:
            yield self._part(self.stream.whole.model_copy(update={"complete": False}))  # the sections
            for part in self.stream.rest():
                yield self._part(part)
        yield self._part(self.stream.whole, whole=True)

    def _part(self, source: Snapshot, *, whole: bool = False) -> list[Op]:
        ctx = self.ctx
        with ctx.lock:  # the writers update both as each create lands: take them as one state
            pairs = list(ctx.pairs.values())
            target = _copy(ctx.client.snapshot)
        planned = self.view_of(source, target)
        if whole:
            self.planned = planned
            ctx.view = planned.view
        self.written_at.update(planned.written_at)
        fresh = []
        for op in self.plan(source, target, planned, pairs):
            name = (op.action, op.kind, op.key)
            if name not in self.handed:
                self.handed.add(name)
                fresh.append(op)
        for op in fresh:
            if op.action in BOOKKEEPING:
                apply_op(ctx, op)
        writes = [op for op in fresh if op.is_write]
        for op in writes:
            self.writes[op.kind] = self.writes.get(op.kind, 0) + 1
            if op.action == "create":
                self.creating[op.kind] = self.creating.get(op.kind, 0) + 1
        # Emitted again as the plan grows: the running total of the first pass's writes so far.
        self.emit(PassPlanned(1, sum(self.writes.values()), dict(self.writes)))
        return writes


def _copy(snapshot: Snapshot) -> Snapshot:
    return snapshot.model_copy(update={
        "sections": dict(snapshot.sections), "tasks": dict(snapshot.tasks), "comments": dict(snapshot.comments),
        "attachments": dict(snapshot.attachments), "archived": dict(snapshot.archived),
    })

