"""Full pulls: what a Basecamp project becomes in a canonical snapshot, and what it costs."""

from __future__ import annotations

import datetime as dt

from bridge.clock import VirtualClock
from bridge.core.ports import PullState
from connectors.basecamp import BasecampConnector, BasecampEmulator, BasecampSandbox

from .conftest import Raw


def test_full_pull_maps_lists_todos_comments_attachments_and_people(
    sandbox: BasecampSandbox, project: str, raw: Raw, bot: BasecampConnector
) -> None:
    anna = sandbox.user_ids["human"]
    lists = raw.lists(project)
    first, second = lists[0]["id"], lists[1]["id"]
    todo = raw.json("POST", f"todolists/{first}/todos.json", json={
        "content": "Write the copy", "description": "<div>Two <strong>pages</strong></div>", "assignee_ids": [int(anna)],
        "due_on": "2031-05-20", "starts_on": "2031-05-02"})
    done = raw.json("POST", f"todolists/{second}/todos.json", json={"content": "Kickoff"})
    raw("POST", f"todos/{done['id']}/completion.json")
    gone = raw.json("POST", f"todolists/{second}/todos.json", json={"content": "Trashed"})
    raw("PUT", f"recordings/{gone['id']}/status/trashed.json")
    group = raw.json("POST", f"todolists/{second}/groups.json", json={"name": "Phase 2"})
    grouped = raw.json("POST", f"todolists/{group['id']}/todos.json", json={"content": "Inside a group"})
    comment = raw.json("POST", f"recordings/{todo['id']}/comments.json", json={"content": "<div>Looks <em>good</em></div>"})
    link = raw.json("POST", f"recordings/{todo['id']}/comments.json",
                    json={"content": '<div>\N{PAPERCLIP} <a href="https://files.example/spec.pdf">Spec v3</a></div>'})
    on_list = raw.json("POST", f"recordings/{first}/comments.json", json={"content": "<div>About the list</div>"})

    result = bot.pull(project)
    snap = result.snapshot
    assert result.full and result.cursor and snap.complete
    assert snap.project_name == "Website relaunch"
    assert [s.name for s in sorted(snap.sections.values(), key=lambda s: s.position)] == ["To do", "Doing", "Done"]
    task = snap.tasks[str(todo["id"])]
    assert (task.title, task.notes, task.done, task.section_id) == ("Write the copy", "Two **pages**", False, str(first))
    assert (task.due, task.start, task.assignees) == (dt.date(2031, 5, 20), dt.date(2031, 5, 2), [anna])
    assert snap.tasks[str(done["id"])].done is True
    assert str(gone["id"]) not in snap.tasks
    assert snap.tasks[str(grouped["id"])].section_id == str(second), "a grouped to-do belongs to the group's list"
    assert snap.comments[str(comment["id"])].text == "Looks *good*"
    assert snap.comments[str(comment["id"])].author is not None
    assert str(link["id"]) not in snap.comments
    attachment = snap.attachments[str(link["id"])]
    assert (attachment.task_id, attachment.name, attachment.url) == (str(todo["id"]), "Spec v3", "https://files.example/spec.pdf")
    assert str(on_list["id"]) not in snap.comments, "only comments on to-dos are kept"
    assert set(sandbox.user_ids.values()) <= set(snap.people)
    assert snap.people[anna].email == "anna@agency.example"


def _seed(raw: Raw, clock: VirtualClock, project: str, todos: int, comments: int) -> None:
    """``todos`` to-dos over the project's lists, 30% done, and ``comments`` comments, written over time."""
    lists = [x["id"] for x in raw.lists(project)]
    created = []
    for n in range(todos):
        clock.advance(0.5)
        todo = raw.json("POST", f"todolists/{lists[n % len(lists)]}/todos.json", json={"content": f"Task {n}"})
        created.append(todo["id"])
        if (n // 5) % 10 < 3:  # 30% of each list
            raw("POST", f"todos/{todo['id']}/completion.json")
    for n in range(comments):
        clock.advance(0.5)
        raw.json("POST", f"recordings/{created[n * 3 % len(created)]}/comments.json", json={"content": f"<div>Note {n}</div>"})


def test_request_counts_for_a_thousand_todos(clock: VirtualClock) -> None:
    emulator = BasecampEmulator(clock=clock, rate_limit=False)
    sandbox = BasecampSandbox(emulator, clock=clock)
    project = sandbox.create_project("Big", ["Backlog", "Design", "Build", "Review", "Shipped"])
    raw = Raw(emulator, "tok-anna-0002")
    _seed(raw, clock, project, 1000, 200)
    emulator.limit = (50.0, 10.0)  # the connector must stay under Basecamp's limit on its own
    emulator.clear_requests()
    bot = sandbox.connector("bridge")
    assert isinstance(bot, BasecampConnector)
    first = bot.pull(project)
    assert len(first.snapshot.tasks) == 1000 and len(first.snapshot.comments) == 200
    # 1 project + 1 to-do set + 1 to-do probe + 1 list page + 5 lists x (3 open + 2 done pages) + 4 comment pages
    # + 1 people + the archived and the trashed to-dos (1 page each, connectors/basecamp/archived.py).
    assert bot.stats.reads == 36 and bot.stats.writes == 0, bot.stats.by_route
    assert all(r.status < 400 for r in emulator.requests), "no 429 from Basecamp's 50 per 10 s"
    print(f"\nfirst pull of 1,000 to-dos and 200 comments: {bot.stats.reads} requests, "
          f"{sum(bot.stats.by_route.get(k, 0) for k in bot.stats.by_route if 'todos.json' in k)} of them to-do pages")

    bot.stats.reset()
    quiet = bot.pull(project, PullState(cursor=first.cursor, snapshot=first.snapshot))
    assert (bot.stats.reads, bot.stats.not_modified) == (3, 3) and quiet.snapshot == first.snapshot
    assert [r.status for r in emulator.requests[-3:]] == [304, 304, 304]
    print(f"no-change cycle: {bot.stats.reads} conditional requests, all answered 304")

    clock.advance(60)
    anna = sandbox.connector("human")
    target = first.snapshot.tasks[sorted(first.snapshot.tasks)[500]]
    anna.update_task(project, target, {"title": "Renamed by Anna"})
    bot.stats.reset()
    changed = bot.pull(project, PullState(cursor=quiet.cursor, snapshot=quiet.snapshot))
    assert changed.snapshot.tasks[target.id].title == "Renamed by Anna"
    assert bot.stats.reads == 3, "one page of the to-do listing, and two 304s"
    print(f"cycle with one edited to-do: {bot.stats.reads} requests")
    bot.close()
    anna.close()
