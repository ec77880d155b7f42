"""A custom field end to end, in every pairing of the four tools (docs/custom-fields.md).

Anna's "Priority" (High/Low) maps to the client's "Priority" (P1/P3) both ways: it goes out through
the value map, the client's change comes back mapped backwards, a quiet cycle writes nothing, and
"Margin", a field the link does not name, never reaches the client tool's API (privacy by default).
Asana and Trello hold the field as their own custom fields (an enum, a list), GitHub as a
``Priority: P1`` label, Basecamp as a footer line under the notes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.core.fields import canonical, lookup
from bridge.core.model import Snapshot, Task
from bridge.core.ports import NewTask
from bridge.core.rules import FieldRules, LinkRules
from tests.engine.test_pairings import PAIRS, assert_quiet
from tests.engine.world import World, default_rules, recorded

PRIORITY = {"Priority": {"to": "Priority", "direction": "both", "values": {"High": "P1", "Low": "P3"}}}
SECRET_MARGIN = "SECRET-margin-42"


def custom_rules(internal_kind: str) -> LinkRules:
    rules = default_rules(internal_kind)
    fields = rules.mirror.fields.model_copy(update={"custom": FieldRules(custom=PRIORITY).custom})
    return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"fields": fields})})


@pytest.fixture(params=PAIRS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    internal_kind, client_kind = request.param
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db", rules=custom_rules(internal_kind))
    # Where a tool defines its fields, the projects define them; GitHub and Basecamp take any name.
    w.isb.add_custom_field(w.internal_project, "Priority", "enum", ("High", "Low"))
    w.isb.add_custom_field(w.internal_project, "Margin", "text")
    w.csb.add_custom_field(w.client_project, "Priority", "enum", ("P1", "P3"))
    yield w
    w.store.close()


def find(snap: Snapshot, title: str) -> Task:
    return next(t for t in snap.tasks.values() if t.title == title)


def priority(task: Task) -> str | None:
    value = lookup(task.custom_fields, "Priority")
    return value if isinstance(value, str) else None


def test_a_custom_field_round_trips_and_unnamed_fields_stay_home(world: World) -> None:
    w = world
    design = w.section("Design")
    w.anna.pull(w.internal_project)
    fields = {"Priority": "High", "Margin": SECRET_MARGIN}
    home = w.anna.create_task(w.internal_project, NewTask(title="Homepage layout", section_id=design, custom_fields=fields))
    assert w.sync().ok

    client = w.carla.pull(w.client_project).snapshot
    card = find(client, "Homepage layout")
    assert priority(card) == "P1"  # out through the value map

    w.carla.update_task(w.client_project, card, {"custom_fields": {"Priority": "P3"}})
    assert w.sync().ok
    internal = w.anna.pull(w.internal_project).snapshot
    assert priority(internal.tasks[home.id]) == "Low"  # back through the map read backwards
    assert lookup(internal.tasks[home.id].custom_fields, "Margin") == SECRET_MARGIN  # untouched

    w.anna.update_task(w.internal_project, internal.tasks[home.id], {"custom_fields": {"Priority": "High"}})
    assert w.sync().ok
    assert priority(find(w.carla.pull(w.client_project).snapshot, "Homepage layout")) == "P1"
    assert_quiet(w)  # agreed both ways: no ping-pong

    leaked = [r.text[:300] for r in recorded(w.csb.emulator) if SECRET_MARGIN in r.text or "Margin" in r.text]
    assert leaked == []  # a field the link does not name never reaches the client's tool


def one_way_rules(internal_kind: str, custom: dict[str, object]) -> LinkRules:
    rules = default_rules(internal_kind)
    fields = rules.mirror.fields.model_copy(update={"custom": FieldRules(custom=custom).custom})
    return rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"fields": fields})})


@pytest.mark.parametrize(("internal_kind", "client_kind"), [("asana", "trello"), ("trello", "asana"), ("github", "basecamp")])
def test_a_to_client_field_is_put_back_and_a_missing_field_is_a_notice(
    tmp_path: Path, internal_kind: str, client_kind: str
) -> None:
    custom = {"Priority": {"to": "Priority", "values": {"High": "P1", "Low": "P3"}}, "Budget": {"to": "Budget"}}
    w = World(internal_kind, client_kind, f"sqlite:///{tmp_path}/state.db", rules=one_way_rules(internal_kind, custom))
    try:
        w.isb.add_custom_field(w.internal_project, "Priority", "enum", ("High", "Low"))
        w.csb.add_custom_field(w.client_project, "Priority", "enum", ("P1", "P3"))  # no "Budget" anywhere
        design = w.section("Design")
        w.anna.pull(w.internal_project)
        w.anna.create_task(w.internal_project, NewTask(title="Homepage", section_id=design, custom_fields={"Priority": "Low"}))
        report = w.sync()
        assert report.ok
        # Asana and Trello projects define their fields, so there "Budget" is unknown; GitHub and Basecamp take any name.
        sides = (("internal", internal_kind), ("client", client_kind))
        expected = sorted(f"{side}:Budget" for side, kind in sides if kind in ("asana", "trello"))
        assert sorted(n.key for n in report.notices if n.code == "custom-field-unknown") == expected
        card = find(w.carla.pull(w.client_project).snapshot, "Homepage")
        assert priority(card) == "P3"
        w.carla.update_task(w.client_project, card, {"custom_fields": {"Priority": "P1"}})
        assert w.sync().ok
        assert priority(find(w.carla.pull(w.client_project).snapshot, "Homepage")) == "P3"  # the mirror owns it
        internal = find(w.anna.pull(w.internal_project).snapshot, "Homepage")
        assert priority(internal) == "Low"
        assert_quiet(w)
    finally:
        w.store.close()


@pytest.mark.parametrize("client_kind", ["asana", "trello", "github", "basecamp"])
def test_a_multi_select_option_holding_a_comma_crosses_as_one_option(client_kind: str, tmp_path: Path) -> None:
    rules = default_rules("asana")
    spec = {"Formats": {"to": "Formats", "direction": "both"}}
    fields = rules.mirror.fields.model_copy(update={"custom": FieldRules(custom=spec).custom})
    rules = rules.model_copy(update={"mirror": rules.mirror.model_copy(update={"fields": fields})})
    w = World("asana", client_kind, f"sqlite:///{tmp_path}/state.db", rules=rules)
    options = ("Print, large", "Web")
    w.isb.add_custom_field(w.internal_project, "Formats", "multi_enum", options)
    # Trello has no multi-select: the options go into a text field, escapes and all.
    w.csb.add_custom_field(w.client_project, "Formats", "text" if client_kind == "trello" else "multi_enum", options)
    both, one = canonical("multi_enum", list(options)), canonical("multi_enum", ["Print, large"])
    w.anna.pull(w.internal_project)
    home = w.anna.create_task(w.internal_project, NewTask(title="Flyer", section_id=w.section("Design"),
                                                          custom_fields={"Formats": both}))
    assert w.sync().ok
    card = find(w.carla.pull(w.client_project).snapshot, "Flyer")
    assert lookup(card.custom_fields, "Formats") == both
    w.carla.update_task(w.client_project, card, {"custom_fields": {"Formats": one}})
    assert w.sync().ok
    assert lookup(w.anna.pull(w.internal_project).snapshot.tasks[home.id].custom_fields, "Formats") == one
    assert_quiet(w)
    w.store.close()
