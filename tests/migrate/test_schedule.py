"""The write graph: order within a container, dependencies, and what a failure holds back."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from bridge.core.ops import CreateComment, CreateSection, CreateTask, Op
from bridge.errors import Invalid
from bridge.migrate.schedule import Scheduler, build_graph


def task(key: str, section: str, parent: str | None = None) -> Op:
    return CreateTask(key=key, fields={"title": key}, section=section, parent=parent, depth=1 if parent else 0)


def comment(key: str, on: str) -> Op:
    return CreateComment(key=key, task_key=on, text=key)


OPS = [
    CreateSection(key="s1", name="S1"),
    CreateSection(key="s2", name="S2"),
    task("a", "s1"), task("b", "s1"), task("c", "s2"), task("a1", "s1", parent="a"),
    comment("late", "a"), comment("early", "a"),
]
WRITTEN = {"early": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "late": dt.datetime(2026, 2, 1, tzinfo=dt.UTC)}


def run(fail: set[str] = frozenset(), workers: int = 3) -> tuple[list[str], object]:  # type: ignore[assignment]
    order: list[str] = []
    lock = threading.Lock()

    def apply(op: Op) -> None:
        if op.key in fail:
            raise Invalid(f"refused {op.key}")
        with lock:
            order.append(op.key)

    return order, Scheduler(apply, workers=workers).run(build_graph(OPS, WRITTEN))


@pytest.mark.parametrize("workers", [1, 2, 8])
def test_containers_before_contents_and_creation_order_within_a_container(workers: int) -> None:
    order, _ = run(workers=workers)
    assert sorted(order) == sorted(op.key for op in OPS)
    pos = order.index
    assert pos("s1") < pos("s2")  # sections in order
    assert pos("s1") < pos("a") < pos("b")  # a task after its section and the task before it
    assert pos("s2") < pos("c")
    assert pos("a") < pos("a1")  # a subtask after its parent
    assert pos("a") < pos("early") < pos("late")  # comments after their task, in the order they were written


def test_a_failure_holds_back_exactly_what_depends_on_it() -> None:
    order, outcome = run(fail={"a"})
    assert [op.key for op, _ in outcome.failed] == ["a"]  # type: ignore[attr-defined]
    assert {op.key for op in outcome.held_back} == {"b", "a1", "early", "late"}  # type: ignore[attr-defined]
    assert set(order) == {"s1", "s2", "c"}


def test_a_crash_stops_the_run_and_is_raised() -> None:
    started: list[str] = []

    def apply(op: Op) -> None:
        started.append(op.key)
        if op.key == "s1":
            raise KeyError("the process died")

    with pytest.raises(KeyError):
        Scheduler(apply, workers=2).run(build_graph(OPS, WRITTEN))
    assert started == ["s1"]  # nothing else was ready, and nothing new starts after a crash


def test_writes_fed_while_running_wait_for_their_containers_and_a_failure_holds_them_back() -> None:
    order: list[str] = []
    lock = threading.Lock()

    def apply(op: Op) -> None:
        if op.key == "s2":
            raise Invalid("refused s2")
        with lock:
            order.append(op.key)

    feed = iter([[task("a", "s1"), task("c", "s2")], [comment("early", "a"), task("b", "s1"), task("d", "s2")]])
    outcome = Scheduler(apply, workers=2).run(build_graph(OPS[:2], WRITTEN), feed)
    assert sorted(order) == ["a", "b", "early", "s1"]
    assert order.index("s1") < order.index("a") < order.index("b")
    assert order.index("a") < order.index("early")
    assert {op.key for op in outcome.held_back} == {"c", "d"}  # d came after s2 had failed


def test_an_error_in_the_feed_stops_the_run_and_is_raised() -> None:
    def feed() -> Iterator[list[Op]]:
        yield [task("a", "s1")]
        raise KeyError("the source could not be read")

    done: list[Op] = []
    with pytest.raises(KeyError):
        Scheduler(done.append, workers=2).run(build_graph(OPS[:1], WRITTEN), feed())
    assert "s1" in [op.key for op in done]  # in flight when the feed failed: finished, not abandoned
