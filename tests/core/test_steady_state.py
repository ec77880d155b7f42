"""The planner's shortcuts for the common case keep the full path's answers.

A linked task equal on both sides skips the field-by-field merge, and notes with
no trace of the cut line skip the Markdown parse (bridge/core/markers.py); both
must decide exactly as the long way would.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.fields import KINDS, FieldDef, _decimal, canonical, number
from bridge.core.markers import _cut_at, _cut_keys, _may_hold
from bridge.core.ops import Rebase
from bridge.core.plan.custom import fits
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
