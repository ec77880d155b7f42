"""Custom fields across a link: canonical values, the value map, privacy by default, and the planner.

The mapping is pure (bridge/core/fields.py); the planner carries a mapped field as ``cf:<client
name>`` and merges it against the pair's base like any other field (bridge/core/plan/merge.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bridge.core.fields import FieldDef, FieldMap, canonical, fold, joined, patched, split, value_in, value_out
from bridge.core.link import Pair
from bridge.core.mirror import APPROVAL, mirror
from bridge.core.model import Snapshot
from bridge.core.ops import AddRequest, Plan, UpdateInternalTask, UpdateTask
from bridge.core.plan.custom import value_inbound
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import AccessSource, FieldRules, LinkRules, MirrorRules, PeopleRules, SectionRule
from bridge.core.section_access import marking
from tests.core.build import client, internal, task

OPEN = Capabilities(custom_fields=True, defined_fields=False)
DEFINED = Capabilities(custom_fields=True)
PRIORITY = FieldDef(name="Priority", kind="enum", options=("High", "Low"))
CLIENT_PRIORITY = FieldDef(name="Priority", kind="enum", options=("P1", "P3"))


def rules(direction: str = "to_client", conflict: str = "internal_wins", **custom: Any) -> LinkRules:
    spec = custom or {"Priority": {"to": "Priority", "direction": direction, "values": {"High": "P1", "Low": "P3"}}}
    return LinkRules(
        mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, fields=FieldRules(custom=spec)),
        conflict=conflict,  # type: ignore[arg-type]
    )


# -- canonical values and the value map ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "want"),
    [
        ("number", 3.0, "3"),
        ("number", "2.50", "2.5"),
        ("number", "-0.25", "-0.25"),
        ("number", "lots", None),
        ("date", "2026-05-01T12:00:00.000Z", "2026-05-01"),
        ("date", "May 1", None),
        ("multi_enum", ["b", "a", "a"], "a, b"),
        ("multi_enum", "b ,a,", "a, b"),
        ("people", ["z@x.example", "a@x.example"], "a@x.example, z@x.example"),
        ("text", "two\nlines ", "two lines"),
        ("text", "", None),
        ("checkbox", True, "true"),
        ("checkbox", False, None),
    ],
)
def test_each_kind_has_one_canonical_form(kind: Any, raw: Any, want: str | None) -> None:
    assert canonical(kind, raw) == want


OPTION = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8)


@given(st.lists(OPTION, min_size=1, max_size=6, unique=True), st.data())
def test_a_bijective_value_map_round_trips(internal_values: list[str], data: st.DataObject) -> None:
    client_values = data.draw(st.lists(OPTION, min_size=len(internal_values), max_size=len(internal_values), unique=True))
    table = dict(zip(internal_values, client_values, strict=True))
    rule = FieldMap(name="Priority", to="Priority", direction="both", values=table)
    for value in internal_values:
        assert value_in(rule, value_out(rule, value, "enum"), "enum") == value
    chosen = canonical("multi_enum", data.draw(st.lists(st.sampled_from(internal_values), min_size=1)))
    assert value_in(rule, value_out(rule, chosen, "multi_enum"), "multi_enum") == chosen


def test_unmapped_values_pass_as_they_are_and_none_stays_none() -> None:
    rule = FieldMap(name="Notes", to="Notes", values={"a": "b"})
    assert value_out(rule, "free text", "text") == "free text"
    assert value_out(rule, None) is None and value_in(rule, "") is None


def test_a_patch_changes_only_the_fields_it_names() -> None:
    assert patched({"A": "1", "B": "2"}, {"A": None, "C": "3"}) == {"B": "2", "C": "3"}
    assert fold({"title": "T", "cf:Priority": "P1", "cf:Size": None}) == {
        "title": "T", "custom_fields": {"Priority": "P1", "Size": None}
    }


def test_field_definitions_say_what_they_hold() -> None:
    assert CLIENT_PRIORITY.holds("P1") and not CLIENT_PRIORITY.holds("High") and CLIENT_PRIORITY.holds(None)
    assert FieldDef(name="Effort", kind="number").holds("2.5") and not FieldDef(name="Effort", kind="number").holds("x")
    assert FieldDef(name="Tags", kind="multi_enum", options=("a", "b")).holds("a, b")


# -- config -------------------------------------------------------------------------------------


def test_config_takes_a_name_a_mapping_or_a_list() -> None:
    by_name = FieldRules(custom={"Priority": "Prio"})
    assert by_name.custom["Priority"] == FieldMap(name="Priority", to="Prio")
    by_list = FieldRules.model_validate({"custom": [{"name": "Size", "direction": "both"}]})
    assert by_list.custom["Size"].to == "Size" and by_list.direction("cf:Size") == "both"
    assert FieldRules().direction("cf:Unknown") == "none"


def test_config_refuses_two_fields_on_one_client_field_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="both map to the client field"):
        FieldRules(custom={"A": "X", "B": "x"})
    with pytest.raises(ValidationError):
        FieldRules.model_validate({"custom": {"A": {"to": "X", "colour": "red"}}})


# -- privacy by default -------------------------------------------------------------------------

FIELD_NAMES = st.sampled_from(["Priority", "Budget", "Margin", "Client access", "Size"])


@given(st.dictionaries(FIELD_NAMES, OPTION, max_size=5), st.sets(FIELD_NAMES, max_size=3))
def test_a_field_the_link_does_not_name_never_reaches_the_view(values: dict[str, str], named: set[str]) -> None:
    values = {name: f"SECRET-{value}" for name, value in values.items()}
    snap = internal("Design")
    task(snap, "t1", "Homepage", "Design", custom_fields=values)
    link = rules(**{name: {"to": f"Client {name}"} for name in named}) if named else rules(Priority={"to": "Priority"})
    view = mirror(snap, {}, link, OPEN)
    fields = view.tasks["t1"].fields
    crossing = {name[3:] for name in fields if name.startswith("cf:")}
    assert crossing == {link.mirror.fields.custom[n].to for n in link.mirror.fields.custom}
    secrets = {v for k, v in values.items() if k not in link.mirror.fields.custom}
    shown = {v for k, v in values.items() if k in link.mirror.fields.custom}
    assert not (secrets - shown) & {str(v) for v in fields.values()}


def test_a_client_without_custom_fields_gets_none() -> None:
    snap = internal("Design")
    task(snap, "t1", "Homepage", "Design", custom_fields={"Priority": "High"})
    assert not any(k.startswith("cf:") for k in mirror(snap, {}, rules(), Capabilities()).tasks["t1"].fields)


# -- the planner ----------------------------------------------------------------------------------


def world(internal_value: str | None, client_value: str | None, base_value: str | None, link: LinkRules,
          caps: Capabilities = OPEN) -> tuple[Snapshot, Snapshot, list[Pair]]:
    isnap = internal("Design")
    isnap.fields = {"Priority": PRIORITY}
    task(isnap, "t1", "Homepage", "Design", custom_fields={"Priority": internal_value} if internal_value else {})
    csnap = client("Design", "Approved")
    csnap.fields = {"Priority": CLIENT_PRIORITY}
    task(csnap, "c1", "Homepage", "Design", custom_fields={"Priority": client_value} if client_value else {})
    view = mirror(isnap, csnap.people, link, caps)
    base = {**view.tasks["t1"].fields, "section": "s-design", "parent": None, "cf:Priority": base_value}
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="section", key=APPROVAL, client_id="cs-approved", base={"name": "Approved"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base=base),
    ]
    return isnap, csnap, pairs


def plan(isnap: Snapshot, csnap: Snapshot, pairs: list[Pair], link: LinkRules, caps: Capabilities = DEFINED) -> Plan:
    return plan_cycle(isnap, csnap, mirror(isnap, csnap.people, link, caps), pairs, link, caps, caps)


def test_an_internal_change_goes_out_through_the_value_map() -> None:
    isnap, csnap, pairs = world("High", "P3", "P3", rules())
    (op,) = plan(isnap, csnap, pairs, rules()).ops
    assert isinstance(op, UpdateTask) and op.changes == {"cf:Priority": "P1"} and op.base["cf:Priority"] == "P1"


def test_a_client_change_comes_in_reverse_mapped_only_where_the_direction_lets_it() -> None:
    isnap, csnap, pairs = world("High", "P3", "P1", rules("both"))
    (op,) = plan(isnap, csnap, pairs, rules("both")).ops
    assert isinstance(op, UpdateInternalTask) and op.changes == {"custom_fields": {"Priority": "Low"}}
    # One way to the client: the mirror owns the field, the client's edit is put back.
    (back,) = plan(isnap, csnap, pairs, rules("to_client")).ops
    assert isinstance(back, UpdateTask) and back.changes == {"cf:Priority": "P1"}


def test_once_agreed_nothing_moves_again() -> None:
    isnap, csnap, pairs = world("Low", "P3", "P3", rules("both"))
    assert plan(isnap, csnap, pairs, rules("both")).ops == []


@pytest.mark.parametrize(("policy", "winner"), [("internal_wins", "internal"), ("client_wins", "client")])
def test_both_sides_changed_follows_the_conflict_policy(policy: str, winner: str) -> None:
    link = rules("both", policy)
    isnap, csnap, pairs = world("Low", "P1", None, link)
    pairs[2] = pairs[2].model_copy(update={"base": {**pairs[2].base, "cf:Priority": "P2"}})
    result = plan(isnap, csnap, pairs, link)
    (conflict,) = result.conflicts
    assert (conflict.field, conflict.resolution) == ("cf:Priority", winner)
    (op,) = result.ops
    assert isinstance(op, UpdateTask if winner == "internal" else UpdateInternalTask)


def test_a_value_the_client_field_cannot_hold_is_a_notice_not_a_write() -> None:
    link = rules(Priority={"to": "Priority"})  # no value map: "High" is no option of the client's field
    isnap, csnap, pairs = world("High", "P3", "P3", link)
    result = plan(isnap, csnap, pairs, link)
    assert result.ops == []
    assert [n.code for n in result.notices] == ["custom-field-value"] and "'High'" in result.notices[0].message


def test_a_client_value_the_internal_field_cannot_hold_stays_out_with_a_notice() -> None:
    link = rules(Priority={"to": "Priority", "direction": "both", "values": {"High": "P1", "Low": "P3"}})
    isnap, csnap, pairs = world("High", "P2?", "P1", link, OPEN)
    csnap.fields = {}  # a client tool that takes any value (GitHub's labels); the internal field has options
    result = plan_cycle(isnap, csnap, mirror(isnap, csnap.people, link, OPEN), pairs, link, OPEN, DEFINED)
    assert result.ops == [] and [n.code for n in result.notices] == ["custom-field-value"]


def test_a_field_either_project_lacks_is_named_in_a_notice_and_skipped() -> None:
    link = rules(Budget={"to": "Cost"})
    isnap, csnap, pairs = world("High", "P3", "P3", link)
    result = plan(isnap, csnap, pairs, link)
    assert result.ops == []
    messages = sorted(n.message for n in result.notices)
    assert "internal field 'Budget'" in messages[1] and "client field 'Cost'" in messages[0]


@given(st.dictionaries(FIELD_NAMES, OPTION, max_size=5), st.sets(FIELD_NAMES, max_size=3), st.booleans())
def test_no_client_write_carries_a_field_the_link_does_not_name(
    values: dict[str, str], named: set[str], linked: bool
) -> None:
    """Whether the task is new (a create) or linked (an update against an empty base), only named fields go out."""
    secrets = {f"SECRET-{name}-{value}" for name, value in values.items() if name not in named}
    shown = {f"SECRET-{name}-{value}" for name, value in values.items() if name in named}
    custom = {name: {"to": f"Client {name}", "direction": "both"} for name in named}
    link = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, fields=FieldRules(custom=custom)))
    isnap = internal("Design")
    task(isnap, "t1", "Homepage", "Design", custom_fields={n: f"SECRET-{n}-{v}" for n, v in values.items()})
    csnap = client("Design", "Approved")
    pairs: list[Pair] = []
    if linked:
        task(csnap, "c1", "Homepage", "Design")
        pairs = [Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
                 Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base={})]
    result = plan(isnap, csnap, pairs, link, OPEN)
    written = " ".join(str(op.model_dump()) for op in result.ops if op.side == "client")
    assert not {s for s in secrets - shown if s in written}


def test_a_client_request_brings_in_the_fields_the_link_lets_in() -> None:
    link = rules(Priority={"to": "Priority", "direction": "both", "values": {"High": "P1"}}, Size={"to": "Size"})
    isnap = internal("Design")
    isnap.fields = {"Priority": PRIORITY}
    csnap = client("Design")
    task(csnap, "c9", "Newsletter signup", "Design", custom_fields={"Priority": "P1", "Size": "L"})
    pairs = [Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"})]
    (request,) = [op for op in plan(isnap, csnap, pairs, link, OPEN).ops if isinstance(op, AddRequest)]
    assert request.fields["custom_fields"] == {"Priority": "High"}  # Size goes to the client only: it stays out


def test_people_values_follow_the_links_people_map_both_ways() -> None:
    link = rules(Reviewer={"to": "Reviewer", "direction": "both"})
    link = link.model_copy(update={"mirror": link.mirror.model_copy(
        update={"people": PeopleRules(map={"anna@agency.example": "anna@client.example"})})})
    isnap = internal("Design")
    isnap.fields = {"Reviewer": FieldDef(name="Reviewer", kind="people")}
    task(isnap, "t1", "Homepage", "Design", custom_fields={"Reviewer": "anna@agency.example, bob@agency.example"})
    view = mirror(isnap, {}, link, OPEN)
    assert view.tasks["t1"].fields["cf:Reviewer"] == "anna@client.example, bob@agency.example"
    ok, back = value_inbound(link.mirror.fields.custom["Reviewer"], "anna@client.example", isnap, DEFINED,
                             link.mirror.people.map)
    assert ok and back == "anna@agency.example"


def test_a_value_is_compared_as_the_client_field_reads_it_back() -> None:
    # A timestamp into a date field, "3.0" into a number field: written once, then quiet.
    link = rules(Due={"to": "Due"}, Effort={"to": "Effort"})
    isnap = internal("Design")
    task(isnap, "t1", "Homepage", "Design", custom_fields={"Due": "2031-05-20T10:00:00Z", "Effort": "3.0"})
    csnap = client("Design", "Approved")
    csnap.fields = {"Due": FieldDef(name="Due", kind="date"), "Effort": FieldDef(name="Effort", kind="number")}
    task(csnap, "c1", "Homepage", "Design", custom_fields={"Due": "2031-05-20", "Effort": "3"})
    view = mirror(isnap, csnap.people, link, DEFINED)
    base = {**view.tasks["t1"].fields, "section": "s-design", "parent": None, "cf:Due": "2031-05-20", "cf:Effort": "3"}
    pairs = [Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
             Pair(kind="section", key=APPROVAL, client_id="cs-approved", base={"name": "Approved"}),
             Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base=base)]
    assert [op for op in plan(isnap, csnap, pairs, link).ops if op.side == "client"] == []


def test_people_the_client_tool_has_no_account_for_are_left_out_with_a_notice() -> None:
    link = rules(Reviewer={"to": "Reviewer"})
    isnap = internal("Design")
    isnap.fields = {"Reviewer": FieldDef(name="Reviewer", kind="people")}
    task(isnap, "t1", "Homepage", "Design", custom_fields={"Reviewer": "anna@agency.example, zed@agency.example"})
    csnap = client("Design", "Approved")
    csnap.fields = {"Reviewer": FieldDef(name="Reviewer", kind="people")}
    result = plan(isnap, csnap, [], link)
    (create,) = [op for op in result.ops if op.kind == "task"]
    assert create.fields["cf:Reviewer"] == "anna@agency.example"  # type: ignore[attr-defined]
    assert any("zed@agency.example" in n.message for n in result.notices)


LABELS = Capabilities(tool="github", custom_fields=True, defined_fields=False, field_limit=50)


def test_a_value_too_long_for_a_github_label_is_a_notice_not_a_write_every_cycle() -> None:
    link = rules(Priority={"to": "Priority"})
    long_value = "Highest, before anything else on the board"  # "Priority: " + this is 52 characters
    isnap, csnap, pairs = world(None, "P3", "P3", link, LABELS)
    isnap.fields = {}
    isnap.tasks["t1"].custom_fields = {"Priority": long_value}
    result = plan_cycle(isnap, csnap, mirror(isnap, csnap.people, link, LABELS), pairs, link, LABELS, OPEN)
    assert not [op for op in result.ops if isinstance(op, UpdateTask)]
    (notice,) = result.notices
    assert notice.code == "custom-field-value" and "50 characters" in notice.message and "github" in notice.message
    # A value that fits is written as before.
    isnap.tasks["t1"].custom_fields = {"Priority": "Highest"}
    fits = plan_cycle(isnap, csnap, mirror(isnap, csnap.people, link, LABELS), pairs, link, LABELS, OPEN)
    assert [op.changes for op in fits.ops if isinstance(op, UpdateTask)] == [{"cf:Priority": "Highest"}]


def test_a_client_value_too_long_for_an_internal_github_label_stays_out_with_a_notice() -> None:
    link = rules(Priority={"to": "Priority", "direction": "both"})
    isnap, csnap, pairs = world("P3", "x" * 45, "P3", link, OPEN)
    isnap.fields, csnap.fields = {}, {}
    result = plan_cycle(isnap, csnap, mirror(isnap, csnap.people, link, OPEN), pairs, link, OPEN, LABELS)
    assert result.ops == [] and [n.code for n in result.notices] == ["custom-field-value"]
    assert value_inbound(FieldMap(name="Priority", to="Priority"), "x" * 40, isnap, LABELS) == (True, "x" * 40)


# -- multi-enum options whose names hold ", " ------------------------------------------------------

# Option names as people type them: letters, spaces, commas and the odd backslash.
NAMES = st.text(st.sampled_from(["a", "B", " ", ",", "\\", "é", "1"]), min_size=1, max_size=10).filter(str.strip)


@given(st.lists(NAMES, min_size=1, max_size=5))
def test_a_multi_enum_value_round_trips_whatever_its_option_names_hold(names: list[str]) -> None:
    value = canonical("multi_enum", names)
    assert value is not None
    assert split(value) == sorted({n.strip() for n in names})
    assert canonical("multi_enum", value) == value  # canonical is a fixed point, read from its string form too
    field = FieldDef(name="Formats", kind="multi_enum", options=tuple(n.strip() for n in names))
    assert field.holds(value)


def test_an_option_named_with_a_comma_stays_one_option() -> None:
    value = canonical("multi_enum", ["Print, large", "Web"])
    assert value == "Print\\, large, Web" and split(value) == ["Print, large", "Web"]
    field = FieldDef(name="Formats", kind="multi_enum", options=("Print, large", "Web"))
    assert field.holds(value) and not field.holds("Print, Web")
    # Values without a comma or a backslash in a name read exactly as before.
    assert joined(["Web", "Print"]) == "Print, Web" and split("b ,a,") == ["b", "a"]


def test_the_access_field_reads_an_escaped_multi_enum_as_its_options() -> None:
    snap = internal("Design")
    both = canonical("multi_enum", ["Acme, Inc", "Globex"]) or ""
    shared = task(snap, "t1", "Homepage", "Design", custom_fields={"Client access": both})
    assert marking(shared, AccessSource(type="custom_field")).named == frozenset({"acme, inc", "globex"})
    plain = task(snap, "t2", "Footer", "Design", custom_fields={"Client access": "acme, globex"})
    assert marking(plain, AccessSource(type="custom_field")).named == frozenset({"acme", "globex"})


def test_a_nested_subtasks_value_is_a_notice_naming_the_field_not_a_silent_drop() -> None:
    link = rules()
    link = link.model_copy(update={"mirror": link.mirror.model_copy(update={"subtasks": True})})
    isnap, csnap, pairs = world("High", "P1", "P1", link, DEFINED)
    task(isnap, "t2", "Check the fonts", None, parent_id="t1", custom_fields={"Priority": "Low"})
    task(isnap, "t3", "Check the colours", None, parent_id="t1")  # no value: nothing to say
    view = mirror(isnap, csnap.people, link, DEFINED)
    assert view.tasks["t2"].parent == "t1" and not any(k.startswith("cf:") for k in view.tasks["t2"].fields)
    result = plan_cycle(isnap, csnap, view, pairs, link, DEFINED, DEFINED)
    (notice,) = [n for n in result.notices if n.key == "subtasks:Priority"]
    assert notice.code == "custom-field-value" and "1 subtask(s)" in notice.message and "'Check the fonts'" in notice.message
    assert not [op for op in result.ops if "cf:Priority" in getattr(op, "fields", {})]
