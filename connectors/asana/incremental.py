"""Incremental pull: apply the project's /events since the sync token to a copy of the last snapshot.

The events only say *what* changed (a task, a story, a section...), never the
new state, so this decides the fewest reads that bring the snapshot up to
date: the changed tasks, the stories or attachments of tasks whose activity
changed, the section list when sections changed, and the task order of
sections that gained a task. Changed tasks are read together where Asana
allows: one ``GET /tasks?project=&modified_since=`` listing (a request per
100 tasks, each counted once against the rate limit, where the batch API
would count every action) and one subtask listing per parent with several
changed subtasks; only what those miss is read one task at a time. Events caused by the connector's own user about
items the snapshot already holds are skipped: the engine already applied
those writes from their responses; all but the order, since a task added to
a section moves the index of every task after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bridge.core.model import Snapshot, Task
from connectors.asana.reader import PAGE, AsanaReader
from connectors.asana.translate import (
    COMMENT,
    Change,
    comment_from_story,
    gid_of,
    in_project,
    num_subtasks,
    task_from_payload,
)

# Past this many changed tasks that no listing returned, a full pull is cheaper than one GET per task.
MAX_REFETCH = 50
# An event's created_at and its task's modified_at may be stamped a moment apart; listing from a
# little earlier costs only payload, and a task the listing still misses is read on its own.
LISTING_MARGIN = dt.timedelta(seconds=5)
ATTACHMENT_STORY = "attachment_added"


@dataclass
class Plan:
    refetch: dict[str, None] = field(default_factory=dict)  # an ordered set of task gids
    dropped: set[str] = field(default_factory=set)
    stories: set[str] = field(default_factory=set)  # tasks whose comments are re-read
    probe: dict[str, set[str]] = field(default_factory=dict)  # task -> stories of unknown subtype
    attachments: set[str] = field(default_factory=set)
    dropped_comments: set[str] = field(default_factory=set)
    dropped_attachments: set[str] = field(default_factory=set)
    sections: bool = False
    dropped_sections: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)  # sections whose task order is re-read
    since: str | None = None  # modified_since for listing the changed tasks; None: no listing
    # Tasks whose events show their modified_at moved, so that listing finds them: changed, added to a
    # project or a parent, or given a story (the reference on modified_since); a move inside a section is not.
    modified: set[str] = field(default_factory=set)


def make_plan(changes: list[Change], previous: Snapshot, project_id: str, own: str | None) -> Plan:
    plan = Plan()
    plan.since = _listing_start([c.at for c in changes if c.kind == "task"])
    for change in changes:
        if change.kind == "task" and (change.action == "changed" or change.parent_kind in ("project", "task")):
            plan.modified.add(change.gid)
        elif change.kind == "story" and change.parent_kind == "task" and change.parent:
            plan.modified.add(change.parent)
    for change in changes:
        mine = own is not None and change.user == own
        if change.kind == "task":
            _plan_task(plan, change, previous, project_id, mine)
        elif change.kind == "section":
            if change.action == "deleted":
                plan.dropped_sections.add(change.gid)
            elif not (mine and change.gid in previous.sections):
                plan.sections = True
        elif change.kind == "story":
            _plan_story(plan, change, previous, mine)
        elif change.kind == "attachment":
            if change.action in ("deleted", "removed"):
                plan.dropped_attachments.add(change.gid)
                continue
            known = previous.attachments.get(change.gid)
            if mine and known is not None:
                continue
            task = change.parent if change.parent_kind == "task" else (known.task_id if known else None)
            if task:
                plan.attachments.add(task)
    return plan


def _listing_start(times: list[str | None]) -> str | None:
    """The earliest event time less the margin, as Asana writes date-times; None if one is missing."""
    instants = []
    for text in times:
        try:
            instant = dt.datetime.fromisoformat(text or "")
        except ValueError:
            return None
        instants.append(instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC))
    if not instants:
        return None
    start = (min(instants) - LISTING_MARGIN).astimezone(dt.UTC)
    return start.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plan_task(plan: Plan, change: Change, previous: Snapshot, project_id: str, mine: bool) -> None:
    if change.action == "deleted" or (
        change.action == "removed" and change.parent_kind == "project" and change.parent == project_id
    ):
        plan.dropped.add(change.gid)
        plan.refetch.pop(change.gid, None)
        return
    if change.action == "added" and change.parent_kind == "section" and change.parent:
        # Even our own: a task added or moved shifts every index after it, which no write response tells.
        plan.orders.add(change.parent)
    if mine and change.gid in previous.tasks and change.gid not in plan.dropped:
        return
    plan.dropped.discard(change.gid)
    plan.refetch[change.gid] = None


def _plan_story(plan: Plan, change: Change, previous: Snapshot, mine: bool) -> None:
    known = previous.comments.get(change.gid)
    if change.action in ("removed", "deleted"):
        plan.dropped_comments.add(change.gid)
        return
    task = change.parent if change.parent_kind == "task" else (known.task_id if known else None)
    subtype = COMMENT if change.subtype is None and known is not None else change.subtype
    if task is None or subtype not in (None, COMMENT, ATTACHMENT_STORY):
        return  # system stories (moves, renames...) come with their own task events
    if subtype == COMMENT:
        if not (mine and known is not None):
            plan.stories.add(task)
    elif subtype == ATTACHMENT_STORY:
        plan.attachments.add(task)
    else:
        # Subtype not reported: read the stories, and the attachments if one was attached.
        plan.stories.add(task)
        plan.probe.setdefault(task, set()).add(change.gid)


class Incremental:
    """Applies one batch of changes; ``apply`` returns None when a full pull is the better deal."""

    def __init__(self, reader: AsanaReader, previous: Snapshot, workspace: str, own: str | None) -> None:
        self.reader = reader
        self.previous = previous
        self.project_id = previous.project_id
        self.workspace = workspace
        self.own = own
        self.seen_people: set[str] = set()

    def apply(self, changes: list[Change]) -> Snapshot | None:
        plan = make_plan(changes, self.previous, self.project_id, self.own)
        raws = self._current(plan)
        if raws is None:
            return None
        snap = self.previous.model_copy(deep=True)
        if plan.sections:
            snap.sections = {s.id: s for s in self.reader.sections(self.project_id)}
        for gid in plan.dropped_sections:
            snap.sections.pop(gid, None)
        reindex: set[tuple[str, str | None]] = set()  # ("section", id) or ("parent", id) groups to renumber
        self._place(snap, plan, raws, reindex)
        self._drop(snap, plan, reindex)
        self._activity(snap, plan)
        self._order(snap, plan, reindex)
        self._people(snap)
        return snap

    # -- tasks ------------------------------------------------------------------------------

    def _current(self, plan: Plan) -> dict[str, dict[str, Any] | None] | None:
        """Each changed task's state now (None: deleted), or None when a full pull is the better deal."""
        gids = list(plan.refetch)
        wanted = set(gids)
        found: dict[str, dict[str, Any] | None] = {}
        known = self.previous.tasks
        # Subtasks are not project members, so the project listing pays off for two others or more.
        listable = [g for g in gids if g in plan.modified and (g not in known or known[g].parent_id is None)]
        if len(listable) > 1 and plan.since is not None:
            # Stop at the page that holds the last of them, and before the listing costs more pages
            # than the GETs it saves.
            pending, most = set(listable), (len(listable) - 1) * PAGE
            for count, raw in enumerate(self.reader.modified_tasks(self.project_id, plan.since), start=1):
                if (gid := gid_of(raw, "task")) in wanted:
                    found[gid] = raw
                    pending.discard(gid)
                if not pending or count >= most:
                    break
        parents: dict[str, int] = {}
        for gid in gids:
            parent = known[gid].parent_id if gid not in found and gid in known else None
            if parent is not None:
                parents[parent] = parents.get(parent, 0) + 1
        shared = sorted(p for p, count in parents.items() if count > 1)
        for listing in self.reader.parallel(self.reader.subtask_payloads, shared):
            for raw in listing:
                if (gid := gid_of(raw, "task")) in wanted and gid not in found:
                    found[gid] = raw
        rest = [g for g in gids if g not in found]
        if len(rest) > MAX_REFETCH:
            return None
        found.update(zip(rest, self.reader.parallel(self.reader.task, rest), strict=True))
        return {gid: found[gid] for gid in gids}

    def _place(
        self, snap: Snapshot, plan: Plan, raws: dict[str, dict[str, Any] | None], reindex: set[tuple[str, str | None]]
    ) -> None:
        members = {g for g, raw in raws.items() if raw is not None and in_project(raw, self.project_id)}
        listed = {t.id for t in snap.tasks.values() if t.parent_id is None} | members
        placed: dict[str, tuple[Task, dict[str, Any]]] = {}
        for gid, raw in raws.items():
            if raw is None:
                plan.dropped.add(gid)
                continue
            task = task_from_payload(raw, self.project_id, people=snap.people)
            if gid in members and task.parent_id not in listed:
                placed[gid] = (task.model_copy(update={"parent_id": None}), raw)
        tops = {t.id for t in snap.tasks.values() if t.parent_id is None and t.id not in plan.dropped} | set(placed)
        for gid, raw in raws.items():
            if raw is None or gid in placed:
                continue
            task = task_from_payload(raw, self.project_id, people=snap.people)
            if task.parent_id in tops:
                placed[gid] = (task.model_copy(update={"section_id": None}), raw)
            else:
                plan.dropped.add(gid)  # it left the project (or nests deeper than Asana subtasks we mirror)
        fetch_subtasks = []
        for gid, (task, raw) in placed.items():
            old = snap.tasks.get(gid)
            self.seen_people.update(task.assignees)
            snap.tasks[gid] = self._positioned(snap, task, old, plan, reindex)
            if old is None:
                plan.stories.add(gid)
                plan.attachments.add(gid)
                if task.parent_id is None and num_subtasks(raw) > 0:
                    fetch_subtasks.append(gid)
        for subtasks in self.reader.parallel(self.reader.subtasks, fetch_subtasks):
            for sub in subtasks:
                known = snap.tasks.get(sub.id)
                if known is not None:  # also changed itself: keep that read, take the listing's order
                    snap.tasks[sub.id] = known.model_copy(update={"position": sub.position})
                    continue
                self.seen_people.update(sub.assignees)
                snap.tasks[sub.id] = sub.model_copy(update={"section_id": None})
                plan.stories.add(sub.id)
                plan.attachments.add(sub.id)

    def _positioned(self, snap: Snapshot, task: Task, old: Task | None, plan: Plan, reindex: set[tuple[str, str | None]]) -> Task:
        if old is not None and old.parent_id is None and (task.parent_id is not None or old.section_id != task.section_id):
            reindex.add(("section", old.section_id))
        if old is not None and old.parent_id is not None and old.parent_id != task.parent_id:
            reindex.add(("parent", old.parent_id))
        if task.parent_id is None:
            if old is not None and old.parent_id is None and old.section_id == task.section_id:
                return task.model_copy(update={"position": old.position})
            if task.section_id:
                plan.orders.add(task.section_id)
            return task
        if old is not None and old.parent_id == task.parent_id:
            return task.model_copy(update={"position": old.position})
        siblings = [t.position for t in snap.tasks.values() if t.parent_id == task.parent_id and t.id != task.id]
        # Asana appends a new subtask after its siblings.
        return task.model_copy(update={"position": max(siblings, default=-1.0) + 1})

    def _drop(self, snap: Snapshot, plan: Plan, reindex: set[tuple[str, str | None]]) -> None:
        gone = {gid for gid in plan.dropped if gid in snap.tasks}
        gone |= {t.id for t in snap.tasks.values() if t.parent_id in gone}
        for gid in gone:
            task = snap.tasks.pop(gid)
            reindex.add(("section", task.section_id) if task.parent_id is None else ("parent", task.parent_id))
        snap.comments = {k: c for k, c in snap.comments.items() if c.task_id not in gone and k not in plan.dropped_comments}
        snap.attachments = {
            k: a for k, a in snap.attachments.items() if a.task_id not in gone and k not in plan.dropped_attachments
        }

    # -- comments and attachments -------------------------------------------------------------

    def _activity(self, snap: Snapshot, plan: Plan) -> None:
        reader = self.reader
        story_tasks = sorted(t for t in plan.stories if t in snap.tasks)
        for task_id, stories in zip(story_tasks, reader.parallel(reader.stories, story_tasks), strict=True):
            snap.comments = {k: c for k, c in snap.comments.items() if c.task_id != task_id}
            for story in stories:
                comment = comment_from_story(story, task_id, snap.people)
                if comment is not None:
                    snap.comments[comment.id] = comment
                    self.seen_people.update([comment.author.id] if comment.author else [])
                elif story.get("gid") in plan.probe.get(task_id, set()) and story.get("resource_subtype") == ATTACHMENT_STORY:
                    plan.attachments.add(task_id)
        attachment_tasks = sorted(t for t in plan.attachments if t in snap.tasks)
        for task_id, attachments in zip(attachment_tasks, reader.parallel(reader.attachments, attachment_tasks), strict=True):
            snap.attachments = {k: a for k, a in snap.attachments.items() if a.task_id != task_id}
            snap.attachments.update({a.id: a for a in attachments})

    # -- positions and people -----------------------------------------------------------------

    def _order(self, snap: Snapshot, plan: Plan, reindex: set[tuple[str, str | None]]) -> None:
        sections = sorted(s for s in plan.orders if s in snap.sections)
        for section, order in zip(sections, self.reader.parallel(self.reader.section_order, sections), strict=True):
            index = 0
            for gid in order:
                task = snap.tasks.get(gid)
                if task is not None and task.parent_id is None and task.section_id == section:
                    snap.tasks[gid] = task.model_copy(update={"position": float(index)})
                    index += 1
        for kind, key in reindex - {("section", s) for s in sections}:
            if kind == "section":
                group = [t for t in snap.tasks.values() if t.parent_id is None and t.section_id == key]
            else:
                group = [t for t in snap.tasks.values() if t.parent_id == key]
            for index, task in enumerate(sorted(group, key=lambda t: t.position)):
                snap.tasks[task.id] = task.model_copy(update={"position": float(index)})

    def _people(self, snap: Snapshot) -> None:
        # Only people named by what this pass read: someone unknown may have joined the workspace.
        if self.seen_people - set(snap.people):
            snap.people = self.reader.people(self.workspace)
            for key, comment in snap.comments.items():
                if comment.author is not None and comment.author.id in snap.people:
                    snap.comments[key] = comment.model_copy(update={"author": snap.people[comment.author.id]})
