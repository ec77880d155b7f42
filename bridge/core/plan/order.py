"""Order within a client list: the mirror shows shared work in the agency's order.

Only relative order counts: each tool numbers positions its own way (Asana an
index, Trello a float, Basecamp a 1-based rank), so the planner compares the
order of the mirrored cards in a list with the internal order and moves the
fewest cards that put it right. The cards of the longest run already in order
stay; every other one is moved to just *after* the card that precedes it in the
wanted order (a ``Move``; ``after_id`` None: the top), in wanted order, so each
move lands next to a card already in place.

Cards the mirror does not own (a client's own card in a list) and done tasks
(Basecamp lists them apart) keep their place and are never compared. The
client's own reordering of mirrored cards is put back: the mirror owns order,
as it owns the list a card sits in.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from bridge.core.model import Task
from bridge.core.ops import CreateTask, Move, Plan, UpdateTask
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


def internal_orders(ctx: PlanContext) -> dict[str, tuple[float, float, str]]:
    """Where each task of the view stands in the agency's order: a list the mirror fills from several
    sections ("Shared with you") follows the sections' order, then each section's own.

    Worked out once per plan, in one pass: the task pass sorts every task by it, the order pass each list's.
    """
    orders = ctx.internal_orders
    tasks = ctx.internal.tasks
    sections = {section_id: section.position for section_id, section in ctx.internal.sections.items()}
    for key in ctx.view.tasks:
        if key not in orders:
            task = tasks.get(key)
            orders[key] = (sections.get(task.section_id or "", 0.0), task.position, key) if task is not None else (0.0, 0.0, key)
    return orders


@dataclass(frozen=True)
class Order:
    """What the order pass asks for: the moves, and the rank in which each list's cards are written."""

    moves: list[Move] = field(default_factory=list)
    ranks: dict[str, int] = field(default_factory=dict)


def plan_order(ctx: PlanContext) -> Order:
    """Put mirrored cards in the agency's order: cards already in a list, cards moving into it this
    cycle, and cards created in it this cycle that do not simply go at the bottom.

    Reads the task ops planned so far (what arrives in a list) and changes none of them: the moves it
    returns join the plan through :func:`place`."""
    order = Order()
    if "position" not in ctx.client_caps.task_fields:
        return order  # GitHub: issues have no order to keep
    arriving = _arriving(ctx)
    created = {op.key for op in ctx.plan.ops if isinstance(op, CreateTask)}
    by_section: dict[str, list[str]] = {}
    tasks = ctx.internal.tasks
    for key, wanted in ctx.view.tasks.items():
        task = tasks.get(key)
        if wanted.section is None or task is None or task.parent_id or wanted.fields.get("done"):
            continue
        by_section.setdefault(wanted.section, []).append(key)
    in_list: dict[str, dict[str, Task]] = {}  # client list id -> its open top-level cards, by id
    for t in ctx.client.tasks.values():
        if t.section_id and not t.parent_id and not t.done:
            in_list.setdefault(t.section_id, {})[t.id] = t
    orders = internal_orders(ctx)
    for section_key, keys in by_section.items():
        list_id = ctx.client_id_of("section", section_key)
        if not list_id:
            continue  # the list is created this cycle, and its cards in order after it
        here = in_list.get(list_id, {})
        wanted_keys = sorted(keys, key=orders.__getitem__)
        ids = ctx.client_ids_of("task", wanted_keys)  # asked for twice per card below: read once
        placed = [k for k in wanted_keys if ids[k] in here or arriving.get(k) == section_key]
        staying = [k for k in placed if k not in arriving]
        # Each card's key ends its (position, key) tuple: sorted as tuples, no key function per card.
        current = [k for _, k in sorted([(here[ids[k] or ""].position, k) for k in staying])]
        if current == staying and len(placed) == len(staying):
            continue  # in order, and nothing arrives: no card moves, none is ranked
        kept = set(staying) if current == staying else set(staying) - {k for k, _ in moves(staying, current)}
        for index, key in enumerate(placed):
            if key in kept or (key in created and all(k in arriving for k in placed[index:])):
                # In place already, or created at the bottom after everything there: nothing to move.
                if key in arriving:
                    order.ranks[key] = index
                continue
            order.moves.append(_move(ctx, key, section_key, placed[index - 1] if index else None))
            order.ranks[key] = index
    return order


def _arriving(ctx: PlanContext) -> dict[str, str]:
    """Tasks this plan creates in a list or moves into one: key -> the list's section key."""
    out: dict[str, str] = {}
    for op in ctx.plan.ops:
        if isinstance(op, CreateTask) and op.section:
            out[op.key] = op.section
        elif isinstance(op, UpdateTask) and op.changes.get("section"):
            out[op.key] = op.changes["section"]
    return out


def _move(ctx: PlanContext, key: str, section_key: str, after_key: str | None) -> Move:
    """``key`` to go right after ``after_key`` (a pair key; None: the top)."""
    after = ctx.client_id_of("task", after_key) if after_key else None
    if after_key and after is None:  # created earlier in this list's run: apply knows its id by then
        return Move(key=key, section=section_key, after_key=after_key, reason="order")
    return Move(key=key, section=section_key, after_id=after, reason="order")


def place(plan: Plan, order: Order) -> None:
    """Add the order pass's moves to the plan: a move rides on its card's own create or update
    (one write per card), any other is an op of its own."""
    plan.ranks.update(order.ranks)
    for move in order.moves:
        at = next((i for i, op in enumerate(plan.ops) if isinstance(op, CreateTask | UpdateTask) and op.key == move.key), None)
        if at is None:
            plan.ops.append(move)
        else:
            plan.ops[at] = plan.ops[at].model_copy(update={"move": move})
