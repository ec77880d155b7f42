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
from bridge.core.model import Snapshot, Task
from bridge.core.ops import AddRequest
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import AccessSource, LinkRules, MirrorRules, SectionRule
from tests.core.build import client, internal, task

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
