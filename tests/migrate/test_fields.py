"""A migration carries custom fields: every field by default, those ``--fields`` names, and reports the rest.

Between emulated tools, end to end: the values arrive in each target tool, a field the target lacks
is a line of the report (and a rerun after adding it fills it in), and a migration killed at any
write and run again leaves every field as an uninterrupted one does (bridge/migrate/fields.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from bridge.core.fields import canonical
from bridge.core.ports import NewTask
from bridge.core.rules import FieldRules, LinkRules, MirrorRules
from bridge.errors import ConfigError
from bridge.migrate.fields import parse_fields, with_fields
from bridge.migrate.filters import COPY_EVERYTHING
from tests.migrate.support import Pairing
from tests.migrate.test_resume import Killed, killed_at

FORMATS = canonical("multi_enum", ["Print, large", "Web"])  # an option whose name holds ", "
VALUES = {"Priority": "High", "Budget": "2.5", "Formats": FORMATS, "Review": "2031-05-20"}
# The target's fields, by tool; GitHub (labels) and Basecamp (the notes' footer) take any name.
TARGET_FIELDS: dict[str, list[tuple[str, Any, tuple[str, ...]]]] = {
    "trello": [("Priority", "enum", ("High", "Low")), ("Budget", "number", ()), ("Formats", "text", ()),
               ("Review", "date", ())],  # Trello has no multi-select: the options go into a text field
    "asana": [("Priority", "enum", ("High", "Low")), ("Budget", "number", ()),
              ("Formats", "multi_enum", ("Print, large", "Web")), ("Review", "date", ())],
}


def source_with_fields(target_kind: str, store_url: str, *, target_fields: bool = True) -> Pairing:
    pairing = Pairing("asana", target_kind, store_url)
    pairing.src.add_custom_field(pairing.source_project, "Priority", "enum", ("High", "Low"))
    pairing.src.add_custom_field(pairing.source_project, "Budget", "number")
    pairing.src.add_custom_field(pairing.source_project, "Formats", "multi_enum", ("Print, large", "Web"))
    pairing.src.add_custom_field(pairing.source_project, "Review", "date")
    if target_fields:
        for name, kind, options in TARGET_FIELDS.get(target_kind, []):
            pairing.dst.add_custom_field(pairing.target_project, name, kind, options)
    snap = pairing.anna.pull(pairing.source_project).snapshot
    design = next(s.id for s in snap.sections.values() if s.name == "Design")
    pairing.anna.create_task(pairing.source_project, NewTask(title="Homepage", section_id=design, custom_fields=VALUES))
    pairing.anna.create_task(pairing.source_project, NewTask(title="Footer", section_id=design,
                                                             custom_fields={"Priority": "Low"}))
    return pairing


def target_fields(pairing: Pairing) -> dict[str, dict[str, str]]:
    return {t.title: t.custom_fields for t in pairing.target().tasks.values()}


@pytest.mark.parametrize("target_kind", ["trello", "github", "basecamp", "asana"])
def test_every_field_of_the_source_arrives_in_each_target_tool(target_kind: str, store_url: str) -> None:
    pairing = source_with_fields(target_kind, store_url)
    report = pairing.migration().run()
    assert report.status == "ok", report.errors
    assert target_fields(pairing) == {"Homepage": VALUES, "Footer": {"Priority": "Low"}}
    assert not [loss for loss in report.losses if "custom field" in loss.what]
    writes = pairing.target_writes()
    again = pairing.migration().run()  # nothing left to do: each value was written once and reads back the same
    assert (again.status, again.created, again.updated, pairing.target_writes()) == ("ok", {}, {}, writes)


def test_a_field_the_target_lacks_is_reported_and_a_rerun_after_adding_it_fills_it_in(store_url: str) -> None:
    pairing = source_with_fields("trello", store_url, target_fields=False)
    pairing.dst.add_custom_field(pairing.target_project, "Priority", "enum", ("High",))  # no "Low" option
    dry = pairing.migration(dry_run=True).run()
    lines = sorted(loss.line() for loss in dry.losses if "custom field" in loss.what)
    assert lines == [
        "custom field 'Budget' (1): the trello project has no field 'Budget': create it there and run the migration again",
        "custom field 'Formats' (1): the trello project has no field 'Formats': create it there and run the migration again",
        "custom field 'Priority' (1): the trello field 'Priority' (enum) cannot hold them (its options: High)",
        "custom field 'Review' (1): the trello project has no field 'Review': create it there and run the migration again",
    ]
    report = pairing.migration().run()
    assert report.status == "ok" and sorted(loss.line() for loss in report.losses if "custom field" in loss.what) == lines
    assert target_fields(pairing) == {"Homepage": {"Priority": "High"}, "Footer": {}}
    # The agency creates the fields, runs the same command again: the values follow, nothing is created twice.
    pairing.dst.add_custom_field(pairing.target_project, "Budget", "number")
    pairing.dst.add_custom_field(pairing.target_project, "Review", "date")
    again = pairing.migration().run()
    assert again.status == "ok" and again.created == {} and again.updated == {"task": 1}
    assert target_fields(pairing)["Homepage"] == {"Priority": "High", "Budget": "2.5", "Review": "2031-05-20"}


@pytest.mark.parametrize(
    ("chosen", "want"),
    [("Priority", {"Homepage": {"Priority": "High"}, "Footer": {"Priority": "Low"}}),
     ("none", {"Homepage": {}, "Footer": {}}),
     ("budget, REVIEW", {"Homepage": {"Budget": "2.5", "Review": "2031-05-20"}, "Footer": {}})],
)
def test_the_fields_option_chooses_which_fields_cross(chosen: str, want: dict[str, dict[str, str]], store_url: str) -> None:
    pairing = source_with_fields("github", store_url)
    report = pairing.migration(fields=parse_fields(chosen)).run()
    assert report.status == "ok" and target_fields(pairing) == want
    left = sum(loss.count for loss in report.losses if loss.reason == "not chosen (carry it with --fields)")
    assert left == 5 - sum(len(v) for v in want.values())


def test_a_filtered_migration_carries_only_the_links_fields_unless_told() -> None:
    pairing = source_with_fields("github", "sqlite://")
    source = pairing.anna.pull(pairing.source_project).snapshot
    link = LinkRules(mirror=MirrorRules(fields=FieldRules(custom={"Priority": {"to": "Urgency", "values": {"High": "P1"}}})))
    assert list(with_fields(link, source, None, everything=False).mirror.fields.custom) == ["Priority"]
    every = with_fields(COPY_EVERYTHING, source, None, everything=True).mirror.fields.custom
    assert sorted(every) == ["Budget", "Formats", "Priority", "Review"]
    assert {r.to for r in every.values()} == set(every) and {r.direction for r in every.values()} == {"to_client"}
    # --fields all on a link keeps the link's own mapping of Priority and adds the others.
    both = with_fields(link, source, parse_fields("all"), everything=False).mirror.fields.custom
    assert both["Priority"].to == "Urgency" and sorted(both) == ["Budget", "Formats", "Priority", "Review"]
    assert with_fields(link, source, (), everything=False).mirror.fields.custom == {}


def test_keep_linked_takes_the_links_fields_only() -> None:
    from bridge.config.schema import Config
    from bridge.migrate.spec import resolve_options

    config = Config.model_validate({
        "connections": {"a": {"kind": "asana", "token": "x"}, "t": {"kind": "trello", "key": "k", "token": "y"}},
        "links": {"acme": {"internal": {"connection": "a", "project": "1"}, "client": {"connection": "t", "project": "b"}}},
    })
    with pytest.raises(ConfigError, match="--fields"):
        resolve_options(config, "a:1", "t:b", keep_linked="acme", fields="Priority")
    assert resolve_options(config, "a:1", "t:b", fields="none").fields == ()


def test_killed_at_every_write_then_rerun_carries_every_field(tmp_path_factory: pytest.TempPathFactory) -> None:
    reference = source_with_fields("trello", "sqlite://")
    reference.migration().run()
    want, count = target_fields(reference), reference.target_writes()
    assert want["Homepage"] == VALUES
    for nth in range(1, count + 1):
        pairing = source_with_fields("trello", f"sqlite:///{tmp_path_factory.mktemp('kill')}/state.db")
        with killed_at(pairing, nth, after_write=True), pytest.raises(Killed):
            pairing.migration().run()
        pairing.store.close()  # a new process: new connectors, the same state store
        pairing.store = type(pairing.store).open(pairing.store_url)
        report = pairing.migration().run()
        assert report.status == "ok", (nth, report.errors)
        assert target_fields(pairing) == want, f"killed after write {nth}"
