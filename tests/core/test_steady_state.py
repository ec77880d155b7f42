"""The planner's shortcuts for the common case keep the full path's answers.

A linked task equal on both sides skips the field-by-field merge, and notes with
no trace of the cut line skip the Markdown parse (bridge/core/markers.py); both
must decide exactly as the long way would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.fields import KINDS, FieldDef, FieldKind, FieldMap, _decimal, canonical, lookup, number, people_across, value_out
from bridge.core.link import Pair
from bridge.core.markers import _cut_at, _cut_keys, _may_hold
from bridge.core.mirror import Projection, mirror
from bridge.core.model import Snapshot, Task
from bridge.core.ops import Plan, Rebase
from bridge.core.plan.custom import fit_fields, fits
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import AccessSource, FieldRules, LinkRules, MirrorRules, PeopleRules, SectionRule
from bridge.core.section_access import OwnAnswers, resolve_access
from bridge.richtext.audience import Audience
from tests.core.build import client, internal, task
from tests.core.test_plan import linked_world, plan


def test_equal_sides_with_a_lagging_base_only_rebase() -> None:
    isnap, csnap, pairs = linked_world()
    isnap.tasks["t1"].title = csnap.tasks["c1"].title = "Homepage v2"  # both made the same edit
    p = plan(isnap, csnap, pairs)
    rebases = [op for op in p.ops if isinstance(op, Rebase)]
    assert p.writes() == [] and p.conflicts == []
    assert len(rebases) == 1 and rebases[0].base is not None
    assert rebases[0].base == {**pairs[-1].base, "title": "Homepage v2"}


def test_equal_sides_with_the_base_agreed_plan_nothing() -> None:
    isnap, csnap, pairs = linked_world()
    assert plan(isnap, csnap, pairs).ops == []


_NOISE = ["", "", "", " ", "\u00a0", "\u200b", "*", "_", "<b>", "</b>", "<!-- -->", "\n"]
_AROUND = ["", "x", "Notes\n\n", "- ", "> ", "```\n", "&amp;", "<i>", "\n\nrest"]


@st.composite
def notes_near_a_marker(draw: st.DrawFn, marker: str) -> str:
    """The marker as a person might type it: case changed, noise between its characters, text around it."""
    chars = [c.upper() if draw(st.booleans()) else c for c in marker]
    spelled = "".join(c + draw(st.sampled_from(_NOISE)) for c in chars)
    return draw(st.sampled_from(_AROUND)) + spelled + draw(st.sampled_from(_AROUND))


@given(st.data(), st.sampled_from(["---internal---", "Internal only", "[cut]"]))
def test_the_pre_test_never_says_no_to_notes_the_parse_would_cut(data: st.DataObject, marker: str) -> None:
    text = data.draw(notes_near_a_marker(marker))
    keys = _cut_keys(marker)
    if _cut_at(text, keys) is not None:
        assert _may_hold(text, keys)


# -- custom fields: each value read back once, numbers in plain digits without Decimal --------------------

_NUMBERISH = st.text(alphabet="0123456789٣²-+.eE_ ,x", max_size=12)


@given(st.one_of(_NUMBERISH, st.integers().map(str), st.from_regex(r"[1-9][0-9]{0,30}", fullmatch=True)))
def test_plain_digits_read_as_the_decimal_reading_does(value: str) -> None:
    assert number(value) == _decimal(value)


_KIND_DEFS = st.builds(
    FieldDef,
    name=st.just("F"),
    kind=st.sampled_from(KINDS),
    options=st.lists(st.sampled_from(["High", "Low", "3", "Print\\, large"]), max_size=3).map(tuple),
)


_VALUES = st.one_of(_NUMBERISH, st.sampled_from(["", "High", "true", "2026-05-01T10:00", " a  b ", "Print\\, large, Low"]))


@given(st.one_of(st.none(), _KIND_DEFS), _VALUES)
def test_a_fit_is_what_holds_and_canonical_say(target: FieldDef | None, value: str) -> None:
    held = target is None or target.holds(value)
    assert fits(target, value) == (held, canonical(target.kind if target else "text", value) if held else None)


# -- linked tasks: the settled test and the full merge plan alike ---------------------------------------

_RULES = LinkRules(
    mirror=MirrorRules(
        sections={"Design": SectionRule(access="unlocked")},
        fields=FieldRules(labels="both", assignees="both", due="both",
                          custom={"Priority": FieldMap(name="Priority", to="Priority", direction="both",
                                                       values={"High": "P1", "Low": "P3"})}),
    )
)
_CAPS = Capabilities(custom_fields=True)
_TITLES = st.sampled_from(["Homepage", "Homepage v2"])
_NOTES = st.sampled_from(["", "Hero", "Hero\n\n---internal---\nsecret", "Hi [Anna](person:anna@agency.example)"])
_DAYS = st.sampled_from([None, dt.date(2026, 5, 1), dt.date(2026, 6, 1)])
_LABELS = st.lists(st.sampled_from(["web", "print", "Web", "client"]), max_size=3)
_EDITS = {"title": _TITLES, "notes": _NOTES, "done": st.booleans(), "due": _DAYS.map(lambda d: d and d.isoformat()),
          "labels": _LABELS, "assignees": st.just(["c-carla"]), "cf:Priority": st.sampled_from([None, "P1", "P3"])}


@st.composite
def linked_worlds(draw: st.DrawFn) -> tuple[Snapshot, Snapshot, list[Pair]]:
    """Linked tasks (one maybe nested, one maybe shared from a locked section) whose client copies and
    bases are mostly as the mirror wants them, and sometimes not: a field edited, a base lagging."""
    isnap, csnap = internal("Design", "Build"), client("Design", "Shared with you", "Approved")
    isnap.fields = {"Priority": FieldDef(name="Priority", kind="enum", options=("High", "Low"))}
    csnap.fields = {"Priority": FieldDef(name="Priority", kind="enum", options=("P1", "P3"))}
    count = draw(st.integers(1, 3))
    for n in range(count):
        parent = "t0" if n == 2 and draw(st.booleans()) else None
        section = draw(st.sampled_from(["Design", "Build"])) if parent is None else None
        task(isnap, f"t{n}", draw(_TITLES), section, notes=draw(_NOTES), done=draw(st.booleans()), due=draw(_DAYS),
             labels=draw(_LABELS) + (["client"] if section == "Build" else []), parent_id=parent,
             assignees=draw(st.lists(st.sampled_from(["u-anna", "u-bob"]), max_size=2)),
             custom_fields={"Priority": p} if (p := draw(st.sampled_from([None, "High", "Low", "Mid"]))) else {})
    view = mirror(isnap, csnap.people, _RULES, _CAPS)
    lists = {"s-design": "cs-design", "@shared": "cs-shared with you", "@approval": "cs-approved"}
    pairs = [Pair(kind="section", key=key, client_id=cid, base={"name": csnap.sections[cid].name}) for key, cid in lists.items()]
    for key, shown in view.tasks.items():
        fields = dict(shown.fields)
        if draw(st.integers(0, 3)) == 0:  # the client edited a field
            name = draw(st.sampled_from(sorted(fields)))
            fields[name] = draw(_EDITS.get(name, st.none()))
        section = lists[shown.section] if shown.section else None
        if draw(st.integers(0, 5)) == 0:  # the client moved the card (to the approval list, say)
            section = draw(st.sampled_from([None, *lists.values()]))
        csnap.tasks[f"c-{key}"] = Task(
            id=f"c-{key}", title=fields["title"], notes=fields.get("notes", ""), done=fields["done"],
            due=dt.date.fromisoformat(fields["due"]) if fields.get("due") else None,
            labels=list(reversed(fields.get("labels", []))), assignees=fields.get("assignees", []),
            section_id=section, parent_id=f"c-{shown.parent}" if shown.parent else None, position=shown.position,
            custom_fields={"Priority": fields["cf:Priority"]} if fields.get("cf:Priority") else {},
        )
        base: dict[str, Any] = {**shown.fields, "section": shown.section, "parent": shown.parent}
        if draw(st.integers(0, 3)) == 0:  # the base lags: a field missing, or an older value
            name = draw(st.sampled_from(sorted(base)))
            if draw(st.booleans()):
                del base[name]
            else:
                base[name] = "older"
        pairs.append(Pair(kind="task", key=key, internal_id=key, client_id=f"c-{key}", base=base))
    return isnap, csnap, pairs


@given(linked_worlds())
def test_the_settled_test_plans_what_the_full_merge_plans(world: tuple[Snapshot, Snapshot, list[Pair]]) -> None:
    isnap, csnap, pairs = world

    def planned() -> Plan:
        return plan_cycle(isnap, csnap, mirror(isnap, csnap.people, _RULES, _CAPS), pairs, _RULES, _CAPS, _CAPS)

    with patch("bridge.core.plan.merge.settled", return_value=False), patch("bridge.core.plan.cycle.settled", return_value=False):
        full = planned()
    assert planned() == full


# -- the mirror: a custom field of one value mapped without value_out's calls -------------------------

_FIELD_VALUES = st.sampled_from(["", "High", "Low", "high", "a@x.example, b@x.example", "Print\\, large, Web"])


@given(st.sampled_from(KINDS), st.dictionaries(st.sampled_from(["Priority", "priority", "Other"]), _FIELD_VALUES, max_size=3),
       st.dictionaries(_FIELD_VALUES, st.sampled_from(["P1", "P3", "web"]), max_size=3))
def test_the_projection_maps_custom_values_as_value_out_does(
    kind: FieldKind, values: dict[str, str], table: dict[str, str]
) -> None:
    rule = FieldMap(name="Priority", to="Priority", values=table)
    isnap = internal("Design")
    isnap.fields = {"Priority": FieldDef(name="Priority", kind=kind)}
    made = task(isnap, "t1", "Homepage", "Design", custom_fields=values)
    link = LinkRules(mirror=MirrorRules(fields=FieldRules(custom={"Priority": rule}),
                                        people=PeopleRules(map={"a@x.example": "a@client.example"})))
    shown = Projection(isnap, {}, link, frozenset(), Audience(), custom=True).fields(made)
    value = lookup(values, "Priority")
    if kind == "people":
        value = people_across(value, link.mirror.people.map)
    assert shown == {"cf:Priority": value_out(rule, value, kind)}


# -- custom fields: a field whose every value goes out as it is is not read task by task ----------------

_CLIENT_DEFS = st.builds(FieldDef, name=st.just("F"), kind=st.sampled_from(KINDS),
                         options=st.lists(st.sampled_from(["P1", "3", "a@x.example", "Web"]), max_size=3).map(tuple))
_RAW = st.sampled_from(["", "P1", "3", "3.0", " a  b ", "a@x.example", "Web, P1", "2026-05-01", "true", "x" * 40, "P1 " * 10])


@settings(max_examples=300)
@given(st.lists(st.one_of(st.none(), _RAW), min_size=1, max_size=4), st.one_of(st.none(), _CLIENT_DEFS),
       st.sampled_from(["to_client", "both", "to_internal"]), st.sampled_from([None, 30]), st.booleans())
def test_fitting_a_settled_field_at_once_fits_as_task_by_task(
    values: list[str | None], target: FieldDef | None, direction: str, limit: int | None, nested: bool
) -> None:
    isnap, csnap = internal("Design"), client("Design")
    isnap.fields = {"F": FieldDef(name="F", kind="text")}
    csnap.fields = {"F": target} if target is not None else {}
    for n, value in enumerate(values):
        task(isnap, f"t{n}", f"Task {n}", "Design", custom_fields={"F": value} if value is not None else {},
             parent_id="t0" if nested and n == 1 else None)
    link = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")},
                                        fields=FieldRules(custom={"F": {"to": "F", "direction": direction}})))
    caps = Capabilities(custom_fields=True, defined_fields=target is not None, field_limit=limit)
    view = mirror(isnap, csnap.people, link, caps)
    with patch("bridge.core.plan.custom.column_settled", return_value=False):
        slow = fit_fields(view, isnap, csnap, link, caps, caps)
    assert fit_fields(view, isnap, csnap, link, caps, caps) == slow


# -- access: a task with no label reads as no marking, without reading it ------------------------------


@given(st.lists(st.sampled_from(["client", "internal", "client:acme", "client:globex", "web"]), max_size=2),
       st.booleans(), st.sampled_from([None, "acme"]), st.sampled_from(["label", "title_marker", "custom_field"]))
def test_an_unlabelled_task_answers_as_its_marking_says(labels: list[str], foreign: bool, name: str | None, kind: str) -> None:
    rules = MirrorRules(access=AccessSource(type=kind))
    if name:
        rules = rules.for_client(name, ["acme", "globex"])
    made = Task(id="t1", title="Homepage [client]", labels=labels, custom_fields={"Client access": "client"})
    ids = frozenset({"t1"}) if foreign else frozenset()
    quick, full = OwnAnswers(rules, ids), OwnAnswers(rules, ids)
    full.labels = False  # every task's marking read
    assert quick(made) == full(made)


class _ReadingEvery(OwnAnswers):
    """OwnAnswers reading every task's marking, as before the unlabelled shortcut."""

    def __init__(self, rules: MirrorRules, foreign: frozenset[str]) -> None:
        super().__init__(rules, foreign)
        self.labels = False


@given(st.lists(st.tuples(st.lists(st.sampled_from(["client", "internal", "client:acme", "web"]), max_size=2),
                          st.sampled_from([None, "t0", "t1", "t9"]), st.sampled_from(["Design", "Build"])), max_size=5),
       st.sets(st.sampled_from(["t0", "t1", "t2"])), st.sampled_from(["label", "title_marker"]))
def test_access_resolves_alike_with_every_marking_read(
    specs: list[tuple[list[str], str | None, str]], foreign: set[str], kind: str
) -> None:
    snap = internal("Design", "Build")
    for n, (labels, parent, section) in enumerate(specs):
        task(snap, f"t{n}", f"Task {n} [client]" if n % 2 else f"Task {n}", section, labels=labels, parent_id=parent)
    rules = MirrorRules(sections={"Design": SectionRule(access="unlocked")}, access=AccessSource(type=kind))
    with patch("bridge.core.section_access.OwnAnswers", _ReadingEvery):
        full = resolve_access(snap, rules, frozenset(foreign))
    assert resolve_access(snap, rules, frozenset(foreign)) == full
