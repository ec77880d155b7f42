"""One link's cycle: pull both sides, filter, plan, apply, record.

The engine is the I/O shell around the pure core (:mod:`bridge.core.mirror`,
:mod:`bridge.core.plan.cycle`). A failure of one link never touches another: every
error is caught here, recorded on the link's run, and reported as one
readable message.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby

from bridge import secrets
from bridge.core.guard import check_removals
from bridge.core.link import Pair
from bridge.core.mirror import MirrorView, mirror
from bridge.core.model import Snapshot
from bridge.core.ops import CreateTask, Move, Notice, Op, Plan, UpdateTask
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Connector, CycleEnd, DetailFilter, PullState
from bridge.core.rules import LinkRules
from bridge.core.section_access import resolve_access
from bridge.errors import AuthError, BridgeError, GuardTripped, NotFound, RemoteError
from bridge.store import CONFLICT, CONFLICT_SETTLED, Store
from bridge.store.records import CONFLICT_RESOLVED
from bridge.sync import decisions as decided
from bridge.sync.apply import ApplyContext, SideRuntime, Unresolved, apply_op
from bridge.sync.events import CycleFinished, CycleStarted, Event, Noticed, OpApplied, OpFailed, Planned, Pulled


@dataclass
class LinkSide:
    connector: Connector
    project_id: str


@dataclass
class LinkRuntime:
    """A link ready to run: its rules and a connector for each side."""

    name: str
    rules: LinkRules
    internal: LinkSide
    client: LinkSide


@dataclass
class CycleReport:
    link: str
    status: str
    plan: Plan | None = None
    applied: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)
    internal: Snapshot | None = None
    client: Snapshot | None = None
    notices: list[Notice] = field(default_factory=list)  # everything the cycle's plans noticed (new or not)
    cause: BridgeError | None = None  # what stopped a failed cycle (the alerts tell a refused credential apart)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "dry-run")


class Engine:
    def __init__(
        self, store: Store, *, listeners: list[Callable[[Event], object]] | None = None, workers: int = 4,
        webhook_led: bool = False,
    ) -> None:
        self.store = store
        self.listeners = list(listeners or [])
        self.workers = workers
        # Pulls read webhook hints only where deliveries are received (the daemon): a one-shot sync
        # has nobody taking them in, so its pulls find every change themselves (docs/daemon.md).
        self.webhook_led = webhook_led
        self._link_locks: dict[str, threading.Lock] = {}

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def run(self, link: LinkRuntime, *, dry_run: bool = False, confirm_removals: bool = False) -> CycleReport:
        """One cycle of one link; never raises for remote or data problems: the report says."""
        lock = self._link_locks.setdefault(link.name, threading.Lock())
        with lock:  # a link's cycles never overlap
            return self._run(link, dry_run, confirm_removals)

    def _run(self, link: LinkRuntime, dry_run: bool, confirm_removals: bool) -> CycleReport:
        store = self.store
        self.emit(CycleStarted(link.name, dry_run))
        run_id = store.start_run(link.name)
        report = CycleReport(link.name, "ok")
        try:
            self._cycle(link, report, dry_run, confirm_removals, run_id)
            if not dry_run:
                for side in (link.internal, link.client):
                    if isinstance(side.connector, CycleEnd):  # an email client's messages (docs/email.md)
                        side.connector.cycle_finished(side.project_id)
        except GuardTripped as exc:
            report.status = "guarded"
            report.errors.append(str(exc))
        except (BridgeError, Unresolved) as exc:
            report.status = "failed"
            report.errors.append(secrets.redact(str(exc)))
            report.cause = exc if isinstance(exc, BridgeError) else None
        counts = {"applied": report.applied, "failed": report.failed, "deferred": report.deferred}
        if report.plan is not None:
            counts["conflicts"] = len(report.plan.conflicts)
        if report.status == "ok" and (report.failed or report.deferred):
            report.status = "partial"
        error = "; ".join(report.errors[:3]) or None
        store.finish_run(run_id, report.status, counts, error)
        self.emit(CycleFinished(link.name, report.status, counts, error))
        return report

    def _pull(
        self, link: LinkRuntime, side_name: str, side: LinkSide, dry_run: bool = False
    ) -> tuple[Snapshot, str | None, dict[str, float]]:
        """The side's snapshot and cursor, and the webhook hints the pull was given (to forget once it is saved)."""
        cursor, cached = self.store.load_snapshot(link.name, side_name)
        detail = _shared_tasks(link.rules) if side_name == "internal" else None
        # Only a connector that reads them pays the look-up (docs/daemon.md#webhook-led-polling).
        led = self.webhook_led and side.connector.capabilities.change_hints
        hints = self.store.pending_hints(link.name, side_name) if led else None
        state = PullState(cursor=cursor if cached is not None else None, snapshot=cached, detail=detail, dry_run=dry_run,
                          hints=None if hints is None else frozenset(hints))
        stats = getattr(side.connector, "stats", None)
        before = stats.total if stats is not None and hasattr(stats, "total") else 0
        try:
            result = side.connector.pull(side.project_id, state)
        except NotFound as exc:
            raise NotFound(
                f"{side_name} project {side.project_id!r} of link {link.name!r} was not found: {exc}",
                hint=f"check links.{link.name}.{side_name}.project in the config",
            ) from None
        after = stats.total if stats is not None and hasattr(stats, "total") else 0
        self.emit(Pulled(link.name, side_name, result.full, len(result.snapshot.tasks), after - before))
        return result.snapshot, result.cursor, hints or {}

    def _cycle(self, link: LinkRuntime, report: CycleReport, dry_run: bool, confirm: bool, run_id: int) -> None:
        store = self.store
        internal, internal_cursor, internal_hints = self._pull(link, "internal", link.internal, dry_run)
        client, client_cursor, client_hints = self._pull(link, "client", link.client, dry_run)
        report.internal, report.client = internal, client
        if not dry_run:
            # Snapshot and cursor move together, and only after both pulls succeeded; the hints they
            # answered go with them.
            store.save_snapshot(link.name, "internal", internal, internal_cursor)
            store.save_snapshot(link.name, "client", client, client_cursor)
            store.forget_hints(link.name, "internal", internal_hints)
            store.forget_hints(link.name, "client", client_hints)
        meta = store.link_meta(link.name)
        waiting = decided.pending(meta)  # operators' answers to flagged conflicts (bridge/sync/decisions.py)
        started = meta.get("started_at")
        if started is None and not dry_run:
            started = dt.datetime.now(dt.UTC).isoformat()
            store.set_link_meta(link.name, started_at=started)
        pairs: list[Pair] = store.pairs(link.name)
        started_at = dt.datetime.fromisoformat(started) if started else None
        # What other links' clients created on this internal project never reaches this client (invariant 1).
        foreign = store.foreign_client_items(link.name, link.internal.project_id)
        view, plan = self._plan(link, internal, client, pairs, started_at, foreign, waiting)
        report.plan = plan
        self._notices(link.name, report, plan, run_id, dry_run)
        self.emit(
            Planned(
                link.name, {"client": len(plan.writes("client")), "internal": len(plan.writes("internal"))}, len(plan.conflicts)
            )
        )
        why = check_removals(plan, internal, client, link.rules.max_removal_share)
        if why and not confirm:
            store.audit(link.name, "guard", detail={"reason": why}, run_id=run_id)
            raise GuardTripped(
                f"link {link.name!r}: {why}; nothing was changed",
                hint=f"look at both projects, then rerun with: pm-bridge sync --link {link.name} --confirm-removals",
            )
        if dry_run:
            report.status = "dry-run"
            return
        self._record_conflicts(link.name, plan, run_id)
        ctx = ApplyContext(
            link.name,
            store,
            SideRuntime("internal", link.internal.connector, link.internal.project_id, internal),
            SideRuntime("client", link.client.connector, link.client.project_id, client),
            view,
            {(p.kind, p.key): p for p in pairs},
        )
        self._apply(ctx, plan, report, run_id)
        # A twin link needs the client copy's URL, known once the copy exists.
        twins = link.rules.twin_links != "none" and any(
            op.action == "create" and op.kind == "task" for op in plan.writes("client")
        )
        if (plan.writes("internal") or twins) and not report.failed:
            self._settle(link, ctx, report, run_id, started_at, foreign, waiting)
        if waiting:
            self._close_decisions(link, ctx, waiting, run_id, foreign)

    def _plan(
        self,
        link: LinkRuntime,
        internal: Snapshot,
        client: Snapshot,
        pairs: list[Pair],
        started: dt.datetime | None,
        foreign: frozenset[str] = frozenset(),
        waiting: list[decided.Decision] | None = None,
    ) -> tuple[MirrorView, Plan]:
        view = self._view(link, internal, client, pairs, foreign)
        if waiting:
            client, pairs = decided.prepare(waiting, view, client, pairs)
        plan = plan_cycle(
            internal,
            client,
            view,
            pairs,
            link.rules,
            link.client.connector.capabilities,
            link.internal.connector.capabilities,
            started,
        )
        return view, plan

    def _view(
        self, link: LinkRuntime, internal: Snapshot, client: Snapshot, pairs: list[Pair], foreign: frozenset[str]
    ) -> MirrorView:
        # The client's own notes, as last agreed: her cut-line look-alikes never cut her text (bridge/core/markers.py).
        agreed = {p.key: p.base["notes"] for p in pairs if p.kind == "task" and isinstance(p.base.get("notes"), str)}
        return mirror(internal, client.people, link.rules, link.client.connector.capabilities, agreed, foreign=foreign)

    def _close_decisions(
        self, link: LinkRuntime, ctx: ApplyContext, waiting: list[decided.Decision], run_id: int, foreign: frozenset[str]
    ) -> None:
        """Close each decided conflict both sides now agree on: its audit row, and a ``conflict_resolved`` entry."""
        view = self._view(link, ctx.internal.snapshot, ctx.client.snapshot, list(ctx.pairs.values()), foreign)
        for decision in waiting:
            result = decided.outcome(decision, view, ctx.client.snapshot, ctx.pair(decision.kind, decision.key))
            if result is None:
                continue  # a write failed or waits: the next cycle tries again
            detail = {**decision.model_dump(mode="json"), "outcome": result}
            self.store.close_conflict(link.name, decision.conflict_id, CONFLICT_RESOLVED, detail, run_id)
            self.store.set_link_meta(link.name, **{decided.meta_name(decision.conflict_id): None})

    def _settle(
        self,
        link: LinkRuntime,
        ctx: ApplyContext,
        report: CycleReport,
        run_id: int,
        started: dt.datetime | None,
        foreign: frozenset[str],
        waiting: list[decided.Decision] | None = None,
    ) -> None:
        """Plan once more over what this cycle wrote, so inbound changes converge in the same cycle.

        A client request becomes an internal task, an approval moves one: the
        mirror of that new internal state (the request's card in its mirrored
        list) is only known after those writes. Both snapshots already hold
        them (apply caches every write), so this costs no read.
        """
        view, plan = self._plan(
            link, ctx.internal.snapshot, ctx.client.snapshot, list(ctx.pairs.values()), started, foreign, waiting
        )
        self._notices(link.name, report, plan, run_id, False)
        if not plan.writes():
            return
        if check_removals(plan, ctx.internal.snapshot, ctx.client.snapshot, link.rules.max_removal_share):
            return  # the next cycle reports it with the guard's full message
        self._record_conflicts(link.name, plan, run_id)
        ctx.view = view
        self._apply(ctx, plan, report, run_id)

    def _notices(self, link: str, report: CycleReport, plan: Plan, run_id: int, dry_run: bool) -> None:
        """Report each notice once: when first seen (a dry run shows them all and records none)."""
        seen = {(n.code, n.key) for n in report.notices}
        fresh = [n for n in plan.notices if (n.code, n.key) not in seen]
        report.notices += fresh
        if dry_run:
            for notice in fresh:
                self.emit(Noticed(link, notice))
            return
        current = {f"{n.code}:{n.key}": n for n in report.notices}
        new = self.store.sync_notices(link, {k: n.model_dump() for k, n in current.items()}, run_id)
        for key in new:
            self.emit(Noticed(link, current[key]))

    def _record_conflicts(self, link: str, plan: Plan, run_id: int) -> None:
        store = self.store
        open_keys = {(c.kind, c.key, c.detail.get("field")) for c in store.open_conflicts(link)}
        for conflict in plan.conflicts:
            if conflict.resolution == "flagged" and (conflict.kind, conflict.key, conflict.field) in open_keys:
                continue  # already waiting for a person
            # Only flagged conflicts stay open for a person; ones the policy settled are history.
            event = CONFLICT if conflict.resolution == "flagged" else CONFLICT_SETTLED
            store.audit(link, event, kind=conflict.kind, key=conflict.key, detail=conflict.model_dump(mode="json"), run_id=run_id)

    def _apply(self, ctx: ApplyContext, plan: Plan, report: CycleReport, run_id: int) -> None:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for _, group in groupby(plan.ordered(), key=lambda op: op.phase):
                ops = list(group)
                if ops[0].kind == "section":
                    # One at a time, in the plan's order: tools place a new list or
                    # label after the last one, so concurrency would shuffle them.
                    outcomes = [self._apply_one(ctx, op, run_id) for op in ops]
                else:
                    runs = list(pool.map(lambda run: [self._apply_one(ctx, op, run_id) for op in run], _runs(plan, ops)))
                    outcomes = [outcome for run in runs for outcome in run]
                if any(isinstance(o, AuthError) for o in outcomes):
                    raise next(o for o in outcomes if isinstance(o, AuthError))
                for outcome in outcomes:
                    if outcome is None:
                        report.applied += 1
                    elif isinstance(outcome, Unresolved):
                        report.deferred += 1
                    else:
                        report.failed += 1
                        report.errors.append(secrets.redact(str(outcome)))

    def _apply_one(self, ctx: ApplyContext, op: Op, run_id: int) -> Exception | None:
        try:
            apply_op(ctx, op)
        except (RemoteError, Unresolved) as exc:
            self.emit(OpFailed(ctx.link, op, secrets.redact(str(exc))))
            return exc
        if op.is_write:
            self.store.audit(
                ctx.link,
                f"{op.side}.{op.action}",
                kind=op.kind,
                key=op.key,
                detail={"reason": op.reason, "fields": sorted(op.written), **_written_where(ctx, op)},
                run_id=run_id,
            )
        self.emit(OpApplied(ctx.link, op))
        return None


def _written_where(ctx: ApplyContext, op: Op) -> dict[str, str]:
    """The written item's remote id and, where its tool gave one, its URL: what ``pm-bridge log`` shows."""
    pair = ctx.pair(op.kind, op.key)
    remote = getattr(op, "target_id", None) or (pair and (pair.client_id if op.side == "client" else pair.internal_id))
    if not remote:
        return {}
    task = ctx.side(op).snapshot.tasks.get(remote) if op.kind == "task" else None
    return {"id": remote, **({"url": task.url} if task is not None and task.url else {})}


def _runs(plan: Plan, ops: list[Op]) -> list[list[Op]]:
    """Ops that may run side by side, as runs of ops that must not.

    A tool puts a new card at the bottom of its list and a moved card next to
    another one, so the cards one client list receives are created and placed one
    after another, in the order the planner ranked them (``Plan.ranks``); every
    other op is a run of its own.
    """
    runs: list[list[Op]] = []
    lists: dict[str, list[Op]] = {}
    for op in ops:
        destination = _client_list(op)
        if destination is None:
            runs.append([op])
        else:
            lists.setdefault(destination, []).append(op)
    for run in lists.values():
        run.sort(key=lambda op: (op.key not in plan.ranks, plan.ranks.get(op.key, 0)))  # stable: creates keep the plan's order
        runs.append(run)
    return runs


def _client_list(op: Op) -> str | None:
    """The planner key of the client list a card op puts a card into, if it places one."""
    if op.depth:
        return None
    if isinstance(op, CreateTask):
        return op.section
    if isinstance(op, UpdateTask):
        return op.move.section if op.move else None
    if isinstance(op, Move):
        return op.section
    return None


def _shared_tasks(rules: LinkRules) -> DetailFilter:
    """The internal tasks whose comments and files can matter: the shared ones (hidden ones never go out)."""

    def shared(snapshot: Snapshot) -> list[str]:
        return [task_id for task_id, visible in resolve_access(snapshot, rules.mirror).items() if visible]

    return shared
