"""What the client view holds, rule by rule, at the edges where a wrong answer would share more.

Each test here was written against a mutant that survived the older suite (bench/mutation.sh,
docs/conformance.md "Mutation testing of the privacy rules"): a one-token change of the filter that let
something hidden reach the client view, or changed what went out, without any test failing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from bridge import richtext
from bridge.core.mirror import APPROVAL, SHARED, cut_notes, mirror
from bridge.core.model import Person
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
from bridge.core.section_access import explicit_access, resolve_access
from bridge.richtext.ast import Mention, Text
from bridge.richtext.audience import Audience
from tests.core.build import ANNA, BOB, attachment, comment, internal, task

FULL = Capabilities()
UNLOCKED = {"Design": SectionRule(access="unlocked")}


def rules(fields: FieldRules | None = None, inbound: InboundRules | None = None, **mirror_kw: object) -> LinkRules:
    mirror_kw.setdefault("sections", UNLOCKED)
    if fields is not None:
        mirror_kw["fields"] = fields
    return LinkRules(mirror=MirrorRules(**mirror_kw), inbound=inbound or InboundRules())


# -- tasks that belong to no known section ---------------------------------------------------------


@pytest.mark.parametrize("section_id", [None, "s-deleted"])
def test_a_top_level_task_without_a_known_section_stays_hidden(section_id: str | None) -> None:
    snap = internal("Design")
    task(snap, "t", "Payroll review", "Design")
    snap.tasks["t"].section_id = section_id
    for default in ("locked", "unlocked"):
        view = mirror(snap, {}, rules(default_section=default), FULL)
        assert view.tasks == {}, default
        assert "Payroll" not in view.model_dump_json()


def test_an_orphan_subtask_is_hidden_and_resolved_as_not_shared() -> None:
    snap = internal("Design")
    task(snap, "s", "Fix payroll export", parent_id="t-elsewhere")
    assert resolve_access(snap, MirrorRules(sections=UNLOCKED)) == {"s": False}
    assert mirror(snap, {}, rules(), FULL).tasks == {}


def test_a_shared_subtask_whose_parent_is_out_of_reach_lands_in_the_shared_section() -> None:
    snap = internal("Design")
    task(snap, "s", "Approve copy", parent_id="t-elsewhere", labels=["client"])
    view = mirror(snap, {}, rules(), FULL)
    assert view.tasks["s"].section == SHARED and view.tasks["s"].parent is None


def test_a_shared_task_under_a_cycle_of_parents_lands_in_the_shared_section() -> None:
    snap = internal("Design")
    task(snap, "b", "Loop B (internal)", parent_id="c")
    task(snap, "c", "Loop C (internal)", parent_id="b")
    task(snap, "a", "Approve copy", parent_id="b", labels=["client"])
    view = mirror(snap, {}, rules(), FULL)
    assert set(view.tasks) == {"a"}
    assert view.tasks["a"].section == SHARED


# -- explicit access, as every caller reads it -----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fields", "expected"),
    [
        (AccessSource(type="custom_field"), {"custom_fields": {"Client access": " Client "}}, "client"),
        (AccessSource(type="custom_field"), {"custom_fields": {"Client access": "Internal"}}, "none"),
        (AccessSource(type="custom_field"), {"custom_fields": {"Client access": "none"}}, "none"),
        (AccessSource(type="custom_field"), {"custom_fields": {}}, "automatic"),
        (AccessSource(type="label"), {"labels": ["client", "internal"]}, "none"),
        (AccessSource(type="label"), {"labels": ["Client"]}, "client"),
        (AccessSource(type="label"), {"labels": ["ux"]}, "automatic"),
        (AccessSource(type="title_marker", client="[client]", none="[internal]"), {"title": "A [client] [internal]"}, "none"),
        (AccessSource(type="title_marker", client="[client]", none="[internal]"), {"title": "A [Client]"}, "client"),
        (AccessSource(type="title_marker", client="[client]", none="[internal]"), {"title": "A"}, "automatic"),
    ],
)
def test_explicit_access_reads_the_links_source_and_hiding_wins(source: AccessSource, fields: dict, expected: str) -> None:
    snap = internal("Design")
    fields = dict(fields)
    made = task(snap, "t", fields.pop("title", "A"), "Design", **fields)
    assert explicit_access(made, source) == expected


# -- fields whose direction is "none" --------------------------------------------------------------


def test_labels_never_go_out_by_default() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", labels=["billing", "ux"])
    assert "labels" not in mirror(snap, {}, rules(), FULL).tasks["t"].fields


@pytest.mark.parametrize("name", ["title", "notes", "labels", "due", "start", "done", "assignees"])
def test_a_field_with_direction_none_never_goes_out(name: str) -> None:
    snap = internal("Design")
    task(
        snap,
        "p",
        "Secret title",
        "Design",
        notes="Secret notes",
        labels=["billing"],
        assignees=[ANNA.id],
        due=dt.date(2030, 1, 2),
        start=dt.date(2030, 1, 1),
        done=True,
    )
    task(snap, "s", "Secret sub", parent_id="p")
    open_fields = FieldRules(labels="to_client", assignees="to_client")
    closed = open_fields.model_copy(update={name: "none"})
    view = mirror(snap, {}, rules(closed), FULL)
    assert name not in view.tasks["p"].fields
    assert name not in view.tasks["s"].fields  # nested: the client tool holds title and done
    assert name in mirror(snap, {}, rules(open_fields), FULL).tasks["p"].fields


def test_start_and_due_go_out_as_iso_dates() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", start=dt.date(2030, 1, 1), due=dt.date(2030, 2, 1))
    fields = mirror(snap, {}, rules(), FULL).tasks["t"].fields
    assert (fields["start"], fields["due"]) == ("2030-01-01", "2030-02-01")


# -- labels that carry internal meaning --------------------------------------------------------------


def test_the_approval_label_never_goes_out_without_an_allow_list() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", labels=["Client-Approved", "client", "ux"])
    view = mirror(snap, {}, rules(FieldRules(labels="to_client")), FULL)
    assert view.tasks["t"].fields["labels"] == ["ux"]


def test_without_an_approval_rule_labels_still_go_out_and_the_access_labels_do_not() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", labels=["client-approved", "client", "ux"])
    view = mirror(snap, {}, rules(FieldRules(labels="to_client"), InboundRules(approval=None)), FULL)
    assert view.tasks["t"].fields["labels"] == ["client-approved", "ux"]
    assert APPROVAL not in view.sections


# -- people --------------------------------------------------------------------------------------------


def test_unmatched_assignees_stay_out_of_the_notes_by_default() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", notes="Scope", assignees=[BOB.id])
    view = mirror(snap, {}, rules(FieldRules(assignees="to_client")), FULL)
    assert view.tasks["t"].fields["notes"] == "Scope"
    assert "Bob" not in view.model_dump_json()


@pytest.mark.parametrize(
    ("notes", "expected"), [("Scope", "Scope\n\nAssigned to: Bob Builder"), ("", "Assigned to: Bob Builder")]
)
def test_unmatched_assignees_are_named_in_the_notes_only_when_asked(notes: str, expected: str) -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", notes=notes, assignees=[BOB.id])
    named = rules(FieldRules(assignees="to_client"), people=PeopleRules(unmatched="name"))
    assert mirror(snap, {}, named, FULL).tasks["t"].fields["notes"] == expected
    task(snap, "u", "Unassigned", "Design", notes=notes)
    assert mirror(snap, {}, named, FULL).tasks["u"].fields["notes"] == notes


def test_an_assignee_unknown_to_the_internal_snapshot_is_neither_mapped_nor_named() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", notes="Scope", assignees=["u-ghost", ANNA.id])
    people = {"c-anna": ANNA.model_copy(update={"id": "c-anna"})}
    named = rules(FieldRules(assignees="to_client"), people=PeopleRules(unmatched="name"))
    fields = mirror(snap, people, named, FULL).tasks["t"].fields
    assert fields["assignees"] == ["c-anna"] and fields["notes"] == "Scope"


def test_a_person_without_email_or_tool_key_is_unknown_to_an_audience() -> None:
    nameless = Person(id="c9", name="Dora", email=None)
    assert Audience.of([nameless]).known == {}
    assert Audience.of([nameless], tool="trello").known == {"trello:c9": Mention("trello:c9", "Dora")}


def test_an_audience_knows_people_by_email_and_shows_their_username_when_they_have_no_name() -> None:
    carla = Person(id="c1", name="", username="carla", email="Carla@Client.example")
    audience = Audience.of([carla])
    assert audience.resolve(Mention("carla@client.example", "C.")) == Mention("Carla@Client.example", "carla")
    assert audience.resolve(Mention("bob@agency.example", "Bob")) == Text("Bob")


# -- titles, notes, comments and files: exact text ---------------------------------------------------


def test_a_title_marker_is_removed_with_the_space_around_it() -> None:
    snap = internal("Locked")
    task(snap, "t", "Big  [client] logo", "Locked")
    view = mirror(snap, {}, rules(access=AccessSource(type="title_marker", client="[client]", none="[internal]")), FULL)
    assert view.tasks["t"].fields["title"] == "Big logo"


def test_a_self_overlapping_marker_is_removed_from_the_left() -> None:
    snap = internal("Locked")
    task(snap, "t", "x-x-x Logo x-x-x", "Locked")
    view = mirror(snap, {}, rules(access=AccessSource(type="title_marker", client="x-x", none="[internal]")), FULL)
    assert "".join(view.tasks["t"].fields["title"].split()) == "-xLogo-x"  # spacing aside


def test_notes_above_the_cut_keep_their_lines_and_leading_space() -> None:
    assert cut_notes("  Scope\nHero   \n---internal---\nMargin 40%", "---internal---") == "  Scope\nHero"
    assert cut_notes("Scope\n---internal---", "") == "Scope\n---internal---"


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_a_cut_line_hides_what_follows_whatever_the_line_endings(eol: str) -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", notes=f"Public{eol}{eol}---internal---{eol}Margin 40%{eol}")
    assert "Margin" not in mirror(snap, {}, rules(), FULL).tasks["t"].fields["notes"]


def test_a_multi_line_shared_comment_keeps_its_lines() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design")
    comment(snap, "c", "t", "#client First line\nsecond  line")
    text = mirror(snap, {}, rules(), FULL).comments["c"].text
    assert [" ".join(line.split()) for line in text.splitlines()] == ["Anna Agency: First line", "second line"]


def test_a_shared_comment_without_author_or_date_is_attributed_to_the_agency() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design")
    made = comment(snap, "c", "t", "#client Draft attached")
    snap.comments["c"] = made.model_copy(update={"author": None, "created_at": None})
    snap.comments["d"] = made.model_copy(update={"id": "d", "author": Person(id="u-x", name=""), "created_at": None})
    view = mirror(snap, {}, rules(comment_attribution="{name} [{date}]: "), FULL)
    assert view.comments["c"].text == "Agency []: Draft attached"
    assert view.comments["d"].text == "Agency []: Draft attached"


def test_files_never_go_out_to_a_tool_that_holds_none() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design")
    attachment(snap, "a", "t", "[client] mockup.png", url="https://files.example/mockup.png")
    assert mirror(snap, {}, rules(), FULL.model_copy(update={"attachments": "none"})).attachments == {}
    shared = mirror(snap, {}, rules(), FULL).attachments["a"]
    assert (shared.name, shared.url) == ("mockup.png", "https://files.example/mockup.png")


# -- where things sit on the client side -------------------------------------------------------------


def test_subtasks_switched_off_travel_as_tasks_of_their_own() -> None:
    snap = internal("Design")
    task(snap, "p", "Parent", "Design")
    task(snap, "s", "Child", parent_id="p", notes="detail")
    view = mirror(snap, {}, rules(subtasks=False), FULL)
    assert view.tasks["s"].parent is None and view.tasks["s"].section == "s-design"
    assert view.tasks["s"].fields["notes"] == "detail"


def test_the_view_keeps_positions_and_times_and_puts_shared_first_and_approved_last() -> None:
    snap = internal("Internal QA", "Design")
    created = dt.datetime(2026, 1, 3, tzinfo=dt.UTC)
    task(snap, "t", "Task", "Design", position=7.5, created_at=created)
    task(snap, "u", "Shared from QA", "Internal QA", labels=["client"], modified_at=None)
    view = mirror(snap, {}, rules(), FULL)
    assert (view.tasks["t"].position, view.tasks["t"].created_at) == (7.5, created.isoformat())
    assert (view.tasks["u"].modified_at, view.tasks["u"].created_at) == (None, None)
    assert view.sections["s-design"].position == 1.0
    order = [key for key, _ in sorted(view.sections.items(), key=lambda kv: kv[1].position)]
    assert order == [SHARED, "s-design", APPROVAL]
    assert view.sections[SHARED].position < 0 and view.sections[APPROVAL].position >= 1e9


# -- rules ---------------------------------------------------------------------------------------------


def test_field_directions_default_to_the_safe_side() -> None:
    fields = FieldRules()
    assert fields.direction("section_id") == "to_client"
    assert [fields.direction(n) for n in ("title", "notes", "done", "labels", "assignees")] == [
        "to_client",
        "to_client",
        "both",
        "none",
        "none",
    ]
    assert MirrorRules().section_rule("Anything") == SectionRule(access="locked")
    assert ApprovalRule().internal_label == "client-approved"


@pytest.mark.parametrize(
    "empty",
    [
        {"access": AccessSource(type="title_marker", client="")},
        {"access": AccessSource(type="custom_field", client="")},
        {"comment_marker": ""},
        {"file_marker": ""},
    ],
    ids=["title-marker", "custom-field", "comment-marker", "file-marker"],
)
def test_an_empty_sharing_marker_shares_nothing(empty: dict) -> None:
    try:
        link = rules(**empty)
    except ValidationError:
        return  # refused when the config is read: nothing can go out
    snap = internal("Payroll", "Design")
    task(snap, "t1", "Payroll review", "Payroll")
    task(snap, "t2", "Homepage", "Design")
    comment(snap, "c", "t2", "Salary talk with Bob")
    attachment(snap, "a", "t2", "payroll.xlsx")
    view = mirror(snap, {}, link, FULL)
    assert "t1" not in view.tasks
    assert view.comments == {} and view.attachments == {}


def test_an_embedded_file_goes_out_as_its_plain_link() -> None:
    brief = "https://3.basecamp-static.com/1/blobs/ab12/download/Brief.pdf"
    embed = (
        f'<bc-attachment sgid="BAh7" content-type="application/pdf" href="{brief}" filename="Brief.pdf">'
        "<figure><figcaption>Brief.pdf</figcaption></figure></bc-attachment>"
    )
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=richtext.read("basecamp", f"<div>Brief: {embed}</div>"))
    view = mirror(snap, {}, LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")})), Capabilities())
    assert view.tasks["t"].fields["notes"] == f"Brief: [Brief.pdf]({brief})"
