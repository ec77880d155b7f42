"""A connector to the in-memory tool: the Connector protocol with no HTTP in between.

It is the fake the planner's property tests run thousands of cycles against,
so it keeps the contract exactly (one read for a quiet incremental pull,
writes returning what the next pull shows) while staying cheap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from bridge.core.model import Attachment, Comment, Section, Task
from bridge.core.ports import TASK_FIELDS, Capabilities, CheckResult, Download, NewTask, PullResult, PullState, Removal
from bridge.errors import Invalid
from bridge.http.client import RequestStats
from connectors.memory.world import MemoryWorld

T = TypeVar("T")

CAPABILITIES = Capabilities(
    tool="memory",
    task_fields=TASK_FIELDS,
    subtask_fields=TASK_FIELDS,
    nested_depth=1,
    comments=True,
    edit_comments=True,
    attachments="file",
    file_limit=100 * 1024 * 1024,
    removal=frozenset({"archive", "delete"}),
    custom_fields=True,
    defined_fields=False,  # any field name, as the memory tool stores what it is given
)

_CURSOR_PREFIX = "log:"


class MemoryConnector:
    """One user's connection to a :class:`MemoryWorld`; ``user_id`` None stands for a refused token."""

    capabilities = CAPABILITIES

    def __init__(self, name: str, world: MemoryWorld, user_id: str | None) -> None:
        self.name = name
        self.world = world
        self.user_id = user_id
        self.stats = RequestStats()

    def close(self) -> None:
        """Nothing to release: there is no connection."""

    # -- reading ----------------------------------------------------------

    def check(self, project_id: str) -> CheckResult:
        def action(user: str, lagging: bool) -> CheckResult:
            project = self.world.project(user, project_id)
            return CheckResult(user=self.world.store.users[user].name, project_name=project.name)

        return self._call("check", {"project_id": project_id}, action, write=False)

    def pull(self, project_id: str, state: PullState | None = None) -> PullResult:
        def action(user: str, lagging: bool) -> PullResult:
            self.world.project(user, project_id)
            store = self.world.store
            upto = store.head
            if lagging:  # the listing still shows the project as this user last saw it
                upto = min(upto, self.world.last_pull.get((user, project_id), max(0, upto - 1)))
            self.world.last_pull[(user, project_id)] = upto
            since = _cursor_position(state, project_id, store.head)
            if state is None or state.snapshot is None or since is None:
                return PullResult(snapshot=store.snapshot(self.name, project_id, upto), cursor=_cursor(upto), full=True)
            if since >= upto:
                return PullResult(snapshot=state.snapshot, cursor=state.cursor, full=False)
            changes = store.changes(project_id, since, upto)
            snapshot = store.apply(state.snapshot, changes, upto) if changes else state.snapshot
            return PullResult(snapshot=snapshot, cursor=_cursor(upto), full=False)

        return self._call("pull", {"project_id": project_id, "cursor": state.cursor if state else None}, action, write=False)

    # -- sections ---------------------------------------------------------

    def create_section(self, project_id: str, name: str) -> Section:
        return self._write(
            "create_section", project_id, {"name": name}, lambda u: self.world.op_create_section(u, project_id, name)
        )

    def update_section(self, project_id: str, section: Section, name: str) -> Section:
        return self._write(
            "update_section",
            project_id,
            {"section_id": section.id, "name": name},
            lambda u: self.world.op_update_section(u, project_id, section.id, name),
        )

    def remove_section(self, project_id: str, section: Section, mode: Removal) -> None:
        self._write(
            "remove_section",
            project_id,
            {"section_id": section.id, "mode": mode},
            lambda u: self.world.op_remove_section(u, project_id, section.id, mode),
        )

    # -- tasks ------------------------------------------------------------

    def create_task(self, project_id: str, task: NewTask) -> Task:
        return self._write(
            "create_task", project_id, task.model_dump(mode="json"), lambda u: self.world.op_create_task(u, project_id, task)
        )

    def update_task(self, project_id: str, current: Task, changes: dict[str, Any]) -> Task:
        payload = {"task_id": current.id, "changes": _plain(changes)}
        return self._write(
            "update_task", project_id, payload, lambda u: self.world.op_update_task(u, project_id, current.id, changes)
        )

    def remove_task(self, project_id: str, task: Task, mode: Removal) -> None:
        self._write(
            "remove_task",
            project_id,
            {"task_id": task.id, "mode": mode},
            lambda u: self.world.op_remove_task(u, project_id, task.id, mode),
        )

    # -- comments and attachments -------------------------------------------

    def create_comment(self, project_id: str, task_id: str, text: str) -> Comment:
        return self._write(
            "create_comment",
            project_id,
            {"task_id": task_id, "text": text},
            lambda u: self.world.op_create_comment(u, project_id, task_id, text),
        )

    def update_comment(self, project_id: str, comment: Comment, text: str) -> Comment:
        return self._write(
            "update_comment",
            project_id,
            {"comment_id": comment.id, "text": text},
            lambda u: self.world.op_update_comment(u, project_id, comment.id, text),
        )

    def remove_comment(self, project_id: str, comment: Comment) -> None:
        self._write(
            "remove_comment",
            project_id,
            {"comment_id": comment.id},
            lambda u: self.world.op_remove_comment(u, project_id, comment.id),
        )

    def create_attachment(self, project_id: str, task_id: str, name: str, url: str) -> Attachment:
        return self._write(
            "create_attachment",
            project_id,
            {"task_id": task_id, "name": name, "url": url},
            lambda u: self.world.op_create_attachment(u, project_id, task_id, name, url),
        )

    def remove_attachment(self, project_id: str, attachment: Attachment) -> None:
        self._write(
            "remove_attachment",
            project_id,
            {"attachment_id": attachment.id},
            lambda u: self.world.op_remove_attachment(u, project_id, attachment.id),
        )

    # -- files (bridge/core/ports.py FileTransfer) ------------------------------

    @contextlib.contextmanager
    def open_download(self, project_id: str, attachment: Attachment) -> Iterator[Download]:
        content, content_type = self._call(
            "download_attachment", {"project_id": project_id, "attachment_id": attachment.id},
            lambda u, lagging: self.world.op_file(project_id, attachment.id), write=False,
        )
        yield Download(len(content), content_type, (content[i : i + 65536] for i in range(0, len(content), 65536)))

    def upload_attachment(self, project_id: str, task_id: str, name: str, chunks: Iterable[bytes], size: int,
                          content_type: str) -> Attachment:
        content = b"".join(chunks)  # an in-memory tool: its files live in memory
        if len(content) != size:
            raise Invalid(f"memory: the upload announced {size} bytes but sent {len(content)}", status=400)
        return self._write(
            "upload_attachment",
            project_id,
            {"task_id": task_id, "name": name, "size": size},
            lambda u: self.world.op_upload_attachment(u, project_id, task_id, name, content, content_type),
        )

    # -- one call -------------------------------------------------------

    def _write(self, op: str, project_id: str, payload: dict[str, Any], apply: Callable[[str], T]) -> T:
        def action(user: str, lagging: bool) -> T:
            self.world.project(user, project_id)
            return apply(user)

        return self._call(op, {"project_id": project_id, **payload}, action, write=True)

    def _call(self, op: str, payload: dict[str, Any], action: Callable[[str, bool], T], *, write: bool) -> T:
        # Counted like HTTP requests (reads vs writes) so cost invariants read the same numbers for every tool.
        self.stats.count("POST" if write else "GET", op)
        return self.world.serve(op, self.user_id, payload, action)


def _cursor(seq: int) -> str:
    return f"{_CURSOR_PREFIX}{seq}"


def _cursor_position(state: PullState | None, project_id: str, head: int) -> int | None:
    """The log position a cursor names, or None when it can't be trusted (then the pull is full)."""
    if state is None or state.cursor is None or state.snapshot is None or state.snapshot.project_id != project_id:
        return None
    if not state.cursor.startswith(_CURSOR_PREFIX):
        return None
    try:
        seq = int(state.cursor[len(_CURSOR_PREFIX) :])
    except ValueError:
        return None
    return seq if 0 <= seq <= head else None


def _plain(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes as the tool would receive them on the wire: dates as ISO strings, lists as lists."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out
