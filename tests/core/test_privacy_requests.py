"""Client requests: which client cards and subtasks become internal tasks, and exactly as what.

A request is the one path by which client input creates agency work; taking in a card from
one of the client's own lists would copy the client's private work into the agency tool and
mark it shared. These tests pin that edge and the shape of the request the engine writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from bridge.core.link import Pair
from bridge.core.mirror import APPROVAL, mirror
from bridge.core.model import Person, Snapshot, Task
from bridge.core.ops import AddRequest, Plan, RemoveTask
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import AccessSource, FieldRules, LinkRules, MirrorRules, PeopleRules, SectionRule
from tests.core.build import CARLA, client, internal, task

CAPS = Capabilities()
RULES = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}))


def world(paired: bool = True) -> tuple[Snapshot, Snapshot, list[Pair]]:
    """Internal "Homepage" mirrored to the client's "Design" list; the client also keeps a list of its own."""
    isnap = internal("Design")
    task(isnap, "t1", "Homepage", "Design")
    csnap = client("Design", "Approved", "Our backlog")
    task(csnap, "c1", "Homepage", "Design")
    if not paired:  # a lost state store: the plan adopts the lists and the card by content
        return isnap, csnap, []
    base = {**mirror(isnap, csnap.people, RULES, CAPS).tasks["t1"].fields, "section": "s-design", "parent": None}
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="section", key=APPROVAL, client_id="cs-approved", base={"name": "Approved"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base=base),
    ]
    return isnap, csnap, pairs


def requests(isnap: Snapshot, csnap: Snapshot, pairs: list[Pair], rules: LinkRules = RULES) -> list[AddRequest]:
    view = mirror(isnap, csnap.people, rules, CAPS)
    plan = plan_cycle(isnap, csnap, view, pairs, rules, CAPS, CAPS)
    return [op for op in plan.writes("internal") if isinstance(op, AddRequest)]


def shape(op: AddRequest) -> dict[str, Any]:
    return op.model_dump(include={"key", "client_id", "fields", "section_name", "base", "reason", "depth"})


EMPTY_BASE = {"notes": "", "done": False, "due": None, "start": None, "assignees": [], "labels": []}


def test_a_card_in_the_clients_own_list_is_never_taken_in() -> None:
    isnap, csnap, pairs = world()
    task(csnap, "own", "Hire a second designer", "Our backlog", notes="Budget 90k", position=0.0)
    task(csnap, "c2", "Please add a blog", "Design", position=1.0)
    taken = requests(isnap, csnap, pairs)
    assert [op.client_id for op in taken] == ["c2"]
    assert "designer" not in str([op.model_dump() for op in taken])


def test_a_new_card_in_a_mirrored_list_becomes_a_request_shared_with_its_client() -> None:
    isnap, csnap, pairs = world()
    task(csnap, "c2", "Please add a blog", "Design", notes="With categories")
    [op] = requests(isnap, csnap, pairs)
    assert shape(op) == {
        "key": "client:c2",
        "client_id": "c2",
        "fields": {"title": "Please add a blog", "notes": "With categories", "done": False, "labels": ["client"]},
        "section_name": "Client requests",
        "base": {**EMPTY_BASE, "title": "Please add a blog", "notes": "With categories", "section": "s-design", "parent": None},
        "reason": "new client request",
        "depth": 0,
    }


@pytest.mark.parametrize(
    ("source", "marking"),
    [
        (AccessSource(type="custom_field"), {"custom_fields": {"Client access": "client"}}),
        (AccessSource(type="label", client="shared"), {"labels": ["shared"]}),
        (AccessSource(type="title_marker", client="[client]"), {"title": "Please add a blog [client]"}),
    ],
)
def test_a_request_is_marked_through_the_links_access_source_and_so_stays_visible(source: AccessSource, marking: dict) -> None:
    rules = LinkRules(mirror=RULES.mirror.model_copy(update={"access": source}))
    isnap, csnap, pairs = world()
    task(csnap, "c2", "Please add a blog", "Design")
    [op] = requests(isnap, csnap, pairs, rules)
    assert {k: v for k, v in op.fields.items() if k in marking} == marking
    # The internal copy, as the engine creates it in the locked intake section, is shared with the client.
    isnap.sections["s-intake"] = isnap.sections["s-design"].model_copy(update={"id": "s-intake", "name": "Client requests"})
    fields = {k: v for k, v in op.fields.items() if k in Task.model_fields}
    isnap.tasks["new"] = Task(id="new", section_id="s-intake", **fields)
    assert "new" in mirror(isnap, csnap.people, rules, CAPS).tasks


def test_a_subtask_the_client_adds_under_a_mirrored_card_becomes_an_internal_subtask() -> None:
    isnap, csnap, pairs = world()
    task(csnap, "own", "Our own card", "Our backlog", position=0.0)
    task(csnap, "k1", "Draft of our own", parent_id="own", position=1.0)  # under the client's own card: stays there
    task(csnap, "k2", "Add a newsletter box", parent_id="c1", notes="Footer", position=2.0)
    [op] = requests(isnap, csnap, pairs)
    assert shape(op) == {
        "key": "client:k2",
        "client_id": "k2",
        "fields": {"title": "Add a newsletter box", "notes": "Footer", "done": False, "parent_id": "t1", "labels": ["client"]},
        "section_name": None,
        "base": {**EMPTY_BASE, "title": "Add a newsletter box", "notes": "Footer", "section": None, "parent": "t1"},
        "reason": "new client request",
        "depth": 1,
    }


def test_after_a_lost_state_store_requests_follow_the_adopted_lists_and_cards() -> None:
    isnap, csnap, pairs = world(paired=False)
    task(csnap, "own", "Hire a second designer", "Our backlog", position=0.0)
    task(csnap, "c2", "Please add a blog", "Design", position=1.0)
    # Some tools report a subtask in its parent's list: it is still a subtask, with no section of its own.
    task(csnap, "k2", "Add a newsletter box", "Design", parent_id="c1", position=2.0)
    taken = {op.client_id: op for op in requests(isnap, csnap, pairs)}
    assert set(taken) == {"c2", "k2"}
    assert taken["c2"].base["section"] == "s-design"  # type: ignore[index]
    assert taken["k2"].fields["parent_id"] == "t1" and taken["k2"].section_name is None
    assert (taken["k2"].base["parent"], taken["k2"].base["section"]) == ("t1", None)  # type: ignore[index]


def test_mentions_in_a_request_are_put_in_the_agency_tools_terms() -> None:
    isnap, csnap, pairs = world()
    task(csnap, "c2", "Please add a blog", "Design", notes="Ask @[Anna A.](person:anna@agency.example) first")
    [op] = requests(isnap, csnap, pairs)
    assert op.fields["notes"] == "Ask @[Anna Agency](person:anna@agency.example) first"


def test_nothing_is_taken_in_from_an_incomplete_client_pull() -> None:
    isnap, csnap, pairs = world()
    task(csnap, "c2", "Please add a blog", "Design")
    csnap.complete = False
    assert requests(isnap, csnap, pairs) == []


# -- copies orphaned by a lost state store: removed, never taken in ----------------------------
# The mirror copied a task while it was shared; the task is hidden now and the store that
# paired the copy was lost. The copy is the agency's text, not a request (invariant 1).

ORPHAN_REASON = "a copy the mirror made of a task no longer shared (its pairing was lost)"
SUBTASKS_WITH_NOTES = Capabilities(subtask_fields=frozenset({"title", "notes", "done"}))


def plan_of(isnap: Snapshot, csnap: Snapshot, pairs: list[Pair], rules: LinkRules = RULES, caps: Capabilities = CAPS) -> Plan:
    view = mirror(isnap, csnap.people, rules, caps)
    return plan_cycle(isnap, csnap, view, pairs, rules, caps, caps)


def removed(plan: Plan) -> dict[str, RemoveTask]:
    return {op.target_id: op for op in plan.writes("client") if isinstance(op, RemoveTask)}


def taken_in(plan: Plan) -> list[str | None]:
    return [op.client_id for op in plan.writes("internal") if isinstance(op, AddRequest)]


def hidden(isnap: Snapshot, id: str, title: str, notes: str = "", section: str | None = "Design", **fields: Any) -> None:
    task(isnap, id, title, section, notes=notes, labels=["internal"], **fields)


def test_a_copy_of_a_hidden_task_is_removed_and_not_taken_in() -> None:
    isnap, csnap, pairs = world(paired=False)
    hidden(isnap, "h1", "Budget draft", "Numbers")
    task(csnap, "copy", "Budget draft", "Design", notes="Numbers", position=1.0)
    task(csnap, "ask", "Please add a blog", "Design", position=2.0)  # after the copy: still read
    plan = plan_of(isnap, csnap, pairs)
    assert {k: op.model_dump(include={"key", "mode", "forget", "reason", "depth"}) for k, op in removed(plan).items()} == {
        "copy": {"key": "orphan:copy", "mode": "archive", "forget": False, "reason": ORPHAN_REASON, "depth": 0}
    }
    assert plan.removals == 1
    assert taken_in(plan) == ["ask"]


def test_a_card_that_differs_from_the_hidden_copy_is_the_clients_request() -> None:
    isnap, csnap, pairs = world(paired=False)
    hidden(isnap, "h1", "Budget draft", "Numbers")
    task(csnap, "ask", "Budget draft", "Design", notes="Please show the numbers")
    plan = plan_of(isnap, csnap, pairs)
    assert removed(plan) == {} and taken_in(plan) == ["ask"]


def test_every_hidden_task_has_its_copy_removed_but_a_shared_one_never() -> None:
    isnap, csnap, pairs = world(paired=False)
    hidden(isnap, "h1", "Budget draft", "Numbers")
    hidden(isnap, "h2", "Payroll")
    task(csnap, "copy1", "Budget draft", "Design", notes="Numbers")
    task(csnap, "copy2", "Payroll", "Design")
    task(csnap, "twin", "Homepage", "Design")  # a second card like the shared task: not an orphan of a hidden one
    plan = plan_of(isnap, csnap, pairs)
    assert set(removed(plan)) == {"copy1", "copy2"}
    assert plan.removals == 2


def test_a_copy_is_recognised_as_the_clients_tool_showed_it_mentions_and_all() -> None:
    """Anna shows no email in the client's tool: the copy mentions her by her tool key, mapped by username."""
    rules = LinkRules(mirror=RULES.mirror.model_copy(update={"people": PeopleRules(map={"anna@agency.example": "@annaa"})}))
    trello = Capabilities(tool="trello")
    isnap, _, pairs = world(paired=False)
    task(isnap, "h1", "Budget draft", "Design", notes="Ask @[Anna Agency](person:anna@agency.example)")
    csnap = client("Design", people=(CARLA, Person(id="c-anna", name="Anna A.", username="annaa")))
    task(csnap, "c1", "Homepage", "Design")
    shown = mirror(isnap, csnap.people, rules, trello).tasks["h1"].fields  # what the copy was made with
    assert shown["notes"] == "Ask @[Anna A.](person:trello:c-anna)"
    isnap.tasks["h1"].labels = ["internal"]
    task(csnap, "copy", "Budget draft", "Design", notes=shown["notes"])
    assert set(removed(plan_of(isnap, csnap, pairs, rules, trello))) == {"copy"}


@pytest.mark.parametrize(
    ("fields", "title", "notes"), [({"notes": "none"}, "Budget draft", ""), ({"title": "none"}, "", "Numbers")]
)
def test_a_copy_holds_only_what_the_link_sends(fields: dict[str, str], title: str, notes: str) -> None:
    rules = LinkRules(mirror=RULES.mirror.model_copy(update={"fields": FieldRules(**fields)}))
    isnap, csnap, pairs = world(paired=False)
    hidden(isnap, "h1", "Budget draft", "Numbers")
    if not title:  # the shared task's own copy shows no title either: it is taken as that task's card
        task(csnap, "home", "", "Design")
    task(csnap, "copy", title, "Design", notes=notes)
    assert set(removed(plan_of(isnap, csnap, pairs, rules))) == {"copy"}


def test_an_identical_card_in_the_clients_own_list_is_left_alone() -> None:
    isnap, csnap, pairs = world(paired=False)
    hidden(isnap, "h1", "Budget draft", "Numbers")
    task(csnap, "own", "Budget draft", "Our backlog", notes="Numbers")
    task(csnap, "own2", "Homepage", "Our backlog")
    task(csnap, "item", "Budget draft", parent_id="own")  # a check item of her own card
    plan = plan_of(isnap, csnap, pairs)
    assert removed(plan) == {} and taken_in(plan) == []


def test_nothing_is_removed_as_an_orphan_from_an_incomplete_internal_pull() -> None:
    isnap, csnap, pairs = world(paired=False)
    hidden(isnap, "h1", "Budget draft", "Numbers")
    task(csnap, "copy", "Budget draft", "Design", notes="Numbers")
    isnap.complete = False
    assert removed(plan_of(isnap, csnap, pairs)) == {}


def test_a_copy_in_a_list_the_mirror_named_is_removed_even_when_no_longer_needed() -> None:
    rules = LinkRules(
        mirror=MirrorRules(
            sections={"Design": SectionRule(access="unlocked"), "Archive": SectionRule(access="unlocked", rename="Past work")}
        )
    )
    isnap, _, pairs = world(paired=False)
    isnap.sections["s-archive"] = isnap.sections["s-design"].model_copy(
        update={"id": "s-archive", "name": "Archive", "position": 5.0}
    )
    isnap.sections["s-payroll"] = isnap.sections["s-design"].model_copy(
        update={"id": "s-payroll", "name": "Payroll", "position": 6.0}
    )
    hidden(isnap, "h1", "Old logo", section="Archive")
    hidden(isnap, "h2", "Budget draft", "Numbers")
    csnap = client("Design", "Past work", "Shared with you", "Payroll")
    task(csnap, "c1", "Homepage", "Design")
    task(csnap, "a", "Old logo", "Past work")
    task(csnap, "b", "Budget draft", "Shared with you", notes="Numbers")
    task(csnap, "p", "Budget draft", "Payroll", notes="Numbers")  # a locked section's name is not the mirror's
    assert set(removed(plan_of(isnap, csnap, pairs, rules))) == {"a", "b"}


def test_a_list_adopted_under_another_case_is_the_mirrors_too() -> None:
    isnap, _, pairs = world(paired=False)
    hidden(isnap, "h1", "Budget draft", "Numbers")
    csnap = client("DESIGN", "Our backlog")
    task(csnap, "c1", "Homepage", "DESIGN")
    task(csnap, "copy", "Budget draft", "DESIGN", notes="Numbers")
    task(csnap, "ask", "Please add a blog", "DESIGN")
    plan = plan_of(isnap, csnap, pairs)
    assert set(removed(plan)) == {"copy"} and taken_in(plan) == ["ask"]


@pytest.mark.parametrize("paired", [True, False])
def test_a_check_item_copy_of_a_hidden_subtask_is_removed_under_a_mirrored_card(paired: bool) -> None:
    isnap, csnap, pairs = world(paired=paired)
    hidden(isnap, "hs", "Salary table", "Numbers", section=None, parent_id="t1")
    task(csnap, "item", "Salary table", parent_id="c1", position=5.0)  # a check item holds the title only
    task(csnap, "ask", "Add a newsletter box", parent_id="c1", position=6.0)
    plan = plan_of(isnap, csnap, pairs)
    assert {k: (op.key, op.depth) for k, op in removed(plan).items()} == {"item": ("orphan:item", -1)}
    assert taken_in(plan) == ["ask"]


def test_a_subtask_copy_compares_its_notes_where_subtasks_hold_notes() -> None:
    isnap, csnap, pairs = world()
    hidden(isnap, "hs", "Salary table", "Numbers", section=None, parent_id="t1")
    task(csnap, "copy", "Salary table", parent_id="c1", notes="Numbers", position=5.0)
    task(csnap, "ask", "Salary table", parent_id="c1", notes="Can we see it?", position=6.0)
    plan = plan_of(isnap, csnap, pairs, caps=SUBTASKS_WITH_NOTES)
    assert set(removed(plan)) == {"copy"} and taken_in(plan) == ["ask"]
    # Where a subtask holds no notes, a title-only item is the copy, whatever notes the pull reports.
    assert set(removed(plan_of(isnap, csnap, pairs))) == {"copy", "ask"}
