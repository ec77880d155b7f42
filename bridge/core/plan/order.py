"""Order within a client list: the mirror shows shared work in the agency's order.

Only relative order counts: each tool numbers positions its own way (Asana an
index, Trello a float, Basecamp a 1-based rank), so the planner compares the
order of the mirrored cards in a list with the internal order and moves the
fewest cards that put it right. The cards of the longest run already in order
stay; every other one is moved to just *after* the card that precedes it in the
wanted order (``{"after": <client id>}``, or ``None`` for the top), in wanted
order, so each move lands next to a card already in place.

Cards the mirror does not own (a client's own card in a list) and done tasks
(Basecamp lists them apart) keep their place and are never compared. The
client's own reordering of mirrored cards is put back: the mirror owns order,
as it owns the list a card sits in.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from bridge.core.ops import AFTER, CREATED, Op
from bridge.core.plan.context import PlanContext


def longest_run(ranks: Sequence[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence of ``ranks`` (patience sorting)."""
    tails: list[int] = []  # tails[k]: index of the smallest tail of a run of length k + 1
    values: list[int] = []  # ranks[tails[k]], kept alongside for the binary search
    back: list[int | None] = [None] * len(ranks)
    for index, rank in enumerate(ranks):
        at = bisect_left(values, rank)
        back[index] = tails[at - 1] if at else None
        if at == len(tails):
            tails.append(index)
            values.append(rank)
        else:
            tails[at] = index
            values[at] = rank
    keep: set[int] = set()
    cursor = tails[-1] if tails else None
    while cursor is not None:
        keep.add(cursor)
        cursor = back[cursor]
    return keep


def moves(wanted: Sequence[str], current: Sequence[str]) -> list[tuple[str, str | None]]:
    """(card, the card it goes after) for the fewest moves that make ``current`` read as ``wanted``.

    Both hold the same cards; ``current`` is their order now.
    """
    rank = {card: index for index, card in enumerate(wanted)}
    staying = {current[i] for i in longest_run([rank[card] for card in current])}
    return [(card, wanted[i - 1] if i else None) for i, card in enumerate(wanted) if card not in staying]


def internal_order(ctx: PlanContext, key: str) -> tuple[float, float, str]:
    """Where a task stands in the agency's order: a list the mirror fills from several sections
    ("Shared with you") follows the sections' order, then each section's own."""
    task = ctx.internal.tasks.get(key)
    if task is None:
        return (0.0, 0.0, key)
    section = ctx.internal.sections.get(task.section_id or "")
    return (section.position if section else 0.0, task.position, key)


def plan_order(ctx: PlanContext) -> None:
    """Put mirrored cards in the agency's order: cards already in a list, cards moving into it this
    cycle, and cards created in it this cycle that do not simply go at the bottom."""
    if "position" not in ctx.client_caps.task_fields:
        return  # GitHub: issues have no order to keep
    arriving = _arriving(ctx)
    by_section: dict[str, list[str]] = {}
    for key, wanted in ctx.view.tasks.items():
        task = ctx.internal.tasks.get(key)
        if wanted.section is None or task is None or task.parent_id or wanted.fields.get("done"):
            continue
        by_section.setdefault(wanted.section, []).append(key)
    for section_key, keys in by_section.items():
        list_id = ctx.client_id_of("section", section_key)
        if not list_id:
            continue  # the list is created this cycle, and its cards in order after it
        here = {t.id: t for t in ctx.client.tasks.values() if t.section_id == list_id and not t.parent_id and not t.done}
        wanted_keys = sorted(keys, key=lambda k: internal_order(ctx, k))
        placed = [k for k in wanted_keys if ctx.client_id_of("task", k) in here or arriving.get(k, ("", None))[0] == section_key]
        staying = [k for k in placed if k not in arriving]
        current = sorted(staying, key=lambda k: (here[ctx.client_id_of("task", k) or ""].position, k))
        kept = set(staying) - {k for k, _ in moves(staying, current)}
        for index, key in enumerate(placed):
            op = arriving.get(key, (None, None))[1]
            if key in kept or (op is not None and op.action == "create" and all(k in arriving for k in placed[index:])):
                # In place already, or created at the bottom after everything there: nothing to move.
                if op is not None:
                    op.order = index
                continue
            _place(ctx, key, op, placed[index - 1] if index else None, index)


def _arriving(ctx: PlanContext) -> dict[str, tuple[str, Op]]:
    """Tasks this plan creates in a list or moves into one: key -> (section key, the op)."""
    out: dict[str, tuple[str, Op]] = {}
    for op in ctx.plan.ops:
        if op.side == "client" and op.kind == "task" and op.action in ("create", "update") and op.fields.get("section"):
            out[op.key] = (op.fields["section"], op)
    return out


def _place(ctx: PlanContext, key: str, op: Op | None, after_key: str | None, rank: int) -> None:
    """Ask for ``key`` to go right after ``after_key`` (a pair key; None: the top)."""
    after = ctx.client_id_of("task", after_key) if after_key else None
    if after_key and after is None:
        after = f"{CREATED}{after_key}"  # created earlier in this list's run: apply knows its id by then
    if op is None:
        op = next(
            (o for o in ctx.plan.ops if o.side == "client" and o.kind == "task" and o.action == "update" and o.key == key),
            None,
        )
    if op is None:
        card = ctx.client_id_of("task", key)
        op = Op(side="client", action="update", kind="task", key=key, target_id=card, reason="order")
        ctx.emit(op)
    op.fields[AFTER] = after
    op.order = rank
