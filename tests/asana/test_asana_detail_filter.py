"""Comments and attachments are read only for the tasks the caller wants (the shared ones), yet never missed."""

from __future__ import annotations

from collections.abc import Collection

from bridge.core.model import Snapshot
from bridge.core.ports import PullState
from connectors.asana import AsanaConnector, Sandbox


class Wanted:
    """A detail filter over task titles, changeable between pulls as a link's rules or access are."""

    def __init__(self, *titles: str) -> None:
        self.titles = set(titles)

    def __call__(self, snapshot: Snapshot) -> Collection[str]:
        return [t.id for t in snapshot.tasks.values() if t.title in self.titles]


def activity_reads(sandbox: Sandbox) -> set[str]:
    """Tasks whose stories or attachments were requested."""
    found = set()
    for r in sandbox.emulator.requests:
        if r.path.endswith("/stories"):
            found.add(r.path.split("/")[2])
        elif r.path == "/attachments":
            found.add(r.query["parent"][0])
    return found


def test_a_full_pull_reads_activity_of_wanted_tasks_only(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    shared = sandbox.add_task(project, "shared", section_id=sections["Backlog"])
    hidden = sandbox.add_task(project, "hidden", section_id=sections["Backlog"])
    sub = sandbox.add_task(project, "shared sub", parent_id=hidden)
    anna.create_comment(project, shared, "#client hello")
    anna.create_comment(project, hidden, "internal only")
    sandbox.emulator.clear_requests()
    result = bridge.pull(project, PullState(detail=Wanted("shared", "shared sub")))
    assert activity_reads(sandbox) == {shared, sub}
    # Subtasks are listed for every parent: whether one is wanted may depend on it.
    assert set(result.snapshot.tasks) == {shared, hidden, sub}
    assert [c.text for c in result.snapshot.comments.values()] == ["#client hello"]


def test_a_task_wanted_later_gets_its_comments_in_the_next_incremental_pull(
    sandbox: Sandbox, project: str, sections: dict[str, str], bridge: AsanaConnector, anna: AsanaConnector
) -> None:
    later = sandbox.add_task(project, "later", section_id=sections["Backlog"])
    anna.create_comment(project, later, "#client written while hidden")
    wanted = Wanted()
    first = bridge.pull(project, PullState(detail=wanted))
    assert first.snapshot.comments == {}
    wanted.titles.add("later")  # e.g. the link's rules now share it: no event in Asana says so
    second = bridge.pull(project, PullState(cursor=first.cursor, snapshot=first.snapshot, detail=wanted))
    assert second.full is False
    assert [c.text for c in second.snapshot.comments.values()] == ["#client written while hidden"]
    sandbox.emulator.clear_requests()
    third = bridge.pull(project, PullState(cursor=second.cursor, snapshot=second.snapshot, detail=wanted))
    assert [r.path for r in sandbox.emulator.requests] == ["/events"]  # read once, then only the feed
    assert third.snapshot == second.snapshot
