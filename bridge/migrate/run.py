"""One migration: read both projects, plan with the sync planner, write through the sync applier.

The source plays the link's "internal" side and the target its "client"
side, so the planner, the id map and the create journal of the sync engine do
all the bookkeeping: each create writes an intent, then the remote item, then
(in one transaction) the pair and the intent's completion. A rerun after any
interruption pulls the target again; items with a pair are already there, and
an item whose create response was lost is adopted by its content (the
planner's rule for lost state), so nothing is created twice. The first pass
writes while the source is still read (bridge/migrate/stream.py).

Only writes to the target are carried out: a migration never changes its
source, never removes anything from its target.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from bridge.core.link import Pair
from bridge.core.mirror import MirrorView
from bridge.core.model import Snapshot
from bridge.core.ops import Op
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Connector
from bridge.core.rules import LinkRules
from bridge.errors import NotFound
from bridge.migrate.fields import with_fields
from bridge.migrate.filters import FilterMode
from bridge.migrate.losses import find_losses
from bridge.migrate.report import MigrationListener, MigrationReport, PassPlanned, SidePulled, WriteDone, WriteFailed
from bridge.migrate.schedule import Graph, Outcome, Scheduler, build_graph
from bridge.migrate.spec import MigrationOptions
from bridge.migrate.stream import BOOKKEEPING, FirstPass, SourceStream, not_found
from bridge.migrate.view import MigrationView, build_view
from bridge.store import Store
from bridge.sync.apply import ApplyContext, SideRuntime, apply_op


@dataclass
class Endpoints:
    source: Connector
    target: Connector


class Migration:
    def __init__(self, store: Store, options: MigrationOptions, rules: LinkRules, mode: FilterMode, ends: Endpoints,
                 *, listeners: list[MigrationListener] | None = None, workers: int = 4, max_passes: int = 3) -> None:
        self.store = store
        self.options = options
        self.rules = rules
        self.mode = mode
        self.ends = ends
        self.listeners = list(listeners or [])
        self.workers = workers
        self.max_passes = max_passes

    def emit(self, event: object) -> None:
        for listener in self.listeners:
            listener(event)  # type: ignore[arg-type]

    def run(self) -> MigrationReport:
        started = time.monotonic()
        opts = self.options
        report = MigrationReport(migration=opts.migration_id, source=str(opts.source), target=str(opts.target),
                                 linked_as=opts.keep_linked)
        stream = SourceStream(self.ends.source, opts.source.project, self.emit)  # its first part: the sections
        target = self._pull("target", self.ends.target, opts.target.project)
        if opts.dry_run:
            source = stream.read_all()
            planned = self._view(source, target)
            self._wanted(source, target, planned, report)
            ops = self._plan(source, target, planned, self.store.pairs(opts.pair_scope))
            report.planned = [op for op in ops if op.is_write]
            report.already_there = self._already_there(_by_kind([op for op in ops if op.action == "create"]), report)
            report.status, report.passes = "dry-run", 1
            return self._finish(report, started)
        run_id = self.store.start_run(opts.migration_id)
        try:
            self._passes(stream, target, report)
        except BaseException as exc:
            self.store.finish_run(run_id, "failed", self._counts(report), type(exc).__name__)
            raise
        report.status = "partial" if report.errors or report.held_back else "ok"
        self.store.finish_run(run_id, report.status, self._counts(report), "; ".join(report.errors[:3]) or None)
        self.store.audit(opts.migration_id, "migration", detail={
            "from": report.source, "to": report.target, "status": report.status, "created": report.created,
            "not_carried": [loss.line() for loss in report.losses], "linked_as": opts.keep_linked,
        }, run_id=run_id)
        return self._finish(report, started)

    # -- passes -------------------------------------------------------------------------

    def _passes(self, stream: SourceStream, target: Snapshot, report: MigrationReport) -> None:
        """Write while the source is read (bridge/migrate/stream.py); while writes failed and the last
        pass made progress, pull the target and go again."""
        opts = self.options
        report.passes = 1
        pairs = self.store.pairs(opts.pair_scope)
        ctx = ApplyContext(opts.pair_scope, self.store, SideRuntime("internal", self.ends.source, opts.source.project,
                                                                     stream.whole),
                           SideRuntime("client", self.ends.target, opts.target.project, target), MirrorView(),
                           {(p.kind, p.key): p for p in pairs})
        first = FirstPass(stream, ctx, self._plan, self._view, self.emit)
        outcome = self._write(ctx, build_graph([], first.written_at), report, first.feed())
        source, planned = stream.whole, first.planned
        assert planned is not None  # the feed ran to its end: the whole source was planned
        self._wanted(source, target, planned, report)
        report.already_there = self._already_there(first.creating, report)
        for number in range(2, self.max_passes + 1):
            if not outcome.failed or not outcome.done:
                return
            report.passes = number
            target = self._pull("target", self.ends.target, opts.target.project)
            pairs = self.store.pairs(opts.pair_scope)
            ops = self._plan(source, target, planned, pairs)
            writes = [op for op in ops if op.is_write]
            self.emit(PassPlanned(number, len(writes), _by_kind(writes)))
            source_side = SideRuntime("internal", self.ends.source, opts.source.project, source)
            target_side = SideRuntime("client", self.ends.target, opts.target.project, target)
            ctx = ApplyContext(opts.pair_scope, self.store, source_side, target_side, planned.view,
                               {(p.kind, p.key): p for p in pairs})
            for op in ops:
                if op.action in BOOKKEEPING:
                    apply_op(ctx, op)
            outcome = self._write(ctx, build_graph(ops, planned.written_at), report)

    def _write(self, ctx: ApplyContext, graph: Graph, report: MigrationReport,
               feed: Iterator[list[Op]] | None = None) -> Outcome:
        outcome = Scheduler(functools.partial(apply_op, ctx), workers=self.workers, on_done=self._done(report),
                            on_failed=self._failed).run(graph, feed)
        report.errors = [f"{op.kind} {op.key}: {error}" for op, error in outcome.failed]
        report.held_back = len(outcome.held_back)
        return outcome

    def _rules(self, source: Snapshot) -> LinkRules:
        """The rules with the custom fields this migration carries (bridge/migrate/fields.py): known once the
        source is read, since the default is every field it has."""
        return with_fields(self.rules, source, self.options.fields, everything=self.mode == FilterMode.everything)

    def _view(self, source: Snapshot, target: Snapshot) -> MigrationView:
        return build_view(source, target, self._rules(source), self.ends.target.capabilities,
                          as_link=bool(self.options.keep_linked))

    def _wanted(self, source: Snapshot, target: Snapshot, planned: MigrationView, report: MigrationReport) -> None:
        view = planned.view
        report.wanted = {"section": len(view.sections), "task": len(view.tasks), "comment": len(view.comments),
                         "attachment": len(view.attachments)}
        report.losses = find_losses(source, target, planned, self.ends.target.capabilities, self.options.target.kind,
                                    self._rules(source))

    def _plan(self, source: Snapshot, target: Snapshot, planned: MigrationView, pairs: list[Pair]) -> list[Op]:
        caps_target, caps_source = self.ends.target.capabilities, self.ends.source.capabilities
        plan = plan_cycle(source, target, planned.view, pairs, self._rules(source), caps_target, caps_source, None)
        # Only the target is written, and nothing is removed from it.
        return [op for op in plan.ordered() if op.side == "client" and op.action != "remove"]

    def _done(self, report: MigrationReport) -> Callable[[Op], None]:
        def record(op: Op) -> None:
            report.count(op.kind, op)
            self.emit(WriteDone(op))
        return record

    def _failed(self, op: Op, error: str) -> None:
        self.emit(WriteFailed(op, error))

    # -- helpers ------------------------------------------------------------------------

    def _pull(self, side: Literal["source", "target"], connector: Connector, project: str) -> Snapshot:
        stats = getattr(connector, "stats", None)
        before = getattr(stats, "total", 0)
        try:
            snapshot = connector.pull(project).snapshot
        except NotFound as exc:
            raise not_found(side, project, exc) from None
        self.emit(SidePulled(side, len(snapshot.tasks), getattr(stats, "total", 0) - before))
        return snapshot

    @staticmethod
    def _already_there(creating: dict[str, int], report: MigrationReport) -> dict[str, int]:
        """Wanted items that need no create: copied by an earlier run (or adopted now)."""
        return {kind: n - creating.get(kind, 0) for kind, n in report.wanted.items() if n - creating.get(kind, 0) > 0}

    def _counts(self, report: MigrationReport) -> dict[str, int]:
        return {"created": sum(report.created.values()), "updated": sum(report.updated.values()),
                "failed": len(report.errors), "held_back": report.held_back}

    def _finish(self, report: MigrationReport, started: float) -> MigrationReport:
        report.seconds = time.monotonic() - started
        for side, connector in (("source", self.ends.source), ("target", self.ends.target)):
            report.requests[side] = getattr(getattr(connector, "stats", None), "total", 0)
        return report


def _by_kind(ops: list[Op]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for op in ops:
        counts[op.kind] = counts.get(op.kind, 0) + 1
    return counts
