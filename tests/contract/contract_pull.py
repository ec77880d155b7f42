"""The reading half of the connector contract: full and incremental pulls, auth and missing projects."""

from __future__ import annotations

import pytest

from bridge.core.model import Snapshot
from bridge.core.ports import NewTask, PullState
from bridge.errors import AuthError, NotFound

from .support import (
    ContractEnv,
    assert_no_secret,
    full_pull,
    incremental_pull,
    removal_modes,
    section_id,
    view,
)


class PullContract:
    def test_pull_of_seeded_project(self, env: ContractEnv) -> None:
        result = full_pull(env)
        snapshot = result.snapshot
        assert result.full
        assert result.cursor, "a pull must leave a cursor for the next incremental pull"
        assert snapshot.project_id == env.project_id
        assert snapshot.connection == env.connector.name
        names = {s.name for s in snapshot.sections.values()}
        assert set(env.section_names) <= names
        assert all(sid == s.id for sid, s in snapshot.sections.items())

    def test_check_reaches_project(self, env: ContractEnv) -> None:
        result = env.connector.check(env.project_id)
        assert result.user
        assert result.project_name

    def test_incremental_pull_without_changes_costs_one_read(self, env: ContractEnv) -> None:
        task = env.connector.create_task(env.project_id, NewTask(title="Steady"))
        if env.connector.capabilities.comments:
            env.connector.create_comment(env.project_id, task.id, "Nothing new here.")
        first = full_pull(env)
        # A connector that reads webhook hints is held to one read as its webhook leads it: the side is
        # served and no delivery named anything (docs/daemon.md#webhook-led-polling).
        hints = frozenset[str]() if env.connector.capabilities.change_hints else None
        for _ in range(3):  # the cursor must stay valid across quiet cycles
            reads, writes = env.stats()
            again = incremental_pull(env, first, hints)
            after_reads, after_writes = env.stats()
            assert after_reads - reads <= 1, f"a quiet incremental pull sent {after_reads - reads} reads"
            assert after_writes == writes, "a pull must never write"
            assert not again.full
            assert again.snapshot == first.snapshot
            first = again

    def test_invalid_cursor_falls_back_to_full_pull(self, env: ContractEnv) -> None:
        first = full_pull(env)
        task = env.human.create_task(env.project_id, NewTask(title="Made meanwhile"))
        result = env.connector.pull(env.project_id, PullState(cursor="not-a-valid-cursor", snapshot=first.snapshot))
        assert result.full
        assert result.snapshot.complete
        assert task.id in result.snapshot.tasks
        assert set(env.section_names) <= {s.name for s in result.snapshot.sections.values()}

    def test_person_edit_appears_in_incremental_pull(self, env: ContractEnv) -> None:
        caps = env.connector.capabilities
        task = env.connector.create_task(env.project_id, NewTask(title="Draft the homepage"))
        first = full_pull(env)
        changes: dict[str, object] = {"title": "Draft the homepage, v2"}
        if "section_id" in caps.task_fields:
            changes["section_id"] = section_id(first.snapshot, env.section_names[1])
        if "done" in caps.task_fields:
            changes["done"] = True
        env.human.update_task(env.project_id, first.snapshot.tasks[task.id], changes)
        second = incremental_pull(env, first)
        seen = second.snapshot.tasks[task.id]
        for name, value in changes.items():
            assert getattr(seen, name) == value, f"a person's change of {name} is missing from the incremental pull"
        assert view(second.snapshot, env.connector) == view(full_pull(env).snapshot, env.connector)

    def test_incremental_pull_keeps_task_urls(self, env: ContractEnv) -> None:
        edited = env.connector.create_task(env.project_id, NewTask(title="Edited by a person"))
        quiet = env.connector.create_task(env.project_id, NewTask(title="Left alone"))
        first = full_pull(env)
        pages = {tid: first.snapshot.tasks[tid].url for tid in (edited.id, quiet.id)}
        assert all(pages.values()), "a full pull must carry every task's page"
        env.human.update_task(env.project_id, first.snapshot.tasks[edited.id], {"title": "Edited by a person, v2"})
        second = incremental_pull(env, first)
        assert {tid: second.snapshot.tasks[tid].url for tid in pages} == pages

    def test_incremental_pull_over_a_snapshot_saved_before_task_urls(self, env: ContractEnv) -> None:
        edited = env.connector.create_task(env.project_id, NewTask(title="Re-read by the next pull"))
        quiet = env.connector.create_task(env.project_id, NewTask(title="Not re-read"))
        first = full_pull(env)
        saved = first.snapshot.model_dump(mode="json")
        for task in saved["tasks"].values():
            del task["url"]  # as the engine persisted snapshots before Task.url existed
        old = Snapshot.model_validate(saved)
        assert all(t.url is None for t in old.tasks.values())
        env.human.update_task(env.project_id, old.tasks[edited.id], {"title": "Re-read by the next pull, v2"})
        second = env.connector.pull(env.project_id, PullState(cursor=first.cursor, snapshot=old))
        assert second.snapshot.complete
        tasks = second.snapshot.tasks
        assert tasks[edited.id].title == "Re-read by the next pull, v2"
        assert tasks[edited.id].url == first.snapshot.tasks[edited.id].url, "a re-read task must gain its page"
        assert tasks[quiet.id].url in (None, first.snapshot.tasks[quiet.id].url)

    def test_person_new_task_appears_in_incremental_pull(self, env: ContractEnv) -> None:
        first = full_pull(env)
        target = section_id(first.snapshot, env.section_names[0])
        task = env.human.create_task(env.project_id, NewTask(title="Please add a contact page", section_id=target))
        second = incremental_pull(env, first)
        assert task.id in second.snapshot.tasks
        assert second.snapshot.tasks[task.id].title == "Please add a contact page"
        assert view(second.snapshot, env.connector) == view(full_pull(env).snapshot, env.connector)

    def test_person_comment_appears_attributed(self, env: ContractEnv) -> None:
        if not env.connector.capabilities.comments:
            pytest.skip("the tool has no comments")
        task = env.connector.create_task(env.project_id, NewTask(title="Review the logo"))
        first = full_pull(env)
        comment = env.human.create_comment(env.project_id, task.id, "Can we try a darker blue?")
        second = incremental_pull(env, first)
        seen = second.snapshot.comments.get(comment.id)
        assert seen is not None, "a person's comment is missing from the incremental pull"
        assert seen.task_id == task.id
        assert seen.text == "Can we try a darker blue?"
        assert seen.author is not None and seen.author.id == env.human_user_id
        assert view(second.snapshot, env.connector) == view(full_pull(env).snapshot, env.connector)

    def test_person_removal_appears_in_incremental_pull(self, env: ContractEnv) -> None:
        modes = removal_modes(env.connector)
        tasks = {mode: env.connector.create_task(env.project_id, NewTask(title=f"Goes away by {mode}")) for mode in modes}
        first = full_pull(env)
        for mode, task in tasks.items():
            env.human.remove_task(env.project_id, first.snapshot.tasks[task.id], mode)  # type: ignore[arg-type]
        second = incremental_pull(env, first)
        for mode, task in tasks.items():
            assert task.id not in second.snapshot.tasks, f"a task removed by {mode} is still in the incremental pull"
        assert view(second.snapshot, env.connector) == view(full_pull(env).snapshot, env.connector)

    def test_own_create_missing_from_previous_snapshot_is_pulled(self, env: ContractEnv) -> None:
        # The classic lost response: the create took effect but the engine never saw its answer.
        caps = env.connector.capabilities
        holder = env.connector.create_task(env.project_id, NewTask(title="Holds the comment"))
        first = full_pull(env)
        task = env.connector.create_task(env.project_id, NewTask(title="Created, answer lost"))
        comment = env.connector.create_comment(env.project_id, holder.id, "Answer lost too") if caps.comments else None
        second = incremental_pull(env, first)
        assert task.id in second.snapshot.tasks
        assert second.snapshot.tasks[task.id].title == "Created, answer lost"
        if comment is not None:
            assert comment.id in second.snapshot.comments
            assert second.snapshot.comments[comment.id].text == "Answer lost too"

    def test_archive_removal_hides_task(self, env: ContractEnv) -> None:
        if "archive" not in env.connector.capabilities.removal:
            pytest.skip("the tool cannot archive")
        task = env.connector.create_task(env.project_id, NewTask(title="Archive me"))
        first = full_pull(env)
        env.connector.remove_task(env.project_id, first.snapshot.tasks[task.id], "archive")
        assert task.id not in full_pull(env).snapshot.tasks
        assert task.id not in incremental_pull(env, first).snapshot.tasks

    def test_bad_credentials_raise_auth_error(self, env: ContractEnv) -> None:
        with pytest.raises(AuthError) as checked:
            env.bad_credentials.check(env.project_id)
        assert_no_secret(str(checked.value), env)
        with pytest.raises(AuthError) as pulled:
            env.bad_credentials.pull(env.project_id)
        assert_no_secret(str(pulled.value), env)
        assert str(pulled.value), "an auth error must say what to fix"

    def test_missing_project_raises_not_found(self, env: ContractEnv) -> None:
        with pytest.raises(NotFound):
            env.connector.check(env.missing_project_id)
        with pytest.raises(NotFound):
            env.connector.pull(env.missing_project_id)
