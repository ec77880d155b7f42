"""Several clients on one internal project, in the pure core: who each link's client may see.

docs/mirror-rules.md "Several clients on one project": the plain marker shares with every
client, a marker naming clients shares with exactly those, another client's
input never goes out, approvals are per client. Also the access resolver on
odd shapes (missing or cyclic parents, subtasks listed before parents).
"""

from __future__ import annotations

import pytest

from bridge.core.link import Pair
from bridge.core.mirror import APPROVAL, mirror
from bridge.core.model import Snapshot, Task
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import AccessSource, ApprovalRule, FieldRules, InboundRules, LinkRules, MirrorRules, SectionRule
from bridge.core.section_access import marking, resolve_access, unknown_clients
from tests.core.build import CARLA, client, comment, internal, task

FULL = Capabilities()
CLIENTS = ("acme", "globex")


def rules_for(name: str, source: AccessSource | None = None, **kw: object) -> LinkRules:
    mirror_rules = MirrorRules(
        sections={"Design": SectionRule(access="unlocked")},
        access=source or AccessSource(type="label"),
    ).for_client(name, CLIENTS)
    return LinkRules(mirror=mirror_rules, **kw)  # type: ignore[arg-type]


SOURCES = {
    "label": (AccessSource(type="label"), lambda names: {"labels": [f"client:{n}" for n in names]}),
    "title": (
        AccessSource(type="title_marker", client="[client]", none="[internal]"),
        lambda names: {"title_suffix": " ".join(f"[client:{n}]" for n in names)},
    ),
    "field": (AccessSource(type="custom_field"), lambda names: {"custom_fields": {"Client access": ", ".join(names)}}),
}


def _task(snap: Snapshot, id: str, title: str, section: str, marks: dict[str, object]) -> Task:
    marks = dict(marks)
    suffix = marks.pop("title_suffix", "")
    return task(snap, id, f"{title} {suffix}".strip(), section, **marks)


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_a_task_naming_one_client_goes_to_that_client_only_even_in_an_unlocked_section(kind: str) -> None:
    source, marks = SOURCES[kind]
    snap = internal("Design", "Build")
    _task(snap, "t-acme", "Acme logo", "Design", marks(["acme"]))
    _task(snap, "t-both", "Launch plan", "Build", marks(["Acme", " GLOBEX "]))  # names fold and trim
    task(snap, "t-all", "Homepage", "Design")
    acme = mirror(snap, {}, rules_for("acme", source), FULL)
    globex = mirror(snap, {}, rules_for("globex", source), FULL)
    assert set(acme.tasks) == {"t-acme", "t-both", "t-all"}
    assert set(globex.tasks) == {"t-both", "t-all"}
    assert "[client" not in acme.tasks["t-both"].fields["title"]  # no marker reaches a client


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_hiding_beats_a_named_share(kind: str) -> None:
    source, marks = SOURCES[kind]
    snap = internal("Design")
    if kind == "label":
        task(snap, "t", "Payroll", "Design", labels=["client:acme", "internal"])
    elif kind == "title":
        task(snap, "t", "Payroll [client:acme] [internal]", "Design")
    else:
        task(snap, "t", "Payroll", "Design", custom_fields={"Client access": "acme, none"})
    assert mirror(snap, {}, rules_for("acme", source), FULL).tasks == {}


def test_an_unknown_name_shares_with_nobody_and_is_reported() -> None:
    snap = internal("Design")
    task(snap, "t", "Typo share", "Design", labels=["client:acmee"])
    for name in CLIENTS:
        assert mirror(snap, {}, rules_for(name), FULL).tasks == {}
    assert unknown_clients(snap, rules_for("acme").mirror) == ["acmee"]


def test_a_named_share_needs_the_exact_name() -> None:
    snap = internal("Build")
    task(snap, "t", "Near name", "Build", labels=["client:acm"])
    assert mirror(snap, {}, rules_for("acme"), FULL).tasks == {}


def test_plain_marker_shares_with_every_client() -> None:
    snap = internal("Build")
    task(snap, "t", "Shared with all", "Build", labels=["client"])
    for name in CLIENTS:
        assert set(mirror(snap, {}, rules_for(name), FULL).tasks) == {"t"}


def test_another_clients_input_never_goes_out_unless_named() -> None:
    snap = internal("Design")
    task(snap, "req", "Add a testimonials page", "Design", labels=["client"], notes="Quotes from customers")
    task(snap, "sub", "Collect quotes", parent_id="req")
    task(snap, "card", "Homepage", "Design")
    comment(snap, "k-acme", "card", "Client Carla: #client we love it")  # an inbound copy from acme
    comment(snap, "k-agency", "card", "#client Draft is ready")
    foreign = frozenset({"req", "k-acme"})
    globex = mirror(snap, {}, rules_for("globex"), FULL, foreign=foreign)
    assert set(globex.tasks) == {"card"}
    assert set(globex.comments) == {"k-agency"}
    # An agency member later shares it with globex by name: now it goes out.
    snap.tasks["req"] = snap.tasks["req"].model_copy(update={"labels": ["client:globex"]})
    assert set(mirror(snap, {}, rules_for("globex"), FULL, foreign=foreign).tasks) == {"card", "req", "sub"}


def test_a_request_is_marked_for_its_own_client_only() -> None:
    for kind, (source, _) in SOURCES.items():
        snap = internal("Design")
        csnap = client("Design")
        csnap.tasks["c1"] = Task(id="c1", title="Add a testimonials page", section_id="cs-design")
        r = rules_for("acme", source)
        pairs = [Pair(kind="section", key="s-design", internal_id="s-design", client_id="cs-design")]
        plan = plan_cycle(snap, csnap, mirror(snap, {}, r, FULL), pairs, r, FULL, FULL)
        create = next(op for op in plan.writes("internal") if op.kind == "task")
        made = Task(id="new", **{k: v for k, v in create.written.items() if k in ("title", "labels", "custom_fields")})
        assert marking(made, source).named == {"acme"}, kind
        snap.tasks["new"] = made.model_copy(update={"section_id": "s-design"})
        assert "new" not in mirror(snap, {}, rules_for("globex", source), FULL).tasks, kind


def test_single_client_requests_keep_the_plain_marker() -> None:
    snap, csnap = internal("Design"), client("Design")
    csnap.tasks["c1"] = Task(id="c1", title="A request", section_id="cs-design")
    r = LinkRules(mirror=MirrorRules().for_client("acme"))
    pairs = [Pair(kind="section", key="s-design", internal_id="s-design", client_id="cs-design")]
    create = next(op for op in plan_cycle(snap, csnap, mirror(snap, {}, r, FULL), pairs, r, FULL, FULL).writes("internal"))
    assert create.written["labels"] == ["client"]


def test_one_clients_approval_is_not_another_clients_approval() -> None:
    snap = internal("Design")
    task(snap, "t", "Logo", "Design", labels=["client-approved:acme"])
    acme = mirror(snap, {}, rules_for("acme"), FULL)
    globex = mirror(snap, {}, rules_for("globex"), FULL)
    assert acme.tasks["t"].section == APPROVAL
    assert globex.tasks["t"].section == "s-design"
    assert rules_for("acme").approval_label() == "client-approved:acme"
    assert LinkRules().approval_label() == "client-approved"  # one client: unchanged


def test_per_client_labels_never_go_out_as_labels() -> None:
    snap = internal("Design")
    task(snap, "t", "Logo", "Design", labels=["client:acme", "client-approved:globex", "urgent"])
    r = LinkRules(
        mirror=MirrorRules(
            sections={"Design": SectionRule(access="unlocked")},
            fields=FieldRules(labels="to_client"),
        ).for_client("acme", CLIENTS),
        inbound=InboundRules(approval=ApprovalRule()),
    )
    assert mirror(snap, {}, r, FULL).tasks["t"].fields["labels"] == ["urgent"]


def test_approving_writes_this_clients_own_label() -> None:
    snap, csnap = internal("Design"), client("Design", "Approved")
    task(snap, "t", "Logo", "Design")
    csnap.tasks["c"] = Task(id="c", title="Logo", section_id="cs-approved")
    r = rules_for("acme")
    pairs = [
        Pair(kind="section", key="s-design", internal_id="s-design", client_id="cs-design"),
        Pair(kind="section", key=APPROVAL, client_id="cs-approved"),
        Pair(kind="task", key="t", internal_id="t", client_id="c", base={"title": "Logo", "section": "s-design"}),
    ]
    plan = plan_cycle(snap, csnap, mirror(snap, {}, r, FULL), pairs, r, FULL, FULL)
    update = next(op for op in plan.writes("internal") if op.kind == "task")
    assert update.written["labels"] == ["client-approved:acme"]


# -- the resolver on odd shapes (issue: inputs that crash or hang the core) -----------------


def _rules() -> MirrorRules:
    return MirrorRules(sections={"Design": SectionRule(access="unlocked")})


def test_a_shared_subtask_of_a_missing_parent_is_resolved_without_error() -> None:
    snap = internal("Design")
    task(snap, "s", "Orphan", parent_id="gone")
    task(snap, "m", "Marked orphan", parent_id="gone", labels=["client"])
    assert resolve_access(snap, _rules()) == {"s": False, "m": True}
    view = mirror(snap, {}, LinkRules(mirror=_rules()), FULL)
    assert set(view.tasks) == {"m"}


@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_parent_cycle_ends_and_hides(size: int) -> None:
    snap = internal("Design")
    ids = [f"c{i}" for i in range(size)]
    for index, id in enumerate(ids):
        task(snap, id, f"Loop {id}", "Design", parent_id=ids[(index + 1) % size])
    task(snap, "x", "Shared in the loop", parent_id=ids[0], labels=["client"])
    resolved = resolve_access(snap, _rules())
    assert resolved == {**dict.fromkeys(ids, False), "x": True}
    view = mirror(snap, {}, LinkRules(mirror=_rules()), FULL)
    assert set(view.tasks) == {"x"}


def test_a_long_chain_resolves_without_recursion() -> None:
    snap = internal("Design")
    task(snap, "t0", "Root", "Design")
    for i in range(1, 5000):
        task(snap, f"t{i}", f"Level {i}", parent_id=f"t{i - 1}")
    assert all(resolve_access(snap, _rules()).values())


def test_subtasks_listed_before_their_parents_resolve_the_same() -> None:
    ordered = internal("Design", "Build")
    task(ordered, "p1", "Shared parent", "Design")
    task(ordered, "p2", "Hidden parent", "Build")
    task(ordered, "s1", "Child of shared", parent_id="p1")
    task(ordered, "s2", "Child of hidden", parent_id="p2")
    task(ordered, "g1", "Grandchild", parent_id="s1")
    reversed_ = ordered.model_copy(update={"tasks": dict(reversed(list(ordered.tasks.items())))})
    expected = {"p1": True, "p2": False, "s1": True, "s2": False, "g1": True}
    assert resolve_access(ordered, _rules()) == expected
    assert resolve_access(reversed_, _rules()) == expected


@pytest.mark.parametrize("value", ["", "  ", "maybe", ",,", "none,client"])
def test_an_odd_field_value_never_shares(value: str) -> None:
    snap = internal("Build")
    task(snap, "t", "Odd", "Build", custom_fields={"Client access": value})
    r = MirrorRules(access=AccessSource(type="custom_field")).for_client("acme", CLIENTS)
    assert resolve_access(snap, r) == {"t": False}


def test_a_client_comment_copy_carries_no_working_marker() -> None:
    snap, csnap = internal("Design"), client("Design")
    task(snap, "t", "Logo", "Design")
    csnap.tasks["c"] = Task(id="c", title="Logo", section_id="cs-design")
    comment(csnap, "k", "c", "Please #CLIENT look", author=CARLA)
    r = rules_for("acme")
    pairs = [
        Pair(kind="section", key="s-design", internal_id="s-design", client_id="cs-design"),
        Pair(kind="task", key="t", internal_id="t", client_id="c", base={"title": "Logo", "section": "s-design"}),
    ]
    plan = plan_cycle(snap, csnap, mirror(snap, {}, r, FULL), pairs, r, FULL, FULL)
    text = next(op for op in plan.writes("internal") if op.kind == "comment").written["text"]
    comment(snap, "copy", "t", text)
    # Even with its pair lost, the copy goes to no client.
    assert mirror(snap, {}, rules_for("globex"), FULL).comments == {}
    assert mirror(snap, {}, r, FULL).comments == {}
