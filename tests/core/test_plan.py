"""The planner's decision table: three-way merges, conflicts, echoes, removals, adoption, inbound."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bridge.core.guard import check_removals
from bridge.core.link import Pair
from bridge.core.mirror import APPROVAL, mirror
from bridge.core.model import Snapshot
from bridge.core.ops import AddRequest, CopyClientComment, Plan
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import FieldRules, InboundRules, LinkRules, MirrorRules, SectionRule
from tests.core.build import CARLA, client, comment, internal, task

CAPS = Capabilities()
RULES = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}))


def plan(internal_snap: Snapshot, client_snap: Snapshot, pairs: list[Pair], rules: LinkRules = RULES, **kw: Any) -> Plan:
    view = mirror(internal_snap, client_snap.people, rules, CAPS)
    return plan_cycle(internal_snap, client_snap, view, pairs, rules, CAPS, CAPS, **kw)


def linked_world(**internal_fields: Any) -> tuple[Snapshot, Snapshot, list[Pair]]:
    """One shared task already mirrored, both sides equal to the base."""
    isnap = internal("Design")
    t = task(isnap, "t1", "Homepage", "Design", notes="Hero + footer", **internal_fields)
    csnap = client("Design", "Approved")
    task(csnap, "c1", t.title, "Design", notes=t.notes, done=t.done, due=t.due, start=t.start)
    view = mirror(isnap, csnap.people, RULES, CAPS)
    base = {**view.tasks["t1"].fields, "section": "s-design", "parent": None}
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="section", key=APPROVAL, client_id="cs-approved", base={"name": "Approved"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base=base),
    ]
    return isnap, csnap, pairs


def writes(p: Plan, side: str | None = None) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(op.side, op.action, op.kind, op.written) for op in p.writes(side)]  # type: ignore[arg-type]


def test_nothing_changed_plans_nothing() -> None:
    isnap, csnap, pairs = linked_world()
    p = plan(isnap, csnap, pairs)
    assert p.ops == [] and p.conflicts == []


def test_first_cycle_creates_sections_then_tasks_and_marked_comments() -> None:
    isnap = internal("Design", "Internal QA")
    task(isnap, "t1", "Homepage", "Design")
    task(isnap, "t2", "Load test", "Internal QA")
    comment(isnap, "m1", "t1", "#client first draft attached")
    comment(isnap, "m2", "t1", "2h logged")
    p = plan(isnap, client(), [])
    created = [(op.kind, op.key) for op in p.ordered() if op.action == "create"]
    assert created == [("section", "s-design"), ("section", APPROVAL), ("task", "t1"), ("comment", "m1")]


def test_internal_edit_goes_out_as_one_field_update() -> None:
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].title = "Homepage v2"
    assert writes(plan(isnap, csnap, pairs)) == [("client", "update", "task", {"title": "Homepage v2"})]


def test_client_edit_of_a_mirror_owned_field_is_restored() -> None:
    isnap, csnap, pairs = linked_world()
    csnap.tasks["c1"].title = "Client renamed it"
    assert writes(plan(isnap, csnap, pairs)) == [("client", "update", "task", {"title": "Homepage"})]


def test_client_edit_of_a_two_way_field_flows_back() -> None:
    isnap, csnap, pairs = linked_world()
    csnap.tasks["c1"].done = True
    assert writes(plan(isnap, csnap, pairs)) == [("internal", "update", "task", {"done": True})]


def test_edits_of_different_fields_on_both_sides_both_survive() -> None:
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].title = "New title"
    csnap.tasks["c1"].done = True
    assert sorted(writes(plan(isnap, csnap, pairs))) == [
        ("client", "update", "task", {"title": "New title"}),
        ("internal", "update", "task", {"done": True}),
    ]


def test_to_internal_field_flows_back_and_notes_keep_their_internal_tail() -> None:
    rules = RULES.model_copy(update={"mirror": RULES.mirror.model_copy(update={"fields": FieldRules(notes="both")})})
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].notes = "Hero + footer\n---internal---\nbudget 4k"
    csnap.tasks["c1"].notes = "Hero, footer and a contact form"
    out = writes(plan(isnap, csnap, pairs, rules))
    assert out == [("internal", "update", "task", {"notes": "Hero, footer and a contact form\n\n---internal---\nbudget 4k"})]


@pytest.mark.parametrize(
    ("policy", "expected_side", "resolution"),
    [("internal_wins", "client", "internal"), ("client_wins", "internal", "client"), ("flag", None, "flagged")],
)
def test_conflicts_follow_the_link_policy(policy: str, expected_side: str | None, resolution: str) -> None:
    rules = RULES.model_copy(
        update={"conflict": policy, "mirror": RULES.mirror.model_copy(update={"fields": FieldRules(title="both")})}
    )
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].title = "Agency title"
    csnap.tasks["c1"].title = "Client title"
    p = plan(isnap, csnap, pairs, rules)
    assert [c.resolution for c in p.conflicts] == [resolution]
    assert [op.side for op in p.writes()] == ([expected_side] if expected_side else [])


def test_newest_wins_compares_modification_times() -> None:
    rules = RULES.model_copy(update={"conflict": "newest_wins"})
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].done = True
    isnap.tasks["t1"].modified_at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    csnap.tasks["c1"].done = False
    pairs[2].base["done"] = None  # both sides differ from the base
    csnap.tasks["c1"].modified_at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert [op.side for op in plan(isnap, csnap, pairs, rules).writes()] == ["internal"]
    csnap.tasks["c1"].modified_at = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    assert [op.side for op in plan(isnap, csnap, pairs, rules).writes()] == ["client"]


def test_equal_content_on_both_sides_is_never_a_conflict() -> None:
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].title = "Same"
    csnap.tasks["c1"].title = "Same"
    p = plan(isnap, csnap, pairs)
    assert p.conflicts == [] and p.writes() == []
    assert [(op.action, op.base["title"]) for op in p.ops] == [("rebase", "Same")]  # type: ignore[index]


def test_echo_of_our_own_write_with_a_new_version_is_no_change() -> None:
    isnap, csnap, pairs = linked_world()
    csnap.tasks["c1"].version = "etag-after-our-write"
    csnap.tasks["c1"].modified_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert plan(isnap, csnap, pairs).ops == []


def test_hidden_task_is_removed_from_the_client_in_the_same_cycle() -> None:
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].labels = ["internal"]
    assert writes(plan(isnap, csnap, pairs)) == [("client", "remove", "task", {"mode": "archive"})]


def test_nothing_counts_as_deleted_after_an_incomplete_pull() -> None:
    isnap, csnap, pairs = linked_world()
    del isnap.tasks["t1"]
    isnap.complete = False
    assert plan(isnap, csnap, pairs).writes() == []
    isnap, csnap, pairs = linked_world()
    del csnap.tasks["c1"]
    csnap.complete = False
    assert plan(isnap, csnap, pairs).writes() == []


def test_a_mirror_deleted_on_the_client_side_is_restored() -> None:
    isnap, csnap, pairs = linked_world()
    del csnap.tasks["c1"]
    assert [(op.action, op.kind, op.reason) for op in plan(isnap, csnap, pairs).writes()] == [
        ("create", "task", "restored: the client-side copy was removed")
    ]


def test_identical_unlinked_items_are_adopted_after_a_lost_state_store() -> None:
    isnap, csnap, _ = linked_world()
    comment(isnap, "m1", "t1", "#client hello")
    csnap.comments["k1"] = isnap.comments["m1"].model_copy(update={"id": "k1", "task_id": "c1", "text": "Anna Agency: hello"})
    p = plan(isnap, csnap, [])
    assert p.writes() == []
    assert sorted((op.action, op.kind) for op in p.ops) == [
        ("adopt", "comment"),
        ("adopt", "section"),
        ("adopt", "section"),
        ("adopt", "task"),
    ]


def test_client_move_to_the_approval_section_tags_the_internal_task() -> None:
    isnap, csnap, pairs = linked_world()
    csnap.tasks["c1"].section_id = "cs-approved"
    out = writes(plan(isnap, csnap, pairs))
    assert out == [("internal", "update", "task", {"labels": ["client-approved"]})]
    isnap.tasks["t1"].labels = ["client-approved"]
    pairs[2].base["section"] = APPROVAL
    assert plan(isnap, csnap, pairs).writes() == []  # converged: the mirror now puts it there too


def approval_rules(section: str, access: str = "locked") -> LinkRules:
    from bridge.core.rules import ApprovalRule

    sections = {"Design": SectionRule(access="unlocked"), section: SectionRule(access=access)}
    inbound = InboundRules(approval=ApprovalRule(internal_label=None, internal_section=section))
    return LinkRules(mirror=MirrorRules(sections=sections), inbound=inbound)


def test_approval_into_a_missing_internal_section_asks_for_it_by_name_and_keeps_the_task_shared() -> None:
    from bridge.core.ops import UpdateInternalTask

    isnap, csnap, pairs = linked_world()
    csnap.tasks["c1"].section_id = "cs-approved"
    out = plan(isnap, csnap, pairs, approval_rules("Signed off")).writes()
    # The section is locked, so the task is marked shared explicitly or approving it would hide it.
    assert [(type(op), op.changes, op.section_name) for op in out if isinstance(op, UpdateInternalTask)] == [
        (UpdateInternalTask, {"labels": ["client"]}, "Signed off")
    ]
    assert len(out) == 1


def test_approval_into_an_unlocked_existing_section_just_moves_the_task() -> None:
    isnap, csnap, pairs = linked_world()
    isnap.sections["s-signed"] = isnap.sections["s-design"].model_copy(update={"id": "s-signed", "name": "Signed off"})
    csnap.tasks["c1"].section_id = "cs-approved"
    out = plan(isnap, csnap, pairs, approval_rules("Signed off", access="unlocked"))
    assert writes(out, "internal") == [("internal", "update", "task", {"section_id": "s-signed"})]
    assert writes(out, "client") == [("client", "create", "section", {"name": "Signed off"})]  # unlocked: mirrored


def test_new_client_card_in_an_owned_list_becomes_an_internal_request() -> None:
    isnap, csnap, pairs = linked_world()
    task(csnap, "c2", "Please add a blog", "Design", notes="With categories")
    comment(csnap, "k9", "c2", "urgent please", author=CARLA)
    out = plan(isnap, csnap, pairs)
    ops = [(op.side, op.action, op.kind) for op in out.writes()]
    assert ops == [("internal", "create", "task"), ("internal", "create", "comment")]
    request, copied = out.writes()
    assert isinstance(request, AddRequest) and isinstance(copied, CopyClientComment)
    assert request.fields["labels"] == ["client"] and request.section_name == "Client requests"
    assert copied.text == "Client Carla Client: urgent please"


def test_requests_can_be_switched_off() -> None:
    isnap, csnap, pairs = linked_world()
    task(csnap, "c2", "Please add a blog", "Design")
    rules = RULES.model_copy(update={"inbound": InboundRules(requests_section=None)})
    assert plan(isnap, csnap, pairs, rules).writes() == []


def test_client_comments_flow_back_once_and_are_never_sent_out_again() -> None:
    isnap, csnap, pairs = linked_world()
    comment(csnap, "k1", "c1", "Looks great #client", author=CARLA)
    first = plan(isnap, csnap, pairs)
    # The copy's marker is defused (a word joiner inside), so it never shares the copy again.
    copy = "Client Carla Client: Looks great #\u2060client"
    assert writes(first) == [("internal", "create", "comment", {"text": copy})]
    comment(isnap, "m-copy", "t1", copy)
    pairs.append(
        Pair(
            kind="comment",
            key="m-copy",
            internal_id="m-copy",
            client_id="k1",
            origin="client",
            base={"text": "Looks great #client"},
        )
    )
    assert plan(isnap, csnap, pairs).writes() == []


def test_unmarking_a_comment_removes_it_from_the_client() -> None:
    isnap, csnap, pairs = linked_world()
    comment(isnap, "m1", "t1", "internal now")
    comment(csnap, "k1", "c1", "Anna Agency: hello")
    pairs.append(Pair(kind="comment", key="m1", internal_id="m1", client_id="k1", base={"text": "Anna Agency: hello"}))
    assert writes(plan(isnap, csnap, pairs)) == [("client", "remove", "comment", {})]


def test_new_only_start_skips_old_items() -> None:
    isnap = internal("Design")
    task(isnap, "old", "Old", "Design", modified_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    task(isnap, "new", "New", "Design", modified_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    rules = RULES.model_copy(update={"start": "new_only"})
    p = plan(isnap, client(), [], rules, link_started=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert [op.key for op in p.writes() if op.kind == "task"] == ["new"]


def test_guard_trips_on_mass_removal_and_on_a_suddenly_empty_side() -> None:
    isnap = internal("Design")
    csnap = client("Design")
    pairs = []
    for n in range(10):
        task(isnap, f"t{n}", f"T{n}", "Design", labels=["internal"] if n < 6 else [])
        task(csnap, f"c{n}", f"T{n}", "Design")
        pairs.append(Pair(kind="task", key=f"t{n}", internal_id=f"t{n}", client_id=f"c{n}"))
    p = plan(isnap, csnap, pairs)
    assert p.removals == 6 and p.mirrored == 10
    assert "6 of 10" in (check_removals(p, isnap, csnap, 0.5) or "")
    assert check_removals(p, isnap, csnap, 0.7) is None
    empty = internal("Design")
    assert "suddenly empty" in (check_removals(plan(empty, csnap, pairs), empty, csnap, 0.9) or "")
