"""The one decision table every kind of item goes through, and the per-field table of the task merge."""

from __future__ import annotations

import itertools

import pytest

from bridge.core.link import Pair
from bridge.core.mirror import mirror
from bridge.core.ops import Forget, RemoveAttachment, RemoveComment
from bridge.core.plan.cycle import plan_cycle
from bridge.core.plan.decide import Decision, Facts, FieldMove, decide, merge_field
from bridge.core.ports import Capabilities
from tests.core.build import attachment, comment
from tests.core.test_plan import RULES, linked_world

D = Decision

# (wanted, linked, on_client, archived, host_archived, internal_complete, client_complete) -> decision
TABLE = [
    ((True, True, True, False, False, True, True), D.MERGE),
    ((True, True, True, False, False, False, False), D.MERGE),  # both copies seen: merge whatever else is missing
    ((True, True, False, True, False, True, True), D.RESTORE),
    ((True, True, False, True, False, True, False), D.RESTORE),  # the archive says where it is
    ((True, True, False, False, True, True, True), D.WAIT),  # comes back with its card
    ((True, True, False, False, False, True, False), D.WAIT),  # unseen is not deleted
    ((True, True, False, False, False, True, True), D.CREATE),  # deleted on the client side: back again
    ((True, False, False, False, False, True, True), D.CREATE),
    ((True, False, False, False, True, True, False), D.CREATE),  # nothing linked: nothing to lose by looking
    ((False, True, True, False, False, True, True), D.REMOVE),
    ((False, True, True, False, False, True, False), D.REMOVE),
    ((False, True, True, False, False, False, True), D.WAIT),  # missing from an incomplete pull is not gone
    ((False, True, False, False, False, True, True), D.FORGET),
    ((False, True, False, False, False, True, False), D.WAIT),  # the copy may still be there, unseen
    ((False, False, False, False, False, True, True), D.WAIT),
]


@pytest.mark.parametrize(("facts", "expected"), TABLE)
def test_the_decision_table(facts: tuple[bool, ...], expected: Decision) -> None:
    assert decide(Facts(*facts)) is expected


@pytest.mark.parametrize("rest", list(itertools.product([False, True], repeat=4)))
def test_a_linked_copy_on_the_client_side_merges_whatever_else_holds(rest: tuple[bool, ...]) -> None:
    # The task pass merges such a task without asking for the other facts (bridge/core/plan/cycle.py).
    assert decide(Facts(True, True, True, *rest)) is D.MERGE


M = FieldMove
FIELD_TABLE = [
    # (internal changed, client changed, direction) -> move
    ((True, False, "to_client"), M.SEND),
    ((True, False, "both"), M.SEND),
    ((True, False, "to_internal"), M.KEEP),
    ((True, False, "none"), M.KEEP),
    ((False, True, "to_internal"), M.TAKE),
    ((False, True, "both"), M.TAKE),
    ((False, True, "to_client"), M.SEND),  # the mirror owns the field: put back
    ((False, True, "none"), M.SEND),
    ((True, True, "to_client"), M.SEND),
    ((True, True, "to_internal"), M.TAKE),
    ((True, True, "both"), M.RESOLVE),
    ((True, True, "none"), M.RESOLVE),
]


@pytest.mark.parametrize(("facts", "expected"), FIELD_TABLE)
def test_the_field_table(facts: tuple[bool, bool, str], expected: FieldMove) -> None:
    assert merge_field(*facts) is expected


@pytest.mark.parametrize("kind", ["comment", "attachment"])
def test_an_unshared_comment_or_file_unseen_in_an_incomplete_client_pull_keeps_its_pair(kind: str) -> None:
    # Sections and tasks always waited here; comments and files used to forget their pair,
    # which would leave a no-longer-shared copy on the client side for good (invariant 1).
    isnap, csnap, pairs = linked_world()
    pairs.append(Pair(kind=kind, key="m1", internal_id="m1", client_id="k1", base={}))
    caps = Capabilities(attachments="link")
    view = mirror(isnap, csnap.people, RULES, caps)

    csnap.complete = False
    assert [op for op in plan_cycle(isnap, csnap, view, pairs, RULES, caps, caps).ops if op.kind == kind] == []

    csnap.complete = True
    [op] = [op for op in plan_cycle(isnap, csnap, view, pairs, RULES, caps, caps).ops if op.kind == kind]
    assert isinstance(op, Forget)

    if kind == "comment":
        comment(csnap, "k1", "c1", "Anna Agency: hello")
    else:
        attachment(csnap, "k1", "c1", "brief.pdf")
    csnap.complete = False  # a copy that is seen goes, complete pull or not
    [op] = [op for op in plan_cycle(isnap, csnap, view, pairs, RULES, caps, caps).ops if op.kind == kind]
    assert isinstance(op, RemoveComment if kind == "comment" else RemoveAttachment) and op.target_id == "k1"
