"""Order within a client list: the fewest moves that show the agency's order."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.link import Pair
from bridge.core.mirror import mirror
from bridge.core.model import Snapshot
from bridge.core.ops import AFTER, CreateTask, Move, Op, Plan, UpdateTask
from bridge.core.plan.cycle import plan_cycle
from bridge.core.plan.order import longest_run, moves
from bridge.core.ports import Capabilities
from bridge.core.rules import InboundRules, LinkRules, MirrorRules, SectionRule
from tests.core.build import client, internal, task

CAPS = Capabilities()
NO_ORDER = Capabilities(task_fields=CAPS.task_fields - {"position"})
RULES = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}), inbound=InboundRules(approval=None))


def replay(current: list[str], planned: list[tuple[str, str | None]]) -> list[str]:
    """The list after each card is put right after its anchor, in the planned order (what tools do)."""
    out = list(current)
    for card, after in planned:
        out.remove(card)
        out.insert(out.index(after) + 1 if after else 0, card)
    return out


@given(st.permutations(list("abcdefgh")), st.lists(st.sampled_from(list("xyz")), unique=True), st.randoms())
def test_moves_give_the_wanted_order_with_the_fewest_moves(wanted: list[str], foreign: list[str], rnd: Any) -> None:
    current = list(wanted)
    rnd.shuffle(current)
    planned = moves(wanted, current)
    # The client's own cards sit anywhere in the list: never moved, never in the way.
    mixed = list(current)
    for card in foreign:
        mixed.insert(rnd.randrange(len(mixed) + 1), card)
    after = replay(mixed, planned)
    assert [c for c in after if c in wanted] == wanted
    assert [c for c in after if c in foreign] == [c for c in mixed if c in foreign]
    ranks = [wanted.index(c) for c in current]
    assert len(planned) == len(wanted) - len(longest_run(ranks))


@given(st.lists(st.integers(0, 50), max_size=30))
def test_longest_run_is_increasing_and_longest(ranks: list[int]) -> None:
    picked = sorted(longest_run(ranks))
    values = [ranks[i] for i in picked]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
    # Longest: no increasing subsequence is longer (quadratic check, small lists).
    best = [1] * len(ranks)
    for i in range(len(ranks)):
        for j in range(i):
            if ranks[j] < ranks[i]:
                best[i] = max(best[i], best[j] + 1)
    assert len(picked) == max(best, default=0)


def linked(order_inside: list[str], order_client: list[str]) -> tuple[Snapshot, Snapshot, list[Pair]]:
    isnap = internal("Design")
    csnap = client("Design")
    for index, name in enumerate(order_inside):
        task(isnap, f"t-{name}", name, "Design", position=float(index))
    for index, name in enumerate(order_client):
        task(csnap, f"c-{name}", name, "Design", position=float(index) * 10)
    view = mirror(isnap, csnap.people, RULES, CAPS)
    pairs = [Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"})]
    for name in order_inside:
        base = {**view.tasks[f"t-{name}"].fields, "section": "s-design", "parent": None}
        pairs.append(Pair(kind="task", key=f"t-{name}", internal_id=f"t-{name}", client_id=f"c-{name}", base=base))
    return isnap, csnap, pairs


def plan(isnap: Snapshot, csnap: Snapshot, pairs: list[Pair], caps: Capabilities = CAPS) -> Plan:
    view = mirror(isnap, csnap.people, RULES, caps)
    return plan_cycle(isnap, csnap, view, pairs, RULES, caps, CAPS)


def move_of(op: Op) -> Move | None:
    """The move an op asks for: its own, or the one riding on the card's create or update."""
    return op if isinstance(op, Move) else op.move if isinstance(op, CreateTask | UpdateTask) else None


def placed(p: Plan) -> list[tuple[str, Any]]:
    """(client card, the client card it goes after) for every move; cards are "c-x" for the task "t-x"."""
    out: list[tuple[str, Any]] = []
    for op in p.ops:
        move = move_of(op)
        if move is not None:
            out.append(("c-" + op.key.removeprefix("t-"), move.after_id))
    return out


def test_same_order_moves_nothing() -> None:
    assert plan(*linked(list("abcd"), list("abcd"))).ops == []


def test_a_reordered_internal_list_moves_the_fewest_cards() -> None:
    # d moved to the top inside: one move on the client side, right at the top.
    assert placed(plan(*linked(list("dabc"), list("abcd")))) == [("c-d", None)]
    assert placed(plan(*linked(list("acbd"), list("abcd")))) in ([("c-c", "c-a")], [("c-b", "c-c")])


def test_a_tool_without_order_is_never_asked() -> None:
    assert placed(plan(*linked(list("dabc"), list("abcd")), caps=NO_ORDER)) == []


def test_a_move_rides_on_the_cards_field_update() -> None:
    isnap, csnap, pairs = linked(list("acdb"), list("abcd"))
    isnap.tasks["t-b"].title = "b2"
    ops = [op for op in plan(isnap, csnap, pairs).ops if op.key == "t-b"]
    assert [type(op) for op in ops] == [UpdateTask]  # one write for the card
    assert ops[0].written == {"title": "b2", AFTER: "c-d"}


def test_a_new_card_in_the_middle_is_placed_after_its_predecessor_and_one_at_the_end_is_not() -> None:
    isnap, csnap, pairs = linked(list("ac"), list("ac"))
    task(isnap, "t-b", "b", "Design", position=0.5)
    task(isnap, "t-z", "z", "Design", position=9.0)
    p = plan(isnap, csnap, pairs)
    ops = {op.key: op for op in p.ops if isinstance(op, CreateTask)}
    b, z = move_of(ops["t-b"]), move_of(ops["t-z"])
    assert b is not None and b.after_id == "c-a" and z is None
    # The runs of one list follow the wanted order: b (rank 1) before z (rank 3).
    assert (p.ranks["t-b"], p.ranks["t-z"]) == (1, 3)


def test_a_card_after_a_card_created_the_same_cycle_names_it_by_key() -> None:
    isnap, csnap, pairs = linked(list("c"), list("c"))
    task(isnap, "t-a", "a", "Design", position=-2.0)
    task(isnap, "t-b", "b", "Design", position=-1.0)
    ops = {op.key: move_of(op) for op in plan(isnap, csnap, pairs).ops if isinstance(op, CreateTask)}
    a, b = ops["t-a"], ops["t-b"]
    assert a is not None and (a.after_id, a.after_key) == (None, None)  # the top
    assert b is not None and (b.after_id, b.after_key) == (None, "t-a")


def test_done_cards_and_the_clients_own_cards_are_never_moved() -> None:
    isnap, csnap, pairs = linked(list("ab"), list("ab"))
    task(csnap, "c-own", "Client's own card", "Design", position=-5.0)
    isnap.tasks["t-a"].done = True
    csnap.tasks["c-a"].done = True
    isnap.tasks["t-a"].position = 9.0
    assert placed(plan(isnap, csnap, pairs)) == []
