"""The mirror filter, rule by rule (docs/design.md, "The mirror filter")."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.core.mirror import APPROVAL, SHARED, cut_notes, mirror
from bridge.core.ports import Capabilities
from bridge.core.rules import (
    AccessSource,
    ApprovalRule,
    FieldRules,
    InboundRules,
    LinkRules,
    MirrorRules,
    PeopleRules,
    SectionRule,
)
from tests.core.build import ANNA, BOB, attachment, comment, internal, task

FULL = Capabilities()
FLAT = Capabilities(subtask_fields=frozenset())


def rules(**mirror_kw: object) -> LinkRules:
    mirror_kw.setdefault("sections", {"Design": SectionRule(access="unlocked")})
    return LinkRules(mirror=MirrorRules(**mirror_kw))


@pytest.mark.parametrize(
    ("section_access", "task_access", "shared"),
    [
        ("locked", None, False),
        ("locked", "client", True),
        ("locked", "internal", False),
        ("unlocked", None, True),
        ("unlocked", "client", True),
        ("unlocked", "internal", False),
    ],
)
def test_section_task_precedence_table(section_access: str, task_access: str | None, shared: bool) -> None:
    snap = internal("Work")
    task(snap, "t1", "Homepage", "Work", labels=[task_access] if task_access else [])
    view = mirror(snap, {}, rules(sections={"Work": SectionRule(access=section_access)}), FULL)
    assert ("t1" in view.tasks) is shared


def test_sections_are_locked_by_default_and_their_names_never_go_out() -> None:
    snap = internal("Internal QA", "Design")
    task(snap, "t1", "Shared from a locked section", "Internal QA", labels=["client"])
    view = mirror(snap, {}, rules(), FULL)
    names = {s.name for s in view.sections.values()}
    assert "Internal QA" not in names
    assert view.tasks["t1"].section == SHARED
    assert view.sections[SHARED].name == "Shared with you"


def test_unlocked_section_can_be_renamed_for_the_client() -> None:
    snap = internal("Design")
    view = mirror(snap, {}, rules(sections={"Design": SectionRule(access="unlocked", rename="Design review")}), FULL)
    assert [s.name for s in view.sections.values() if s.key == "s-design"] == ["Design review"]


@pytest.mark.parametrize(
    ("source", "shared_task", "hidden_task"),
    [
        (
            AccessSource(type="custom_field"),
            {"custom_fields": {"Client access": "client"}},
            {"custom_fields": {"Client access": "none"}},
        ),
        (AccessSource(type="label", client="share", none="private"), {"labels": ["share"]}, {"labels": ["private"]}),
        (AccessSource(type="title_marker", client="[client]", none="[internal]"), {}, {}),
    ],
)
def test_access_source_is_configurable(source: AccessSource, shared_task: dict, hidden_task: dict) -> None:
    snap = internal("Locked", "Design")
    title_shared = "Logo [client]" if source.type == "title_marker" else "Logo"
    title_hidden = "Budget [internal]" if source.type == "title_marker" else "Budget"
    task(snap, "t1", title_shared, "Locked", **shared_task)
    task(snap, "t2", title_hidden, "Design", **hidden_task)
    view = mirror(snap, {}, rules(access=source), FULL)
    assert set(view.tasks) == {"t1"}
    assert view.tasks["t1"].fields["title"] == "Logo"  # a title marker never reaches the client


def test_subtasks_inherit_their_parent_unless_set() -> None:
    snap = internal("Design")
    task(snap, "p", "Parent", "Design")
    task(snap, "a", "Inherits", parent_id="p")
    task(snap, "b", "Hidden explicitly", parent_id="p", labels=["internal"])
    view = mirror(snap, {}, rules(), FULL)
    assert set(view.tasks) == {"p", "a"}
    assert view.tasks["a"].parent == "p" and view.tasks["a"].section is None


def test_shared_subtask_of_hidden_parent_becomes_a_task_of_its_own() -> None:
    snap = internal("Internal QA")
    task(snap, "p", "Fix staging DB (secret)", "Internal QA")
    task(snap, "s", "Approve copy", parent_id="p", labels=["client"])
    view = mirror(snap, {}, rules(), FULL)
    assert set(view.tasks) == {"s"}
    assert view.tasks["s"].parent is None and view.tasks["s"].section == SHARED
    assert "secret" not in view.model_dump_json()


def test_subtasks_flatten_when_the_client_tool_cannot_nest() -> None:
    snap = internal("Design")
    task(snap, "p", "Parent", "Design")
    task(snap, "a", "Child", parent_id="p", due=dt.date(2030, 1, 1))
    view = mirror(snap, {}, rules(), FLAT)
    assert view.tasks["a"].parent is None and view.tasks["a"].section == "s-design"
    assert view.tasks["a"].fields["due"] == "2030-01-01"


def test_nested_subtasks_carry_only_what_the_client_can_hold() -> None:
    snap = internal("Design")
    task(snap, "p", "Parent", "Design")
    task(snap, "a", "Child", parent_id="p", notes="long notes", due=dt.date(2030, 1, 1))
    view = mirror(snap, {}, rules(), Capabilities(subtask_fields=frozenset({"title", "done"})))
    assert set(view.tasks["a"].fields) == {"title", "done"}


def test_comments_go_out_only_when_marked_and_attributed() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design")
    comment(snap, "c1", "t", "Logged 2h on this, client is slow")
    comment(snap, "c2", "t", "#client Here is the first draft")
    view = mirror(snap, {}, rules(), FULL)
    assert set(view.comments) == {"c2"}
    assert view.comments["c2"].text == "Anna Agency: Here is the first draft"


def test_comments_of_hidden_tasks_never_go_out_even_when_marked() -> None:
    snap = internal("Internal QA")
    task(snap, "t", "Hidden", "Internal QA")
    comment(snap, "c1", "t", "#client looks fine")
    assert mirror(snap, {}, rules(), FULL).comments == {}


def test_files_go_out_only_when_marked() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design")
    attachment(snap, "a1", "t", "timesheet.xlsx")
    attachment(snap, "a2", "t", "[client] mockup.png", url="https://files.example/mockup.png")
    view = mirror(snap, {}, rules(), FULL)
    assert set(view.attachments) == {"a2"}
    assert view.attachments["a2"].name == "mockup.png"


def test_notes_are_cut_below_the_marker_line() -> None:
    assert cut_notes("Scope\n---internal---\nbudget: 4000", "---internal---") == "Scope"
    snap = internal("Design")
    task(snap, "t", "Task", "Design", notes="Public part\n---internal---\nMargin 40%")
    assert mirror(snap, {}, rules(), FULL).tasks["t"].fields["notes"] == "Public part"


def test_fields_with_direction_none_do_not_go_out() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", due=dt.date(2030, 1, 1), assignees=["u-anna"])
    view = mirror(snap, {}, rules(fields=FieldRules(due="none")), FULL)
    assert "due" not in view.tasks["t"].fields and "assignees" not in view.tasks["t"].fields


def test_assignees_map_by_email_or_explicit_map_and_unmatched_are_never_invented() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", assignees=[ANNA.id, BOB.id])
    people = {
        "c-anna": ANNA.model_copy(update={"id": "c-anna"}),
        "c-x": BOB.model_copy(update={"id": "c-x", "email": "bobby@client.example"}),
    }
    plain = mirror(snap, people, rules(fields=FieldRules(assignees="to_client")), FULL)
    assert plain.tasks["t"].fields["assignees"] == ["c-anna"]
    mapped = mirror(
        snap,
        people,
        rules(fields=FieldRules(assignees="to_client"), people=PeopleRules(map={"bob@agency.example": "bobby@client.example"})),
        FULL,
    )
    assert mapped.tasks["t"].fields["assignees"] == ["c-anna", "c-x"]
    named = mirror(snap, {}, rules(fields=FieldRules(assignees="to_client"), people=PeopleRules(unmatched="name")), FULL)
    assert named.tasks["t"].fields["assignees"] == []
    assert "Assigned to: Anna Agency, Bob Builder" in named.tasks["t"].fields["notes"]


def test_labels_going_out_never_include_access_or_approval_labels() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", labels=["client", "client-approved", "ux", "billing"])
    view = mirror(snap, {}, rules(fields=FieldRules(labels="to_client", labels_allowed=["ux", "client"])), FULL)
    assert view.tasks["t"].fields["labels"] == ["ux"]


def test_approved_tasks_sit_in_the_client_approval_section() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", labels=["client-approved"])
    view = mirror(snap, {}, rules(), FULL)
    assert view.tasks["t"].section == APPROVAL
    assert view.sections[APPROVAL].name == "Approved"
    by_section = LinkRules(
        mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}),
        inbound=InboundRules(approval=ApprovalRule(internal_label=None, internal_section="Signed off")),
    )
    snap2 = internal("Design", "Signed off")
    task(snap2, "t", "Task", "Signed off", labels=["client"])
    assert mirror(snap2, {}, by_section, FULL).tasks["t"].section == APPROVAL


def test_a_cycle_of_parents_never_shares_by_accident() -> None:
    snap = internal("Design")
    task(snap, "a", "A", parent_id="b")
    task(snap, "b", "B", parent_id="a")
    assert mirror(snap, {}, rules(), FULL).tasks == {}
