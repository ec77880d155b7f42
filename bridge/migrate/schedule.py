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

A write that fails (a refused request, an item that cannot be resolved) holds
back what depends on it; the rest goes on. Anything else raised by a write is
a crash: nothing new is started, what is in flight finishes, and it is
re-raised so the run stops the way a killed process would.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

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

    @property
    def priority(self) -> tuple[int, int, int]:
        return (_RANK[self.op.kind], self.op.depth, self.index)


@dataclass
class Outcome:
    done: list[Op] = field(default_factory=list)
    failed: list[tuple[Op, str]] = field(default_factory=list)
    held_back: list[Op] = field(default_factory=list)  # depended on a failed write


def build_graph(ops: Iterable[Op], written_at: dict[str, dt.datetime]) -> list[Node]:
    """Nodes in planning order with their dependencies; comments and files ordered by when they were written."""
    writes = [op for op in ops if op.is_write]
    items = [op for op in writes if op.kind in ("comment", "attachment") and op.action == "create"]
    items.sort(key=lambda op: (written_at.get(op.key, _EPOCH), op.key))
    others = [op for op in writes if not (op.kind in ("comment", "attachment") and op.action == "create")]
    nodes = [Node(op, index) for index, op in enumerate(others + items)]
    creates = {(n.op.kind, n.op.key): n for n in nodes if n.op.action == "create"}
    last_in: dict[tuple[str, str | None], Node] = {}

    def after(node: Node, before: Node | None) -> None:
        if before is not None and before is not node:
            before.dependents.append(node.index)
            node.waiting += 1

    for node in nodes:
        op = node.op
        if op.kind == "section" and op.action == "create":
            after(node, last_in.get(("sections", None)))
            last_in[("sections", None)] = node
        elif op.kind == "task":
            section, parent = _containers(op)
            after(node, creates.get(("section", section)) if section else None)
            after(node, creates.get(("task", parent)) if parent else None)
            if op.action == "create":
                container = ("parent", parent) if parent else ("section", section)
                after(node, last_in.get(container))
                last_in[container] = node
        elif isinstance(op, CreateComment | CreateAttachment):
            after(node, creates.get(("task", op.task_key)))
            lane = (op.kind, op.task_key)
            after(node, last_in.get(lane))
            last_in[lane] = node
    return nodes


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

    def run(self, nodes: list[Node]) -> Outcome:
        outcome = Outcome()
        ready = [(n.priority, n.index) for n in nodes if n.waiting == 0]
        heapq.heapify(ready)
        running: dict[Future[None], Node] = {}
        crash: BaseException | None = None
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="migrate") as pool:
            while ready or running:
                while ready and crash is None and len(running) < self.workers:
                    _, index = heapq.heappop(ready)
                    running[pool.submit(self.apply, nodes[index].op)] = nodes[index]
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    node = running.pop(future)
                    error = future.exception()
                    if error is None:
                        outcome.done.append(node.op)
                        if self.on_done:
                            self.on_done(node.op)
                        for index in node.dependents:
                            nodes[index].waiting -= 1
                            if nodes[index].waiting == 0:
                                heapq.heappush(ready, (nodes[index].priority, index))
                    elif isinstance(error, (RemoteError, Unresolved)) and not isinstance(error, AuthError):
                        outcome.failed.append((node.op, str(error)))
                        if self.on_failed:
                            self.on_failed(node.op, str(error))
                        outcome.held_back.extend(_hold_back(nodes, node))
                    elif crash is None:
                        crash = error
        if crash is not None:
            raise crash
        return outcome


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
        held.append(nodes[index].op)
        stack.extend(nodes[index].dependents)
    return held
