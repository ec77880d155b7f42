"""File or link: the pure decision (bridge/core/plan/files.py) and what the planner makes of it (docs/files.md)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.link import Pair
from bridge.core.mirror import mirror
from bridge.core.model import Attachment, Snapshot
from bridge.core.ops import Adopt, CopyClientAttachment, CreateAttachment, Plan
from bridge.core.plan.cycle import plan_cycle
from bridge.core.plan.files import CLOCK_SKEW, Attempt, crossing, human_size, may_be_copy
from bridge.core.ports import Capabilities
from bridge.core.rules import InboundRules, LinkRules, MirrorRules, SectionRule
from tests.core.build import client, internal, task

MB = 1024 * 1024
FILES = Capabilities(tool="trello", attachments="file", file_limit=10 * MB)
LINKS = Capabilities(tool="github-ish", attachments="link")
RULES = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}), inbound=InboundRules(approval=None))


def upload(snap: Snapshot, id: str, task_id: str, name: str, size: int | None = 2048) -> Attachment:
    made = Attachment(id=id, task_id=task_id, name=name, url=f"https://tool.example/files/{id}", hosted=True, size=size)
    snap.attachments[id] = made
    return made


def linked() -> tuple[Snapshot, Snapshot, list[Pair]]:
    isnap, csnap = internal("Design"), client("Design")
    task(isnap, "t1", "Homepage", "Design")
    task(csnap, "c1", "Homepage", "Design")
    view = mirror(isnap, csnap.people, RULES, FILES)
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base={**view.tasks["t1"].fields, "section": "s-design"}),
    ]
    return isnap, csnap, pairs


def plan(isnap: Snapshot, csnap: Snapshot, pairs: list[Pair], client_caps: Capabilities = FILES,
         internal_caps: Capabilities = FILES) -> Plan:
    return plan_cycle(isnap, csnap, mirror(isnap, csnap.people, RULES, client_caps), pairs, RULES, client_caps, internal_caps)


def test_an_upload_within_the_limit_crosses_as_a_file() -> None:
    source = Attachment(id="a", task_id="t", name="Logo.png", url="u", hosted=True, size=10 * MB)
    assert crossing(source, "Logo.png", FILES, FILES).file


def test_links_a_link_only_tool_and_an_unknown_file_stay_links() -> None:
    source = Attachment(id="a", task_id="t", name="Logo.png", url="u", hosted=True, size=100)
    assert not crossing(source, "Logo.png", FILES, LINKS).file  # the target takes no uploads
    assert not crossing(source, "Logo.png", LINKS, FILES).file  # the source cannot hand the bytes over
    assert not crossing(source.model_copy(update={"hosted": False}), "Logo.png", FILES, FILES).file  # a link stays one
    assert not crossing(None, "Logo.png", FILES, FILES).file


def test_above_the_limit_a_link_says_why() -> None:
    source = Attachment(id="a", task_id="t", name="Film.mp4", url="u", hosted=True, size=240 * MB)
    way = crossing(source, "Film.mp4", FILES, FILES)
    assert not way.file
    assert way.name == "Film.mp4 (link: 240 MB is over the 10 MB file limit of trello)"


def test_a_size_the_tool_does_not_list_is_left_to_the_copy() -> None:
    source = Attachment(id="a", task_id="t", name="Plan.pdf", url="u", hosted=True, size=None)
    assert crossing(source, "Plan.pdf", FILES, FILES).file


@given(size=st.integers(min_value=0, max_value=10**10), limit=st.integers(min_value=1, max_value=10**10))
def test_file_exactly_when_within_the_limit(size: int, limit: int) -> None:
    caps = FILES.model_copy(update={"file_limit": limit})
    source = Attachment(id="a", task_id="t", name="x", url="u", hosted=True, size=size)
    way = crossing(source, "x", caps, caps)
    assert way.file == (size <= limit)
    assert (way.name == "x") == way.file


def test_sizes_read_as_people_read_them() -> None:
    assert [human_size(n) for n in (1, 12 * 1024, MB + MB // 2, 52 * MB)] == ["1 KB", "12 KB", "1.5 MB", "52 MB"]


def test_the_planner_nominates_a_same_named_file_but_never_adopts_it_by_name() -> None:
    isnap, csnap, pairs = linked()
    upload(isnap, "a1", "t1", "Logo [client].png")
    upload(isnap, "a2", "t1", "Costs.xlsx")
    [op] = [o for o in plan(isnap, csnap, pairs).writes() if isinstance(o, CreateAttachment)]
    assert (op.key, op.name, op.file, op.size, op.candidates) == ("a1", "Logo.png", True, 2048, ())
    # A file of that name on the card may be an unrecorded upload, or the client's own: only the
    # engine can tell (the journal and the bytes), so the planner names it and adopts nothing.
    upload(csnap, "ca1", "c1", "Logo.png")
    p = plan(isnap, csnap, pairs)
    assert not [o for o in p.ops if isinstance(o, Adopt)]
    [op] = [o for o in p.writes() if isinstance(o, CreateAttachment)]
    assert op.candidates == ("ca1",)
    # Held back from the client's input while it is a candidate: never copied back in the same cycle.
    assert not [o for o in p.writes() if isinstance(o, CopyClientAttachment)]


def test_a_same_named_file_of_another_size_is_not_adopted() -> None:
    isnap, csnap, pairs = linked()
    upload(isnap, "a1", "t1", "Logo [client].png", size=2048)
    upload(csnap, "ca1", "c1", "Logo.png", size=999)
    p = plan(isnap, csnap, pairs, internal_caps=FILES.model_copy(update={"file_limit": None}))
    [op] = [o for o in p.writes() if isinstance(o, CreateAttachment)]
    assert op.key == "a1" and op.candidates == ()


T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_a_copy_is_only_a_file_created_after_an_unrecorded_upload_and_not_there_before() -> None:
    attempt = Attempt(at(0), frozenset({"hers"}))
    copy = Attachment(id="c", task_id="c1", name="Logo.png", url="u", hosted=True, size=10, created_at=at(0.5))
    assert may_be_copy(copy, "Logo.png", 10, [attempt])
    assert may_be_copy(copy.model_copy(update={"created_at": None}), "Logo.png", None, [attempt])  # no time: the bytes decide
    assert not may_be_copy(copy, "Logo.png", 10, [])  # no upload journaled: nothing to recover
    assert not may_be_copy(copy.model_copy(update={"id": "hers"}), "Logo.png", 10, [attempt])  # there before
    assert not may_be_copy(copy.model_copy(update={"created_at": at(-10)}), "Logo.png", 10, [attempt])  # made before
    assert not may_be_copy(copy, "Logo (2).png", 10, [attempt])
    assert not may_be_copy(copy, "Logo.png", 11, [attempt])
    assert not may_be_copy(copy.model_copy(update={"hosted": False}), "Logo.png", 10, [attempt])
    # Any of several unrecorded attempts may have left it.
    assert may_be_copy(copy.model_copy(update={"created_at": at(-10)}), "Logo.png", 10, [attempt, Attempt(at(-11), frozenset())])


@given(st.floats(min_value=-600, max_value=600), st.booleans())
def test_within_the_clock_skew_a_file_may_be_the_copy(offset_s: float, present: bool) -> None:
    attempt = Attempt(T0, frozenset({"c"} if present else ()))
    copy = Attachment(id="c", task_id="c1", name="f", url="u", hosted=True, created_at=T0 + dt.timedelta(seconds=offset_s))
    assert may_be_copy(copy, "f", None, [attempt]) == (not present and offset_s >= -CLOCK_SKEW.total_seconds())


def test_a_client_file_comes_back_defused_and_never_goes_out() -> None:
    isnap, csnap, pairs = linked()
    upload(csnap, "ca1", "c1", "Markup [client].pdf")
    p = plan(isnap, csnap, pairs)
    [op] = [o for o in p.writes() if isinstance(o, CopyClientAttachment)]
    assert op.file and op.client_task_id == "c1" and "[client]" not in op.name
    assert not [o for o in p.writes() if o.side == "client"]
    # Its copy, under its defused name, is internal only: it never becomes a shared file.
    upload(isnap, "a9", "t1", op.name)
    pairs.append(Pair(kind="attachment", key="a9", internal_id="a9", client_id="ca1", origin="client"))
    assert not plan(isnap, csnap, pairs).writes()


def test_a_client_link_stays_hers_and_files_can_be_turned_off() -> None:
    isnap, csnap, pairs = linked()
    csnap.attachments["cl"] = Attachment(id="cl", task_id="c1", name="Figma", url="https://figma.example/f")
    assert not plan(isnap, csnap, pairs).writes()
    upload(csnap, "ca1", "c1", "Markup.pdf")
    off = RULES.model_copy(update={"inbound": InboundRules(approval=None, files=False)})
    assert not plan_cycle(isnap, csnap, mirror(isnap, csnap.people, off, FILES), pairs, off, FILES, FILES).writes()
