"""The memory tool beyond the contract: faults per call, the call record, lag, the world registry."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from bridge.clock import VirtualClock
from bridge.config.connection import ConnectionConfig
from bridge.core.ports import NewTask, PullState
from bridge.errors import AuthError, ConfigError, Invalid, Malformed, NotFound, RateLimited, Transient
from connectors.emulation.toolkit import Fault
from connectors.memory import MemoryConnector, MemorySandbox, MemoryWorld, world_named
from connectors.registry import build


@pytest.fixture
def sandbox() -> MemorySandbox:
    return MemorySandbox(clock=VirtualClock())


@pytest.fixture
def project(sandbox: MemorySandbox) -> str:
    return sandbox.create_project("Relaunch", ["To do", "Done"])


@pytest.fixture
def bot(sandbox: MemorySandbox) -> MemoryConnector:
    return sandbox.memory_connector("bridge")


def titles(bot: MemoryConnector, project: str) -> set[str]:
    return {t.title for t in bot.pull(project).snapshot.tasks.values()}


def test_fail_before_applies_nothing(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    sandbox.world.inject(Fault.FAIL_BEFORE, op="create_task")
    with pytest.raises(Transient):
        bot.create_task(project, NewTask(title="Lost"))
    assert titles(bot, project) == set()


@pytest.mark.parametrize("fault", [Fault.FAIL_AFTER, Fault.LOSE_RESPONSE])
def test_fault_after_the_write_keeps_it(sandbox: MemorySandbox, bot: MemoryConnector, project: str, fault: Fault) -> None:
    sandbox.world.inject(fault, op="create_task")
    with pytest.raises(Transient):
        bot.create_task(project, NewTask(title="Applied anyway"))
    assert titles(bot, project) == {"Applied anyway"}


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.RATE_LIMIT, RateLimited), (Fault.UNAUTHORIZED, AuthError), (Fault.NOT_FOUND, NotFound), (Fault.MALFORMED, Malformed)],
)
def test_refusing_faults_raise_and_apply_nothing(
    sandbox: MemorySandbox, bot: MemoryConnector, project: str, fault: Fault, error: type[Exception]
) -> None:
    sandbox.world.inject(fault, op="create_task")
    with pytest.raises(error):
        bot.create_task(project, NewTask(title="Refused"))
    assert titles(bot, project) == set()
    bot.create_task(project, NewTask(title="Next one works"))  # times=1: the fault is spent
    assert titles(bot, project) == {"Next one works"}


def test_rate_limit_says_when_to_retry(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    sandbox.world.inject(Fault.RATE_LIMIT)
    with pytest.raises(RateLimited) as caught:
        bot.pull(project)
    assert caught.value.retry_after == 1.0


def test_fault_filters_by_op_user_and_times(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    human = sandbox.memory_connector("human")
    sandbox.world.inject(Fault.FAIL_BEFORE, op="create_task", times=2, user_id=sandbox.user_ids["bridge"])
    human.create_task(project, NewTask(title="Person unaffected"))
    bot.pull(project)  # another op is unaffected
    for _ in range(2):
        with pytest.raises(Transient):
            bot.create_task(project, NewTask(title="Refused"))
    bot.create_task(project, NewTask(title="Third try"))
    assert titles(bot, project) == {"Person unaffected", "Third try"}


def test_fault_for_ever(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    sandbox.world.inject(Fault.FAIL_BEFORE, op="pull", times=-1)
    for _ in range(5):
        with pytest.raises(Transient):
            bot.pull(project)
    sandbox.world.faults.clear()
    assert bot.pull(project).snapshot.complete


def test_lagging_pull_catches_up_next_time(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    first = bot.pull(project)
    task = bot.create_task(project, NewTask(title="Not listed yet"))
    sandbox.world.inject(Fault.LAG, op="pull")
    lagged = bot.pull(project, PullState(cursor=first.cursor, snapshot=first.snapshot))
    assert task.id not in lagged.snapshot.tasks
    caught_up = bot.pull(project, PullState(cursor=lagged.cursor, snapshot=lagged.snapshot))
    assert task.id in caught_up.snapshot.tasks


def test_lagging_full_pull_hides_recent_creates_and_removals(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    old = bot.create_task(project, NewTask(title="Old"))
    bot.pull(project)
    new = bot.create_task(project, NewTask(title="New"))
    bot.remove_task(project, old, "delete")
    sandbox.world.inject(Fault.LAG, op="pull")
    lagged = bot.pull(project)
    assert old.id in lagged.snapshot.tasks and new.id not in lagged.snapshot.tasks
    fresh = bot.pull(project, PullState(cursor=lagged.cursor, snapshot=lagged.snapshot))
    assert old.id not in fresh.snapshot.tasks and new.id in fresh.snapshot.tasks


def test_calls_record_every_payload_and_stats_count_them(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    sandbox.world.clear_requests()
    task = bot.create_task(project, NewTask(title="Secret plan", labels=["internal"]))
    bot.update_task(project, task, {"notes": "the **details**"})
    sandbox.world.inject(Fault.FAIL_BEFORE, op="remove_task")
    with pytest.raises(Transient):
        bot.remove_task(project, task, "archive")
    bot.pull(project)
    ops = [(c.op, c.user_id) for c in sandbox.world.calls]
    bridge = sandbox.user_ids["bridge"]
    assert ops == [("create_task", bridge), ("update_task", bridge), ("remove_task", bridge), ("pull", bridge)]
    create, update, remove, _ = sandbox.world.calls
    assert create.payload["title"] == "Secret plan" and create.payload["labels"] == ["internal"]
    assert update.payload == {"project_id": project, "task_id": task.id, "changes": {"notes": "the **details**"}}
    assert remove.payload["mode"] == "archive"
    assert "Secret plan" in create.text
    assert [c.op for c in sandbox.world.writes()] == ["create_task", "update_task", "remove_task"]
    assert (bot.stats.reads, bot.stats.writes) == (1, 3)


def test_archived_parent_hides_its_subtasks_comments_and_files(bot: MemoryConnector, project: str) -> None:
    parent = bot.create_task(project, NewTask(title="Parent"))
    child = bot.create_task(project, NewTask(title="Child", parent_id=parent.id))
    comment = bot.create_comment(project, parent.id, "note")
    attachment = bot.create_attachment(project, parent.id, "file", "https://x.example/f")
    first = bot.pull(project)
    bot.remove_task(project, parent, "archive")
    for snap in (bot.pull(project).snapshot, bot.pull(project, PullState(cursor=first.cursor, snapshot=first.snapshot)).snapshot):
        assert not {parent.id, child.id} & set(snap.tasks)
        assert comment.id not in snap.comments and attachment.id not in snap.attachments
    with pytest.raises(NotFound):
        bot.update_task(project, child, {"title": "under a hidden parent"})


def test_removed_section_leaves_its_tasks_outside_any_section(bot: MemoryConnector, project: str) -> None:
    section = bot.create_section(project, "Temporary")
    task = bot.create_task(project, NewTask(title="Inside", section_id=section.id))
    first = bot.pull(project)
    bot.remove_section(project, section, "delete")
    incremental = bot.pull(project, PullState(cursor=first.cursor, snapshot=first.snapshot)).snapshot
    assert section.id not in incremental.sections
    assert incremental.tasks[task.id].section_id is None
    assert incremental.tasks == bot.pull(project).snapshot.tasks


def test_tool_refuses_what_real_tools_refuse(sandbox: MemorySandbox, bot: MemoryConnector, project: str) -> None:
    human = sandbox.memory_connector("human")
    parent = bot.create_task(project, NewTask(title="Parent"))
    child = bot.create_task(project, NewTask(title="Child", parent_id=parent.id))
    with pytest.raises(Invalid):
        bot.create_task(project, NewTask(title="Grandchild", parent_id=child.id))
    with pytest.raises(Invalid):
        bot.update_task(project, parent, {"parent_id": child.id})
    with pytest.raises(Invalid):
        bot.update_task(project, parent, {"assignees": ["nobody"]})
    with pytest.raises(Invalid):
        bot.update_task(project, parent, {"colour": "red"})
    with pytest.raises(Invalid):
        bot.update_task(project, parent, {"due": "not a date"})
    with pytest.raises(NotFound):
        bot.create_task(project, NewTask(title="x", section_id="404"))
    theirs = human.create_comment(project, parent.id, "mine")
    with pytest.raises(Invalid):
        bot.update_comment(project, theirs, "edited by someone else")
    with pytest.raises(Invalid):
        bot.remove_comment(project, theirs)


def test_registry_builds_into_the_named_world(sandbox: MemorySandbox, project: str) -> None:
    config = ConnectionConfig(kind="memory", base_url=sandbox.world.base_url, token=SecretStr("tok-anna-0002"))
    connector = build("memory-anna", config)
    assert isinstance(connector, MemoryConnector)
    assert connector.world is sandbox.world and connector.user_id == sandbox.user_ids["human"]
    assert world_named(sandbox.world.name) is sandbox.world
    assert connector.check(project).user == "Anna Agency"


def test_world_named_keeps_a_world_made_by_name() -> None:
    world = world_named("shared-demo-world")
    uid = world.add_user("Someone", token="tok-someone-1")
    del world
    assert world_named("shared-demo-world").store.users[uid].name == "Someone"


def test_bad_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        build("x", ConnectionConfig(kind="memory", base_url="https://memory.example"))


def test_unknown_token_is_refused_without_naming_it(sandbox: MemorySandbox, project: str) -> None:
    connector = build("x", ConnectionConfig(kind="memory", base_url=sandbox.world.base_url, token=SecretStr("tok-leaky-77")))
    with pytest.raises(AuthError) as caught:
        connector.pull(project)
    assert "tok-leaky-77" not in str(caught.value)


def test_thousand_cycles_stay_fast(bot: MemoryConnector, project: str) -> None:
    # The planner's state machine runs thousands of cycles; each must cost well under a millisecond or two.
    task = bot.create_task(project, NewTask(title="t"))
    result = bot.pull(project)
    for i in range(20):
        bot.create_task(project, NewTask(title=f"filler {i}"))
    started = time.perf_counter()
    for i in range(1000):
        task = bot.update_task(project, task, {"title": f"t{i}"})
        result = bot.pull(project, PullState(cursor=result.cursor, snapshot=result.snapshot))
    elapsed = time.perf_counter() - started
    assert result.snapshot.tasks[task.id].title == "t999"
    assert elapsed < 10.0, f"1000 write+pull cycles took {elapsed:.1f}s"


def test_emulator_alias_accepts_emulator_keywords() -> None:
    world = MemoryWorld(clock=VirtualClock(), rate_limit=False, latency=0.0)
    assert world.base_url.startswith("memory://")
