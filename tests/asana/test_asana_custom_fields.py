"""Asana custom fields of every kind: read into canonical values, written in each subtype's form, refused like Asana."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridge.core.fields import FieldDef, FieldKind
from bridge.core.model import Task
from bridge.core.ports import NewTask, PullState
from bridge.errors import Invalid
from connectors.asana import AsanaConnector, Emulator, Sandbox
from connectors.emulation.sandbox import USERS

KINDS: list[tuple[FieldKind, tuple[str, ...], str, Any]] = [
    # kind, options, canonical value, what Asana is sent (option gids resolved below)
    ("text", (), "Call before noon", "Call before noon"),
    ("number", (), "2.5", 2.5),
    ("enum", ("High", "Low"), "High", "option:High"),
    ("multi_enum", ("Web", "Print", "Video"), "Print, Web", ["option:Print", "option:Web"]),
    ("date", (), "2026-05-01", {"date": "2026-05-01"}),
    ("people", (), USERS["client"].email, ["user:client"]),
]


@pytest.fixture
def fields(sandbox: Sandbox, project: str) -> dict[str, str]:
    for kind, options, _, _ in KINDS:
        sandbox.add_custom_field(project, f"F {kind}", kind, options)
    return {custom.name: custom.gid for custom in sandbox.emulator.store.fields.values()}  # type: ignore[attr-defined]


def sent(emulator: Emulator, sandbox: Sandbox, name: str, shape: Any) -> Any:
    """The expected wire value, with option names and users turned into gids."""
    store = emulator.store  # type: ignore[attr-defined]
    if isinstance(shape, list):
        return [sent(emulator, sandbox, name, s) for s in shape]
    if isinstance(shape, str) and shape.startswith("option:"):
        custom = next(f for f in store.fields.values() if f.name == name)
        return next(o.gid for o in custom.options if o.name == shape[len("option:"):])
    if isinstance(shape, str) and shape.startswith("user:"):
        return sandbox.user_ids[shape[len("user:"):]]  # type: ignore[index]
    return shape


def pulled(bridge: AsanaConnector, project: str, gid: str) -> Task:
    return bridge.pull(project).snapshot.tasks[gid]


@pytest.mark.parametrize(("kind", "options", "value", "wire"), KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_is_written_in_its_form_and_read_back_canonical(
    bridge: AsanaConnector, emulator: Emulator, sandbox: Sandbox, project: str, fields: dict[str, str],
    kind: FieldKind, options: tuple[str, ...], value: str, wire: Any,
) -> None:
    bridge.pull(project)  # the connector learns the workspace's people (emails -> gids)
    task = bridge.create_task(project, NewTask(title="Poster"))
    name = f"F {kind}"
    written = bridge.update_task(project, task, {"custom_fields": {name: value}})
    request = emulator.writes()[-1]
    assert json.loads(request.body or b"{}")["data"] == {"custom_fields": {fields[name]: sent(emulator, sandbox, name, wire)}}
    assert written.custom_fields[name] == value
    assert pulled(bridge, project, task.id).custom_fields[name] == value
    cleared = bridge.update_task(project, written, {"custom_fields": {name: None}})
    assert name not in cleared.custom_fields


def test_the_snapshot_holds_the_projects_field_definitions(bridge: AsanaConnector, project: str, fields: dict[str, str]) -> None:
    defs = bridge.pull(project).snapshot.fields
    assert defs["F enum"] == FieldDef(name="F enum", kind="enum", options=("High", "Low"))
    assert {d.kind for d in defs.values()} >= {"text", "number", "enum", "multi_enum", "date", "people"}


def test_a_new_task_takes_its_fields_and_a_patch_leaves_the_others(
    bridge: AsanaConnector, project: str, fields: dict[str, str]
) -> None:
    task = bridge.create_task(project, NewTask(title="Flyer", custom_fields={"F enum": "Low", "F text": "hi"}))
    assert task.custom_fields == {"F enum": "Low", "F text": "hi"}
    changed = bridge.update_task(project, task, {"custom_fields": {"F number": "3"}})
    assert changed.custom_fields == {"F enum": "Low", "F text": "hi", "F number": "3"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("F enum", "Medium", "'Medium' is not an option"), ("F number", "lots", "takes a number"),
     ("F date", "soon", "takes a date"), ("F nothing", "x", "has no custom field named 'F nothing'")],
)
def test_a_value_asana_would_refuse_is_refused_before_any_write(
    bridge: AsanaConnector, emulator: Emulator, project: str, fields: dict[str, str], name: str, value: str, message: str
) -> None:
    task = bridge.create_task(project, NewTask(title="Banner"))
    emulator.clear_requests()
    with pytest.raises(Invalid, match=message):
        bridge.update_task(project, task, {"custom_fields": {name: value}})
    assert emulator.writes() == []


def test_the_emulator_refuses_a_wrong_option_gid_like_asana(bridge: AsanaConnector, emulator: Emulator, project: str,
                                                            fields: dict[str, str]) -> None:
    task = bridge.create_task(project, NewTask(title="Sign"))
    with pytest.raises(Invalid):
        bridge.client.request("PUT", f"tasks/{task.id}", json={"data": {"custom_fields": {fields["F enum"]: "999"}}})
    with pytest.raises(Invalid):
        bridge.client.request("PUT", f"tasks/{task.id}", json={"data": {"custom_fields": {fields["F number"]: "x"}}})


def test_writing_free_values_reads_the_field_settings_once(
    bridge: AsanaConnector, emulator: Emulator, project: str, fields: dict[str, str]
) -> None:
    task = bridge.create_task(project, NewTask(title="Note", custom_fields={"F text": "a"}))
    emulator.clear_requests()
    for text in ("b", "c"):
        task = bridge.update_task(project, task, {"custom_fields": {"F text": text, "F number": "4"}})
    assert [r.path for r in emulator.requests if r.path.endswith("custom_field_settings")] == []


def test_an_incremental_pull_learns_a_field_added_since_the_full_pull(
    bridge: AsanaConnector, anna: AsanaConnector, sandbox: Sandbox, project: str
) -> None:
    first = bridge.pull(project)
    assert "Effort" not in first.snapshot.fields
    sandbox.add_custom_field(project, "Effort", "number")
    anna.pull(project)
    anna.create_task(project, NewTask(title="Sized", custom_fields={"Effort": "3"}))
    later = bridge.pull(project, PullState(cursor=first.cursor, snapshot=first.snapshot))
    assert not later.full and later.snapshot.fields["Effort"] == FieldDef(name="Effort", kind="number")
