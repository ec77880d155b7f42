"""What a connector's contract test needs from its tool, and the comparisons every test shares.

A tool's test module builds a :class:`ContractEnv` (usually from its Sandbox)
in a pytest fixture named ``env``; the contract then drives the tool only
through the :class:`~bridge.core.ports.Connector` protocol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.core.fields import FieldKind
from bridge.core.model import Snapshot, Task
from bridge.core.ports import Connector, PullResult, PullState

# Sections every contract project is seeded with: ``sandbox.create_project(name, list(SEEDED_SECTIONS))``.
SEEDED_SECTIONS: tuple[str, ...] = ("To do", "Doing", "Done")

# Values the contract writes; chosen so a faithful Markdown/HTML conversion round-trips them.
NOTES = "Agreed scope: **two** pages.\n\nSee the brief for details."
DUE = dt.date(2031, 5, 20)
START = dt.date(2031, 5, 2)
LABEL = "urgent"
OTHER_LABEL = "client-review"

# Fields a pull derives from listing order or the server's clock; equality on them is not a contract.
_UNCOMPARED = frozenset({"position", "version", "created_at", "modified_at", "id", "custom_fields"})


@dataclass
class ContractEnv:
    connector: Connector  # the bridge's connector
    human: Connector  # another user of the same tool on the same project ("a person")
    project_id: str
    stats: Callable[[], tuple[int, int]]  # (reads, writes) the bridge connector has sent so far
    bad_credentials: Connector  # same server, wrong token
    missing_project_id: str
    human_user_id: str  # the person id of ``human`` in that tool
    section_names: tuple[str, ...] = SEEDED_SECTIONS  # what the project was seeded with
    # The wrong token behind ``bad_credentials``; no error message may contain it.
    bad_token: str | None = None
    # Every other credential of the environment, which must not leak either.
    tokens: tuple[str, ...] = field(default_factory=tuple)
    # A task's page in the tool (``Task.url``), as a regex; ``{id}`` stands for the task's id.
    task_page: str = r"\S+"
    # Whether the tool gives subtasks a page of their own (else their ``url`` stays None).
    subtask_pages: bool = False
    # Defines a custom field on the project (the sandbox's ``add_custom_field``), for tools whose
    # Capabilities.defined_fields is true; tools that take any field name need none.
    define_field: Callable[[str, FieldKind, tuple[str, ...]], None] | None = None


def full_pull(env: ContractEnv) -> PullResult:
    result = env.connector.pull(env.project_id)
    assert result.snapshot.complete, "a pull without errors must report complete=True"
    return result


def incremental_pull(env: ContractEnv, previous: PullResult, hints: frozenset[str] | None = None) -> PullResult:
    result = env.connector.pull(env.project_id, PullState(cursor=previous.cursor, snapshot=previous.snapshot, hints=hints))
    assert result.snapshot.complete, "an incremental pull without errors must report complete=True"
    return result


def section_id(snapshot: Snapshot, name: str) -> str:
    matches = [s.id for s in snapshot.sections.values() if s.name == name]
    assert matches, f"section {name!r} missing from the pull; have {sorted(s.name for s in snapshot.sections.values())}"
    return matches[0]


def task_fields(connector: Connector, task: Task) -> frozenset[str]:
    """The fields a task must round-trip: a subtask carries only what nested subtasks hold."""
    caps = connector.capabilities
    if task.parent_id is not None and caps.subtask_fields:
        return caps.subtask_fields | {"parent_id"}
    return caps.task_fields


def mapped(task: Task, fields: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(set(fields) - _UNCOMPARED):
        value = getattr(task, name)
        out[name] = sorted(value) if isinstance(value, list) else value
    return out


def assert_task_matches(returned: Task, pulled: Task, fields: Iterable[str]) -> None:
    """A write's result is what the engine records as the new base: it must equal what a pull shows."""
    assert returned.id == pulled.id
    assert mapped(returned, fields) == mapped(pulled, fields), "the write returned a task that differs from the next pull"
    assert returned.url == pulled.url, "the write returned another page than the next pull shows"


def pulled_task(env: ContractEnv, task_id: str) -> Task:
    snapshot = full_pull(env).snapshot
    assert task_id in snapshot.tasks, f"task {task_id} missing from a full pull"
    return snapshot.tasks[task_id]


def view(snapshot: Snapshot, connector: Connector) -> dict[str, Any]:
    """Everything a snapshot says on the fields the tool maps, minus order and version markers."""
    return {
        "sections": {s.id: s.name for s in snapshot.sections.values()},
        "tasks": {t.id: mapped(t, task_fields(connector, t) | {"parent_id"}) | {"url": t.url} for t in snapshot.tasks.values()},
        "comments": {c.id: (c.task_id, c.text, c.author.id if c.author else None) for c in snapshot.comments.values()},
        "attachments": {a.id: (a.task_id, a.name) for a in snapshot.attachments.values()},
    }


def assert_no_secret(message: str, env: ContractEnv) -> None:
    for token in (env.bad_token, *env.tokens):
        if token:
            assert token not in message, "an error message carried a credential"


def removal_modes(connector: Connector) -> list[str]:
    return sorted(connector.capabilities.removal)
