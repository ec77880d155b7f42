"""Carrying out a migration's writes concurrently, in the order the target must see them.

Most tools show items in the order they were created (Trello cards and check
items go to the bottom, GitHub issues by number, comments by date), and the
connectors create at the end. So the writes form a graph, not a list: a task
waits for its section, the task before it in the same section (or under the
same parent) and its parent; a comment waits for its task and the comment
written before it. Everything else runs at once, up to ``workers`` requests in
flight; the connection's rate budget paces them. Ready writes go out by
priority (sections, then tasks, then comments and files), so the chain of
tasks, which decides the finishing time, is never starved by comments.

The graph may grow while it runs (``feed``): a migration hands over the writes
of each part of the source as soon as that part is read and planned, so the
target is written while the source is still being read. A write added later
waits for what it depends on if that is still to come, not at all if it is
done, and is held back at once if that failed.

A write that fails (a refused request, an item that cannot be resolved) holds
back what depends on it; the rest goes on. Anything else raised by a write is
a crash, and so is an error raised by the feed: nothing new is started, what
is in flight finishes, and it is re-raised so the run stops the way a killed
process would.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from bridge.core.ops import CreateAttachment, CreateComment, CreateTask, Op, UpdateTask
from bridge.errors import AuthError, RemoteError
from bridge.sync.apply import Unresolved

_RANK = {"section": 0, "task": 1, "comment": 2, "attachment": 2}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class Node:
    op: Op
    index: int
    waiting: int = 0
    dependents: list[int] = field(default_factory=list)
    state: str = "waiting"  # waiting, done, failed, held

    @property
    def priority(self) -> tuple[int, int, int]:
        return (_RANK[self.op.kind], self.op.depth, self.index)


@dataclass
class Outcome:
    done: list[Op] = field(default_factory=list)
    failed: list[tuple[Op, str]] = field(default_factory=list)
    held_back: list[Op] = field(default_factory=list)  # depended on a failed write


class Graph:
    """The writes and what each waits for; ``add`` extends it while it runs."""

    def __init__(self, written_at: dict[str, dt.datetime]) -> None:
        self.written_at = written_at
        self.nodes: list[Node] = []
        self.creates: dict[tuple[str, str], Node] = {}
        self.last_in: dict[tuple[str, str | None], Node] = {}
        self.held: list[Op] = []  # added after what they depend on had failed

    def add(self, ops: Iterable[Op]) -> list[Node]:
        """Add writes in planning order (comments and files ordered by when they were written); the new nodes."""
        writes = [op for op in ops if op.is_write]
        items = [op for op in writes if op.kind in ("comment", "attachment") and op.action == "create"]
        items.sort(key=lambda op: (self.written_at.get(op.key, _EPOCH), op.key))
        others = [op for op in writes if not (op.kind in ("comment", "attachment") and op.action == "create")]
        added = [Node(op, len(self.nodes) + n) for n, op in enumerate(others + items)]
        self.nodes.extend(added)
        self.creates.update({(n.op.kind, n.op.key): n for n in added if n.op.action == "create"})
        for node in added:
            self._link(node)
            if node.state == "held":
                self.held.append(node.op)
        return added

    def _after(self, node: Node, before: Node | None) -> None:
        if before is None or before is node or before.state == "done":
            return
        if before.state in ("failed", "held"):
            node.state, node.waiting = "held", -1_000_000  # never ready
            return
        before.dependents.append(node.index)
        node.waiting += 1

    def _link(self, node: Node) -> None:
        op, last_in, creates = node.op, self.last_in, self.creates
        if op.kind == "section" and op.action == "create":
            self._after(node, last_in.get(("sections", None)))
            last_in[("sections", None)] = node
        elif op.kind == "task":
            section, parent = _containers(op)
            self._after(node, creates.get(("section", section)) if section else None)
            self._after(node, creates.get(("task", parent)) if parent else None)
            if op.action == "create":
                container = ("parent", parent) if parent else ("section", section)
                self._after(node, last_in.get(container))
                last_in[container] = node
        elif isinstance(op, CreateComment | CreateAttachment):
            self._after(node, creates.get(("task", op.task_key)))
            lane = (op.kind, op.task_key)
            self._after(node, last_in.get(lane))
            last_in[lane] = node


def build_graph(ops: Iterable[Op], written_at: dict[str, dt.datetime]) -> Graph:
    """The graph of ``ops``, in planning order, with their dependencies."""
    graph = Graph(written_at)
    graph.add(ops)
    return graph


def _containers(op: Op) -> tuple[str | None, str | None]:
    """The planner keys of the section and the parent task a task op puts its card in."""
    if isinstance(op, CreateTask):
        return op.section, op.parent
    if isinstance(op, UpdateTask):
        return op.changes.get("section"), op.changes.get("parent")
    return None, None


class Scheduler:
    def __init__(self, apply: Callable[[Op], None], *, workers: int = 4,
                 on_done: Callable[[Op], object] | None = None,
                 on_failed: Callable[[Op, str], object] | None = None) -> None:
        self.apply = apply
        self.workers = max(1, workers)
        self.on_done = on_done
        self.on_failed = on_failed

    def run(self, graph: Graph, feed: Iterator[list[Op]] | None = None) -> Outcome:
        """Carry out the graph; ``feed`` (advanced on a thread of its own) yields more writes until it ends."""
        outcome = Outcome()
        nodes = graph.nodes
        ready = [(n.priority, n.index) for n in nodes if n.waiting == 0 and n.state == "waiting"]
        heapq.heapify(ready)
        running: dict[Future[None], Node] = {}
        crash: BaseException | None = None
        more: Future[list[Op] | None] | None = None
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="migrate") as pool, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="migrate-feed") as feeder:
            if feed is not None:
                more = feeder.submit(next, feed, None)
            while ready or running or more is not None:
                while ready and crash is None and len(running) < self.workers:
                    _, index = heapq.heappop(ready)
                    running[pool.submit(self.apply, nodes[index].op)] = nodes[index]
                if not running and more is None:
                    break
                pending: list[Future[Any]] = [*running, *([more] if more is not None else [])]
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                if more is not None and more in finished:
                    more, batch = self._fed(more, feeder, feed, crash is None)
                    if isinstance(batch, BaseException):
                        crash = crash or batch
                    elif batch is not None and crash is None:
                        for node in graph.add(batch):
                            if node.waiting == 0 and node.state == "waiting":
                                heapq.heappush(ready, (node.priority, node.index))
                for future in finished:
                    if future in running:
                        error = self._finished(future, running.pop(future), nodes, ready, outcome)
                        crash = crash or error
        outcome.held_back.extend(graph.held)
        if crash is not None:
            raise crash
        return outcome

    @staticmethod
    def _fed(future: Future[list[Op] | None], feeder: ThreadPoolExecutor, feed: Iterator[list[Op]] | None,
             go_on: bool) -> tuple[Future[list[Op] | None] | None, list[Op] | BaseException | None]:
        """The batch a feed future brought (or its error), and the future of the next one."""
        error = future.exception()
        if error is not None:
            return None, error
        batch = future.result()
        if batch is None or not go_on or feed is None:
            return None, batch
        return feeder.submit(next, feed, None), batch

    def _finished(self, future: Future[None], node: Node, nodes: list[Node], ready: list[tuple[tuple[int, int, int], int]],
                  outcome: Outcome) -> BaseException | None:
        """Record one write's end and release what waited for it; a crash is returned, not raised."""
        error = future.exception()
        if error is None:
            node.state = "done"
            outcome.done.append(node.op)
            if self.on_done:
                self.on_done(node.op)
            for index in node.dependents:
                nodes[index].waiting -= 1
                if nodes[index].waiting == 0:
                    heapq.heappush(ready, (nodes[index].priority, index))
            return None
        if isinstance(error, (RemoteError, Unresolved)) and not isinstance(error, AuthError):
            node.state = "failed"
            outcome.failed.append((node.op, str(error)))
            if self.on_failed:
                self.on_failed(node.op, str(error))
            outcome.held_back.extend(_hold_back(nodes, node))
            return None
        return error


def _hold_back(nodes: list[Node], failed: Node) -> list[Op]:
    """Everything that (transitively) waits for ``failed``; marked so it never becomes ready."""
    held: list[Op] = []
    stack = list(failed.dependents)
    seen: set[int] = set()
    while stack:
        index = stack.pop()
        if index in seen:
            continue
        seen.add(index)
        nodes[index].waiting = -1_000_000  # never reaches zero again
        nodes[index].state = "held"
        held.append(nodes[index].op)
        stack.extend(nodes[index].dependents)
    return held
