"""The writing half of the connector contract: every write returns what the next pull shows.

A field the tool declares in ``capabilities.task_fields`` must round-trip; a
field it leaves out is skipped, so capabilities are honest by construction.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bridge.core.model import Task
from bridge.core.ports import TASK_FIELDS, NewTask

from .support import (
    DUE,
    LABEL,
    NOTES,
    OTHER_LABEL,
    START,
    ContractEnv,
    assert_task_matches,
    full_pull,
    pulled_task,
    removal_modes,
    section_id,
    task_fields,
)


def _steps(env: ContractEnv, field: str, task: Task) -> list[dict[str, Any]]:
    """Successive changes that set a field and clear it again; each must round-trip."""
    snapshot = full_pull(env).snapshot
    if field == "title":
        return [{"title": "Renamed: draft the pricing page"}]
    if field == "notes":
        return [{"notes": NOTES}, {"notes": ""}]
    if field == "done":
        return [{"done": True}, {"done": False}]
    if field == "section_id":
        names = env.section_names
        return [{"section_id": section_id(snapshot, names[2])}, {"section_id": section_id(snapshot, names[1])}]
    if field == "due":
        return [{"due": DUE}, {"due": None}]
    if field == "start":  # several tools refuse a start date without a due date
        return [{"due": DUE, "start": START}, {"start": None}]
    if field == "assignees":
        return [{"assignees": [env.human_user_id]}, {"assignees": []}]
    if field == "labels":
        return [{"labels": [LABEL, OTHER_LABEL]}, {"labels": [OTHER_LABEL]}, {"labels": []}]
    if field == "parent_id":
        parent = env.connector.create_task(env.project_id, NewTask(title="New parent", section_id=task.section_id))
        return [{"parent_id": parent.id}]
    raise AssertionError(f"no contract steps for {field}")


def _comparable(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def _apply(env: ContractEnv, current: Task, changes: dict[str, Any]) -> Task:
    returned = env.connector.update_task(env.project_id, current, changes)
    for name, value in changes.items():
        got = getattr(returned, name)
        assert _comparable(got) == _comparable(value), f"update of {name} returned {got!r}"
    pulled = pulled_task(env, current.id)
    for name, value in changes.items():
        assert _comparable(getattr(pulled, name)) == _comparable(value), f"update of {name} did not reach the tool"
    assert_task_matches(returned, pulled, task_fields(env.connector, pulled))
    return pulled


class WriteContract:
    def test_section_lifecycle(self, env: ContractEnv) -> None:
        for mode in removal_modes(env.connector):
            created = env.connector.create_section(env.project_id, f"Review {mode}")
            assert created.name == f"Review {mode}"
            assert full_pull(env).snapshot.sections[created.id].name == created.name
            renamed = env.connector.update_section(env.project_id, created, f"Client review {mode}")
            assert renamed.id == created.id and renamed.name == f"Client review {mode}"
            assert full_pull(env).snapshot.sections[created.id].name == renamed.name
            env.connector.remove_section(env.project_id, renamed, mode)  # type: ignore[arg-type]
            assert created.id not in full_pull(env).snapshot.sections, f"a section removed by {mode} is still pulled"

    def test_create_task_with_every_field(self, env: ContractEnv) -> None:
        fields = env.connector.capabilities.task_fields
        snapshot = full_pull(env).snapshot
        wanted: dict[str, Any] = {"title": "Write the launch email"}
        if "notes" in fields:
            wanted["notes"] = NOTES
        if "section_id" in fields:
            wanted["section_id"] = section_id(snapshot, env.section_names[1])
        if "due" in fields:
            wanted["due"] = DUE
        if "start" in fields:
            wanted["start"] = START
        if "assignees" in fields:
            wanted["assignees"] = [env.human_user_id]
        if "labels" in fields:
            wanted["labels"] = [LABEL]
        returned = env.connector.create_task(env.project_id, NewTask(**wanted))
        pulled = pulled_task(env, returned.id)
        for name, value in wanted.items():
            assert getattr(returned, name) == value, f"create returned {name}={getattr(returned, name)!r}"
            assert getattr(pulled, name) == value, f"create did not store {name}"
        assert pulled.parent_id is None
        assert_task_matches(returned, pulled, fields)
        if "assignees" in fields:
            assert env.human_user_id in full_pull(env).snapshot.people, "an assignee must be among the snapshot's people"

    @pytest.mark.parametrize("field", sorted(TASK_FIELDS - {"position"}))
    def test_update_task_field_round_trips(self, env: ContractEnv, field: str) -> None:
        caps = env.connector.capabilities
        if field not in caps.task_fields:
            pytest.skip(f"the tool does not hold {field}")
        if field == "parent_id" and not caps.subtask_fields:
            pytest.skip("the tool has no nested subtasks")
        snapshot = full_pull(env).snapshot
        first = section_id(snapshot, env.section_names[0]) if "section_id" in caps.task_fields else None
        created = env.connector.create_task(env.project_id, NewTask(title="Field under test", section_id=first))
        current = pulled_task(env, created.id)
        for changes in _steps(env, field, current):
            current = _apply(env, current, changes)

    def test_update_position_reorders(self, env: ContractEnv) -> None:
        if "position" not in env.connector.capabilities.task_fields:
            pytest.skip("the tool has no task order")
        snapshot = full_pull(env).snapshot
        first = section_id(snapshot, env.section_names[0]) if "section_id" in env.connector.capabilities.task_fields else None
        a = env.connector.create_task(env.project_id, NewTask(title="First", section_id=first))
        b = env.connector.create_task(env.project_id, NewTask(title="Second", section_id=first))
        tasks = full_pull(env).snapshot.tasks
        env.connector.update_task(env.project_id, tasks[b.id], {"position": tasks[a.id].position - 1.0})
        tasks = full_pull(env).snapshot.tasks
        assert tasks[b.id].position < tasks[a.id].position, "moving a task before another did not reorder it"

    def test_after_puts_a_task_right_after_another_and_the_answer_orders_it_so(self, env: ContractEnv) -> None:
        if "position" not in env.connector.capabilities.task_fields:
            pytest.skip("the tool has no task order")
        snapshot = full_pull(env).snapshot
        first = section_id(snapshot, env.section_names[0]) if "section_id" in env.connector.capabilities.task_fields else None
        made = [env.connector.create_task(env.project_id, NewTask(title=t, section_id=first)) for t in "ABCD"]
        a, b, c, d = (t.id for t in made)

        def order() -> list[str]:
            tasks = full_pull(env).snapshot.tasks
            return [t.id for t in sorted(tasks.values(), key=lambda t: t.position) if t.id in (a, b, c, d)]

        tasks = full_pull(env).snapshot.tasks
        answer = env.connector.update_task(env.project_id, tasks[d], {"after": None})
        assert order() == [d, a, b, c]
        assert answer.position < tasks[a].position  # the caller's snapshot reads the new order right
        tasks = full_pull(env).snapshot.tasks
        answer = env.connector.update_task(env.project_id, tasks[a], {"after": c})
        assert order() == [d, b, c, a]
        assert tasks[c].position < answer.position
        tasks = full_pull(env).snapshot.tasks
        answer = env.connector.update_task(env.project_id, tasks[c], {"after": d})
        assert order() == [d, c, b, a]
        assert tasks[d].position < answer.position < tasks[b].position

    @pytest.mark.parametrize("mode", ["archive", "delete"])
    def test_remove_task(self, env: ContractEnv, mode: str) -> None:
        if mode not in env.connector.capabilities.removal:
            pytest.skip(f"the tool cannot {mode}")
        task = env.connector.create_task(env.project_id, NewTask(title=f"Remove by {mode}"))
        keep = env.connector.create_task(env.project_id, NewTask(title="Stays"))
        env.connector.remove_task(env.project_id, pulled_task(env, task.id), mode)  # type: ignore[arg-type]
        tasks = full_pull(env).snapshot.tasks
        assert task.id not in tasks
        assert keep.id in tasks

    def test_subtask_lifecycle(self, env: ContractEnv) -> None:
        sub_fields = env.connector.capabilities.subtask_fields
        if not sub_fields:
            pytest.skip("the tool has no nested subtasks")
        parent = env.connector.create_task(env.project_id, NewTask(title="Parent"))
        created = env.connector.create_task(env.project_id, NewTask(title="Child step", parent_id=parent.id))
        assert created.parent_id == parent.id and created.title == "Child step"
        current = pulled_task(env, created.id)
        assert current.parent_id == parent.id
        assert_task_matches(created, current, task_fields(env.connector, current))
        for field in sorted(sub_fields - {"parent_id", "section_id", "position"}):
            for changes in _steps(env, field, current):
                current = _apply(env, current, changes)
        for mode in removal_modes(env.connector):
            doomed = env.connector.create_task(env.project_id, NewTask(title=f"Child by {mode}", parent_id=parent.id))
            env.connector.remove_task(env.project_id, pulled_task(env, doomed.id), mode)  # type: ignore[arg-type]
            tasks = full_pull(env).snapshot.tasks
            assert doomed.id not in tasks and parent.id in tasks and created.id in tasks

    def test_task_url_is_its_page_in_the_tool_and_outlives_edits(self, env: ContractEnv) -> None:
        # Twin links point at Task.url: a write's answer must carry it, as the next pull does.
        created = env.connector.create_task(env.project_id, NewTask(title="Has a page"))
        assert created.url, "a created task must carry its page in the tool (Task.url)"
        page = env.task_page.replace("{id}", re.escape(created.id))
        assert re.fullmatch(page, created.url), f"{created.url!r} is not this task's page ({env.task_page})"
        pulled = pulled_task(env, created.id)
        assert pulled.url == created.url
        renamed = env.connector.update_task(env.project_id, pulled, {"title": "Has a page, renamed"})
        assert renamed.url == created.url, "a rename must not move the task's page"
        assert pulled_task(env, created.id).url == created.url
        if not env.connector.capabilities.subtask_fields:
            return
        sub = env.connector.create_task(env.project_id, NewTask(title="A step", parent_id=created.id))
        if env.subtask_pages:
            assert sub.url and sub.url != created.url, "a subtask with a page of its own must carry it"
        else:
            assert sub.url is None, "a subtask without a page must not borrow one"
        assert pulled_task(env, sub.id).url == sub.url

    def test_comment_lifecycle(self, env: ContractEnv) -> None:
        caps = env.connector.capabilities
        if not caps.comments:
            pytest.skip("the tool has no comments")
        task = env.connector.create_task(env.project_id, NewTask(title="Discuss the copy"))
        created = env.connector.create_comment(env.project_id, task.id, "First draft is attached.")
        assert created.task_id == task.id and created.text == "First draft is attached."
        pulled = full_pull(env).snapshot.comments[created.id]
        assert (pulled.task_id, pulled.text) == (created.task_id, created.text)
        if caps.edit_comments:
            edited = env.connector.update_comment(env.project_id, pulled, "Second draft is attached.")
            assert edited.id == created.id and edited.text == "Second draft is attached."
            assert full_pull(env).snapshot.comments[created.id].text == edited.text
        env.connector.remove_comment(env.project_id, pulled)
        snapshot = full_pull(env).snapshot
        assert created.id not in snapshot.comments
        assert task.id in snapshot.tasks

    def test_attachment_lifecycle(self, env: ContractEnv) -> None:
        kind = env.connector.capabilities.attachments
        if kind == "none":
            pytest.skip("the tool has no attachments")
        task = env.connector.create_task(env.project_id, NewTask(title="Share the spec"))
        url = "https://files.example.com/spec-v3.pdf"
        created = env.connector.create_attachment(env.project_id, task.id, "Spec v3", url)
        assert created.task_id == task.id and created.name == "Spec v3"
        pulled = full_pull(env).snapshot.attachments[created.id]
        assert (pulled.task_id, pulled.name) == (created.task_id, created.name)
        if kind == "link":
            assert created.url == url and pulled.url == url
        env.connector.remove_attachment(env.project_id, pulled)
        assert created.id not in full_pull(env).snapshot.attachments
