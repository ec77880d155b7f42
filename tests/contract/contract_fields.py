"""The custom-field part of the connector contract (docs/custom-fields.md), for tools whose capabilities hold them.

A ``custom_fields`` change is a patch: the fields it names change, None clears one, every other
field stays. What a write answers and what the next pull reads agree, in canonical values.
"""

from __future__ import annotations

import pytest

from bridge.core.fields import FieldKind
from bridge.core.ports import NewTask

from .support import ContractEnv, full_pull, incremental_pull

TEXT, CHOICE, NUMBER, DAY = "Contract text", "Contract choice", "Contract number", "Contract day"
# Every tool with custom fields holds these kinds: a free-form tool (GitHub, Basecamp) holds each as text.
KINDS: tuple[tuple[str, FieldKind, tuple[str, ...]], ...] = (
    (TEXT, "text", ()), (CHOICE, "enum", ("Alpha", "Beta")), (NUMBER, "number", ()), (DAY, "date", ()),
)


def _fields(env: ContractEnv) -> None:
    caps = env.connector.capabilities
    if not caps.custom_fields:
        pytest.skip(f"{caps.tool or 'this tool'} holds no custom fields")
    if caps.defined_fields:
        assert env.define_field is not None, "a tool whose project defines its fields needs ContractEnv.define_field"
        for name, kind, options in KINDS:
            env.define_field(name, kind, options)


class FieldContract:
    def test_custom_fields_are_created_read_patched_and_cleared(self, env: ContractEnv) -> None:
        _fields(env)
        created = env.connector.create_task(env.project_id, NewTask(title="Fielded", custom_fields={CHOICE: "Alpha"}))
        assert created.custom_fields == {CHOICE: "Alpha"}
        assert full_pull(env).snapshot.tasks[created.id].custom_fields == {CHOICE: "Alpha"}
        patch = {TEXT: "Call before noon", NUMBER: "2.5", DAY: "2031-05-20"}
        patched = env.connector.update_task(env.project_id, created, {"custom_fields": patch})
        assert patched.custom_fields == {CHOICE: "Alpha", **patch}
        assert full_pull(env).snapshot.tasks[created.id].custom_fields == patched.custom_fields
        cleared = env.connector.update_task(env.project_id, patched, {"custom_fields": {CHOICE: None, NUMBER: None}})
        assert cleared.custom_fields == {TEXT: "Call before noon", DAY: "2031-05-20"}
        assert full_pull(env).snapshot.tasks[created.id].custom_fields == cleared.custom_fields

    def test_a_persons_field_change_shows_in_the_next_pull(self, env: ContractEnv) -> None:
        _fields(env)
        task = env.connector.create_task(env.project_id, NewTask(title="Fielded by hand"))
        first = full_pull(env)
        env.human.pull(env.project_id)
        env.human.update_task(env.project_id, first.snapshot.tasks[task.id], {"custom_fields": {CHOICE: "Beta"}})
        later = incremental_pull(env, first)
        assert later.snapshot.tasks[task.id].custom_fields == {CHOICE: "Beta"}

    def test_the_snapshot_names_the_fields_a_project_defines(self, env: ContractEnv) -> None:
        _fields(env)
        defs = full_pull(env).snapshot.fields
        if not env.connector.capabilities.defined_fields:
            assert defs == {}  # any name is a field: nothing to list
            return
        assert {name: defs[name].kind for name, _, _ in KINDS} == {name: kind for name, kind, _ in KINDS}
        assert defs[CHOICE].options == ("Alpha", "Beta")

    def test_check_reads_the_same_field_definitions_as_a_pull(self, env: ContractEnv) -> None:
        # ``pm-bridge check`` names a mapped field the project lacks from these (bridge/cli/check.py).
        _fields(env)
        checked = env.connector.check(env.project_id).fields
        if not env.connector.capabilities.defined_fields:
            assert checked is None  # any name is a field: nothing to check
            return
        assert checked == full_pull(env).snapshot.fields
        assert checked is not None and checked[CHOICE].options == ("Alpha", "Beta")
