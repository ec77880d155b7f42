"""Twin links: the internal task links to its client copy, derived afresh every cycle."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bridge.core.link import Pair
from bridge.core.mirror import mirror
from bridge.core.model import Snapshot
from bridge.core.ops import Plan
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import InboundRules, LinkRules, MirrorRules, SectionRule
from tests.core.build import attachment, client, internal, task

CAPS = Capabilities()
NO_FILES = Capabilities(attachments="none")
TWINS = LinkRules(
    mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}),
    inbound=InboundRules(approval=None),
    twin_links="internal",
)
URL = "https://trello.example/c/abc"


def linked(rules: LinkRules = TWINS) -> tuple[Snapshot, Snapshot, list[Pair]]:
    isnap, csnap = internal("Design"), client("Design")
    task(isnap, "t1", "Homepage", "Design")
    task(csnap, "c1", "Homepage", "Design", url=URL)
    view = mirror(isnap, csnap.people, rules, CAPS)
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base={**view.tasks["t1"].fields, "section": "s-design"}),
    ]
    return isnap, csnap, pairs


def plan(isnap: Snapshot, csnap: Snapshot, pairs: list[Pair], rules: LinkRules = TWINS, caps: Capabilities = CAPS) -> Plan:
    return plan_cycle(isnap, csnap, mirror(isnap, csnap.people, rules, CAPS), pairs, rules, CAPS, caps)


def twin_ops(p: Plan) -> list[tuple[str, str, dict[str, str]]]:
    return [(op.side, op.action, op.written) for op in p.writes() if op.reason == "twin link"]


def test_a_mirrored_task_gets_one_link_to_its_client_copy_and_then_nothing() -> None:
    isnap, csnap, pairs = linked()
    assert twin_ops(plan(isnap, csnap, pairs)) == [("internal", "create", {"name": "Client's copy", "url": URL})]
    attachment(isnap, "a1", "t1", "Client's copy", url=URL)
    assert plan(isnap, csnap, pairs).writes() == []


def test_twins_are_off_by_default_and_need_a_tool_that_holds_links() -> None:
    isnap, csnap, pairs = linked()
    assert twin_ops(plan(isnap, csnap, pairs, rules=TWINS.model_copy(update={"twin_links": "none"}))) == []
    assert twin_ops(plan(isnap, csnap, pairs, caps=NO_FILES)) == []


def test_a_stale_or_orphaned_twin_is_removed_and_a_users_own_file_never_is() -> None:
    isnap, csnap, pairs = linked()
    attachment(isnap, "a-old", "t1", "Client's copy", url="https://trello.example/c/old")
    attachment(isnap, "a-own", "t1", "Brief.pdf", url=URL)
    task(isnap, "t2", "Was shared once", "Design")
    attachment(isnap, "a-orphan", "t2", "Client's copy", url="https://trello.example/c/gone")
    ops = twin_ops(plan(isnap, csnap, pairs))
    assert ("internal", "create", {"name": "Client's copy", "url": URL}) in ops
    removed = sorted(op.target_id or "" for op in plan(isnap, csnap, pairs).writes() if op.action == "remove")
    assert removed == ["a-old", "a-orphan"]


def test_a_hidden_task_loses_its_twin_with_its_copy() -> None:
    isnap, csnap, pairs = linked()
    attachment(isnap, "a1", "t1", "Client's copy", url=URL)
    isnap.tasks["t1"].labels = ["internal"]
    actions = sorted((op.side, op.action, op.kind) for op in plan(isnap, csnap, pairs).writes())
    assert actions == [("client", "remove", "task"), ("internal", "remove", "attachment")]


def test_the_twin_never_goes_out_and_cannot_be_named_like_a_shared_file() -> None:
    isnap, csnap, pairs = linked()
    attachment(isnap, "a1", "t1", "Client's copy", url=URL)
    assert mirror(isnap, csnap.people, TWINS, CAPS).attachments == {}
    with pytest.raises(ValidationError, match="must not contain the file marker"):
        LinkRules(twin_links="internal", twin_link_name="[client] copy")
