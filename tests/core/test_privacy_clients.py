"""Per-client sharing and whole-word markers (issue 9), at the edges where a wrong answer would share more.

Written against mutants that survived bench/mutation.sh on the merge of the per-client and
marker work. Each group runs only where its feature exists (several clients on one project:
``AccessSource.client_prefix``; markers read on the document: ``bridge.core.markers``), so this
file also passes on a tree that has only one of them.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

import pytest

from bridge.core.mirror import mirror
from bridge.core.ports import Capabilities
from bridge.core.rules import AccessSource, ApprovalRule, LinkRules, MirrorRules, SectionRule
from bridge.core.section_access import explicit_access
from tests.core.build import attachment, comment, internal, task

FULL = Capabilities()
CLIENTS = ("acme", "globex")
SEVERAL = "client_prefix" in AccessSource.model_fields
WORD_MARKERS = importlib.util.find_spec("bridge.core.markers") is not None
several = pytest.mark.skipif(not SEVERAL, reason="needs several clients on one project (issue 9)")
whole_word = pytest.mark.skipif(not WORD_MARKERS, reason="needs markers read on the document (issue 9)")


def rules_for(name: str, source: AccessSource, default_section: str = "unlocked") -> LinkRules:
    # Typed Any: the per-client API exists only once several clients are supported.
    mirror_rules: Any = MirrorRules(
        sections={"Design": SectionRule(access="unlocked")}, access=source, default_section=default_section
    )
    return LinkRules(mirror=mirror_rules.for_client(name, CLIENTS))


TITLE = AccessSource(type="title_marker", client="[client]", none="[internal]")


# -- a marker naming other clients hides from this one, however it is typed ------------------------


@several
@pytest.mark.parametrize(
    ("source", "title"),
    [
        (TITLE, "Brief [client:atlas]"),  # a name holding the closer's neighbour letter
        (TITLE, "Brief [CLIENT:Globex]"),  # case does not matter to a named marker
        (AccessSource(type="title_marker", client="#client", none="#internal"), "Brief #client:globex"),  # no closer
    ],
)
def test_a_title_naming_another_client_hides_from_this_one_even_in_an_unlocked_section(source: AccessSource, title: str) -> None:
    snap = internal("Design")
    task(snap, "t", title, "Design")
    assert mirror(snap, {}, rules_for("acme", source), FULL).tasks == {}


@several
def test_a_title_naming_this_client_loses_every_marker_on_the_way_out() -> None:
    snap = internal("Design")
    task(snap, "t", "[client:acme] Brief [client:globex]", "Design")
    assert mirror(snap, {}, rules_for("acme", TITLE), FULL).tasks["t"].fields["title"] == "Brief"


@several
def test_the_enum_value_automatic_leaves_the_answer_to_the_section() -> None:
    source = AccessSource(type="custom_field")
    snap = internal("Design", "Budget")
    task(snap, "t", "Homepage", "Design", custom_fields={"Client access": "Automatic"})
    task(snap, "u", "Budget", "Budget", custom_fields={"Client access": "Automatic"})
    assert set(mirror(snap, {}, rules_for("acme", source, default_section="locked"), FULL).tasks) == {"t"}


@several
@pytest.mark.parametrize(
    ("source", "fields"),
    [
        (AccessSource(type="label"), {"labels": ["client:acme"]}),
        (TITLE, {"title": "Brief [client:acme]"}),
        (AccessSource(type="custom_field"), {"custom_fields": {"Client access": "acme, globex"}}),
    ],
)
def test_a_named_share_reads_as_client_access(source: AccessSource, fields: dict) -> None:
    fields = dict(fields)
    snap = internal("Design")
    made = task(snap, "t", fields.pop("title", "Brief"), "Design", **fields)
    assert explicit_access(made, source) == "client"


@several
@pytest.mark.parametrize(
    ("source", "marker"),
    [
        ({"type": "label", "client": "share", "client_prefix": "for:"}, "for:acme"),
        ({"type": "title_marker", "client": "#client"}, "#client:acme"),
        ({"type": "title_marker", "client": "[client]"}, "[client:acme]"),
        ({"type": "custom_field"}, "acme"),
    ],
)
def test_a_request_is_shared_with_its_own_client_by_name(source: dict, marker: str) -> None:
    made: Any = AccessSource(**source)
    assert made.named_marker("acme") == marker


# -- files: another client's file and files after a hidden one -------------------------------------


@several
@pytest.mark.skipif("foreign" not in inspect.signature(mirror).parameters, reason="needs foreign client input")
def test_another_clients_file_never_reaches_this_client_even_when_marked() -> None:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design")
    attachment(snap, "a-acme", "t", "[client] acme-contract.pdf")
    attachment(snap, "a-ours", "t", "[client] mockup.png")
    with_foreign: Any = mirror
    view = with_foreign(snap, {}, rules_for("globex", AccessSource()), FULL, foreign=frozenset({"a-acme"}))
    assert set(view.attachments) == {"a-ours"}


def test_a_file_on_a_hidden_task_does_not_stop_the_files_after_it() -> None:
    snap = internal("Design", "Budget")
    task(snap, "h", "Budget", "Budget")
    task(snap, "t", "Homepage", "Design")
    attachment(snap, "a1", "h", "[client] budget.xlsx")
    attachment(snap, "a2", "t", "[client] mockup.png")
    view = mirror(snap, {}, LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")})), FULL)
    assert set(view.attachments) == {"a2"}


# -- title markers removed as whole words ----------------------------------------------------------


@whole_word
@pytest.mark.parametrize(
    ("client_marker", "title", "expected"),
    [
        ("client", "Myclient app client", "Myclient app"),  # glued into a word: not the marker
        ("client", "Client app clientele", "app clientele"),
        ("[client]", "Logo [client]2026", "Logo2026"),  # a marker ending in a bracket needs no word edge
        ("[client]", "x[client] Logo", "xLogo"),
    ],
)
def test_a_title_marker_is_removed_where_it_stands_as_a_marker(client_marker: str, title: str, expected: str) -> None:
    source = AccessSource(type="title_marker", client=client_marker, none="[internal]")
    snap = internal("Locked")
    task(snap, "t", title, "Locked")
    view = mirror(snap, {}, LinkRules(mirror=MirrorRules(access=source)), FULL)
    assert "".join(view.tasks["t"].fields["title"].split()) == "".join(expected.split())  # spacing aside


# -- the cut line inside other blocks --------------------------------------------------------------


@whole_word
@pytest.mark.parametrize(
    "notes",
    [
        "Public\n\n```\n---internal---\nMargin 40%\n```",  # fenced code
        "Public\n\n```js\nlet a\n---internal---\nMargin 40%\n```",
        "Public\n\n    ---internal---\n    Margin 40%",  # indented code
        "Public<br>---internal---<br>Margin 40%",  # a line break written as HTML
        "Public\n\n![---internal---](https://example.com/x.png)\n\nMargin 40%",  # an image whose text is the marker
        "Public\n\n--- internal ---\n\nMargin 40%",
    ],
)
def test_a_cut_line_inside_any_block_hides_what_follows(notes: str) -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design", notes=notes)
    view = mirror(snap, {}, LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")})), FULL)
    assert "Margin" not in view.tasks["t"].fields["notes"]


@whole_word
def test_a_shared_comment_keeps_its_links_headings_lists_and_quotes() -> None:
    snap = internal("Design")
    task(snap, "t", "Task", "Design")
    text = "#client See [the draft](https://example.com/d)\n\n## Plan\n\n1. one\n2. two\n\n> quoted **text**\n\n```\ncode\n```"
    comment(snap, "c", "t", text)
    view = mirror(snap, {}, LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")})), FULL)
    shared = view.comments["c"].text
    for part in ("[the draft](https://example.com/d)", "## Plan", "1. one", "2. two", "> quoted **text**", "```\ncode\n```"):
        assert part in shared
    assert "#client" not in shared


# -- markers naming a client no link serves: shared with nobody, and said so once -----------------


@several
def test_markers_naming_unknown_clients_share_with_nobody_and_name_them_all_in_one_notice() -> None:
    snap = internal("Design")
    task(snap, "t", "Brief [client:atlas]", "Design")
    task(snap, "u", "Logo [client:zeta]", "Design")
    task(snap, "v", "Logo [client:acme]", "Design")
    view = mirror(snap, {}, rules_for("acme", TITLE), FULL)
    assert list(view.tasks) == ["v"]
    assert [n.model_dump(include={"code", "key", "message"}) for n in view.notices] == [
        {
            "code": "unknown-client",
            "key": "atlas,zeta",
            "message": "markers name 'atlas', 'zeta', which no link of this project serves; those items are shared "
            "with nobody (known: acme, globex)",
        }
    ]


@several
@pytest.mark.parametrize(
    ("source", "title", "labels"), [(AccessSource(type="label"), "Brief", ["client:"]), (TITLE, "Brief [client:]", [])]
)
def test_a_per_client_marker_with_no_name_names_nobody(source: AccessSource, title: str, labels: list[str]) -> None:
    snap = internal("Design")
    task(snap, "t", title, "Design", labels=labels)
    view = mirror(snap, {}, rules_for("acme", source), FULL)
    assert list(view.tasks) == ["t"] and view.notices == []  # the section decides, as with no marker at all


@several
def test_an_approval_by_section_only_has_no_approval_label_for_any_client() -> None:
    rules = rules_for("acme", TITLE)
    rules = rules.model_copy(
        update={
            "inbound": rules.inbound.model_copy(update={"approval": ApprovalRule(internal_label=None, internal_section="Done")})
        }
    )
    assert rules.approval_label() is None


@several
def test_a_marker_ending_in_a_letter_names_its_client_after_a_colon() -> None:
    source = AccessSource(type="title_marker", client="#shareX", none="#internal")
    snap = internal("Design")
    task(snap, "t", "Brief #shareX:acme", "Design")
    assert list(mirror(snap, {}, rules_for("acme", source, "locked"), FULL).tasks) == ["t"]
    assert mirror(snap, {}, rules_for("globex", source, "locked"), FULL).tasks == {}
