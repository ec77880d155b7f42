"""Incremental pulls: what changed since the cursor, from Basecamp's recordings listings.

Basecamp has no sync token. A pull asks, with the ETag of the last answer:

1. ``GET /projects/recordings.json?type=Todo&bucket=P&sort=updated_at&direction=desc``
2. ``GET /todosets/{id}.json`` (lists added, renamed, archived);
3. the same listing as 1 with ``type=Comment``.

No single documented request can stand in for the three: ``type`` takes one
recording type per listing; a recording's ``events.json`` covers that recording
only; the project timeline documents creations and completions (``todo_created``,
``todo_completed``, ``comment_created`` …) but no edit, reopening, move, rename,
archive or trash, so a 304 there would not mean "nothing changed". Neither is a
comment documented to move its to-do's ``updated_at``, nor a list's rename any
to-do's. Which of them a pull asks (docs/daemon.md#webhook-led-polling):

- **Polling** (``PullState.hints`` is None: no webhook serves the side): 1 every
  cycle, 2 with ``poll_sections`` or when 1 changed, 3 with ``poll_comments`` or
  when 1 changed. An unchanged project answers 304 to each: 3 conditional GETs
  with the preset.
- **Webhook-led** (hints given: a delivery has come for this side): the
  listings the deliveries named since the last pull (``connectors/basecamp/
  webhooks.py: HINTS``); when they named none, one listing in turn
  (:data:`ROTATION`), so a delivery that never came is made up for within three
  cycles, at one conditional GET a cycle. When 1 changed, 2 is asked too (a to-do
  may have moved to a new list); when 3 shows a comment on a to-do newer than
  any seen, 1 is asked too (and so 2), before the comment is placed.

When a listing changed, its pages are read until ``updated_at`` falls below the
newest value seen last time minus a margin; each listing item is the full to-do
or comment, so no per-item read is needed.

Removals leave no trace in an ``active`` listing, so the cursor keeps what the
listing's ``X-Total-Count`` should be (what the snapshot holds plus the items
it does not, such as comments on messages, plus new ids above the highest seen).
A total that disagrees means something was archived, trashed or restored: that
listing is then read whole, once (ceil(n/50) requests), and the snapshot rebuilt
from it. Changes by the bridge's own user are applied like anyone's: the
listing holds what the remote holds.

Text is read with the previous snapshot's people (their mention sgids come
from the cursor) plus the people the listing items embed, learnt from all of
a listing's items before any is converted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.core.model import Snapshot
from bridge.core.ports import PullResult, PullState
from connectors.basecamp import translate
from connectors.basecamp.mapping import BasecampMapping
from connectors.basecamp.pull import RECORDINGS, Cursor, Probe, ProjectPull, drop_orphans, held_comments, probe_params
from connectors.basecamp.rest import Page

# The listings a webhook-led pull asks in turn, one a cycle, when no delivery named any.
ROTATION = ("todos", "comments", "sections")


def first_asks(mapping: BasecampMapping, hints: frozenset[str] | None, turn: int) -> tuple[frozenset[str], int]:
    """The listings to ask before any answer is in, and the rotation's next turn."""
    if hints is None:
        polled = {"todos", *(["sections"] if mapping.poll_sections else []), *(["comments"] if mapping.poll_comments else [])}
        return frozenset(polled), turn
    named = hints & frozenset(ROTATION)
    if named:
        return named, turn
    return frozenset({ROTATION[turn % len(ROTATION)]}), turn + 1


class Listings:
    """This cycle's answers to the three probes, each asked at most once."""

    def __init__(self, puller: ProjectPull, project_id: str, cursor: Cursor) -> None:
        self.puller, self.project_id, self.cursor = puller, project_id, cursor
        self.asked: set[str] = set()
        self.todo_page: Page | None = None
        self.comment_page: Page | None = None
        self.sections_changed = False

    def ask(self, kind: str) -> None:
        if kind in self.asked:
            return
        self.asked.add(kind)
        api = self.puller.api
        if kind == "todos":
            self.todo_page = api.page(RECORDINGS, probe_params(self.project_id, "Todo"), etag=self.cursor.todos.etag)
        elif kind == "comments":
            self.comment_page = api.page(RECORDINGS, probe_params(self.project_id, "Comment"), etag=self.cursor.comments.etag)
        else:
            sections = api.conditional(f"todosets/{self.cursor.todoset}.json", etag=self.cursor.sections_etag)
            self.sections_changed = sections is not None
            if sections is not None:
                self.cursor.sections_etag = sections.headers.get("etag")


def incremental(puller: ProjectPull, project_id: str, state: PullState) -> PullResult:
    cursor = Cursor.load(state.cursor)
    if cursor is None or state.snapshot is None or cursor.project != project_id or state.snapshot.project_id != project_id:
        return puller.full(project_id)
    puller.sgids.update(cursor.sgids)
    led = state.hints is not None
    asks, cursor.turn = first_asks(puller.mapping, state.hints, cursor.turn)
    listings = Listings(puller, project_id, cursor)
    for kind in ROTATION:
        if kind in asks:
            listings.ask(kind)
    fresh_comments: list[dict[str, Any]] | None = None
    if listings.comment_page is not None and led and "todos" not in listings.asked:
        fresh_comments = _fresh(puller, listings.comment_page, cursor.comments)
        if _names_new_todo(fresh_comments, cursor.todos.max_id):
            listings.ask("todos")
    if listings.todo_page is not None:
        listings.ask("sections")
        if not led:
            listings.ask("comments")
    if listings.todo_page is None and listings.comment_page is None and not listings.sections_changed:
        # Nothing changed: the same snapshot, with the rotation's turn moved on.
        return PullResult(snapshot=state.snapshot, cursor=cursor.dump() if led else state.cursor, full=False)

    replay = Replay(puller, state.snapshot.model_copy(deep=True), cursor)
    if listings.sections_changed:
        puller.read_sections(replay.snapshot, cursor.todoset)
        drop_orphans(replay.snapshot)
    if listings.todo_page is not None:
        replay.todos(listings.todo_page)
    if listings.comment_page is not None:
        replay.comments(listings.comment_page, fresh_comments)
    drop_orphans(replay.snapshot)
    cursor.sgids = puller.kept_sgids(replay.snapshot)
    return PullResult(snapshot=replay.snapshot, cursor=cursor.dump(), full=False)


def _names_new_todo(comments: list[dict[str, Any]], max_id: int) -> bool:
    """True when a comment sits on a to-do newer than any the to-do listing has shown."""
    for raw in comments:
        if translate.on_todo(raw):
            with translate.shape("a comment"):
                parent = translate.parent_id(raw)
            if parent.isdigit() and int(parent) > max_id:
                return True
    return False

def _fresh(puller: ProjectPull, first: Page, probe: Probe) -> list[dict[str, Any]]:
    """Items updated after the probe's ``since`` minus the margin, newest first, paging as far as needed."""
    margin = dt.timedelta(seconds=puller.mapping.since_margin_seconds)
    since = translate.instant(probe.since)
    horizon = since - margin if since else None
    out: list[dict[str, Any]] = []
    for page in puller.api.pages(first, RECORDINGS):
        for raw in page.items:
            with translate.shape("a recording"):
                stamp = translate.instant(raw.get("updated_at"))
            if horizon is not None and stamp is not None and stamp <= horizon:
                return out
            out.append(raw)
    return out


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [int(raw["id"]) for raw in items if str(raw.get("id", "")).isdigit()]


def rerank(snapshot: Snapshot, sections: set[str | None], fresh: set[str]) -> None:
    """Positions in a list are ranks 1..n: when some to-dos moved, the others' ranks moved too.

    Only the moved (re-read) to-dos carry their new rank; the others kept their order
    among themselves, so they fill the remaining ranks in that order. Lists with groups
    are left alone: each group numbers its own to-dos.
    """
    for section in sections:
        members = [t for t in snapshot.tasks.values() if t.section_id == section and t.parent_id is None]
        moved = {t.position: t.id for t in members if t.id in fresh}
        still = iter(sorted((t for t in members if t.id not in fresh), key=lambda t: (t.position, int(t.id))))
        for rank in range(1, len(members) + 1):
            if rank in moved:
                continue
            task = next(still, None)
            if task is None:
                break
            if task.position != rank:
                snapshot.tasks[task.id] = task.model_copy(update={"position": float(rank)})


class Replay:
    """Applies one cycle's listing items to a copy of the previous snapshot."""

    def __init__(self, puller: ProjectPull, snapshot: Snapshot, cursor: Cursor) -> None:
        self.puller = puller
        self.snapshot = snapshot
        self.cursor = cursor

    def section_for(self, list_id: str) -> str | None:
        """The section a to-do in ``list_id`` belongs to: the list itself, or a group's list."""
        if list_id in self.snapshot.sections:
            return list_id
        if list_id in self.cursor.groups:
            return self.cursor.groups[list_id]
        raw = self.puller.api.obj(f"todolists/{list_id}.json")
        with translate.shape("a to-do list"):
            parent = raw.get("parent") or {}
            if parent.get("type") == "Todolist":
                section = translate.ident(parent["id"])
                self.cursor.groups[list_id] = section
                return section
        return None  # a list the sections do not show (yet): the count check catches it

    def todos(self, first: Page) -> None:
        probe = self.cursor.todos
        fresh = _fresh(self.puller, first, probe)
        readers = self.puller.readers(self.snapshot.people, fresh)
        new_foreign = 0
        touched = {self.snapshot.tasks[t].section_id for t in map(str, _ids(fresh)) if t in self.snapshot.tasks}
        for raw in reversed(fresh):  # oldest first
            with translate.shape("a to-do"):
                todo_id = translate.ident(raw["id"])
                section = self.section_for(translate.parent_id(raw))
            if section is None:
                # A to-do the sections do not show: held no more (if it was), counted as foreign.
                self.snapshot.tasks.pop(todo_id, None)
                new_foreign += int(todo_id) > probe.max_id
                continue
            self.puller.put_task(self.snapshot, raw, section, readers)
            touched.add(section)
        rerank(self.snapshot, touched - {None} - set(self.cursor.groups.values()), {str(i) for i in _ids(fresh)})
        drop_orphans(self.snapshot)
        expected = len(self.snapshot.tasks) + probe.foreign + new_foreign
        self.cursor.todos = Probe.of(first, len(self.snapshot.tasks), max([probe.max_id, *_ids(fresh)]))
        self.cursor.todos.foreign = probe.foreign + new_foreign
        if first.total is not None and first.total != expected:
            self.reread_todos()

    def reread_todos(self, first: Page | None = None) -> None:
        """The whole to-do listing, once: the snapshot's to-dos become exactly what it shows."""
        first = first or self.puller.api.page(RECORDINGS, probe_params(self.snapshot.project_id, "Todo"))
        assert first is not None
        listing = [raw for page in self.puller.api.pages(first, RECORDINGS) for raw in page.items]
        readers = self.puller.readers(self.snapshot.people, listing)
        self.snapshot.tasks.clear()
        foreign, ids = 0, _ids(listing)
        for raw in listing:
            with translate.shape("a to-do"):
                section = self.section_for(translate.parent_id(raw))
            if section is None:
                foreign += 1
            else:
                self.puller.put_task(self.snapshot, raw, section, readers)
        drop_orphans(self.snapshot)
        self.cursor.todos = Probe.of(first, len(self.snapshot.tasks), max([self.cursor.todos.max_id, *ids]))
        self.cursor.todos.foreign = foreign

    def comments(self, first: Page, fresh: list[dict[str, Any]] | None = None) -> None:
        probe = self.cursor.comments
        fresh = _fresh(self.puller, first, probe) if fresh is None else fresh
        readers = self.puller.readers(self.snapshot.people, [raw for raw in fresh if translate.on_todo(raw)])
        new_foreign = 0
        for raw in reversed(fresh):
            if not self.puller.put_comment(self.snapshot, raw, readers):
                with translate.shape("a comment"):
                    new_foreign += int(translate.ident(raw["id"])) > probe.max_id
        drop_orphans(self.snapshot)
        expected = held_comments(self.snapshot) + probe.foreign + new_foreign
        self.cursor.comments = Probe.of(first, held_comments(self.snapshot), max([probe.max_id, *_ids(fresh)]))
        self.cursor.comments.foreign = probe.foreign + new_foreign
        if first.total is not None and first.total != expected:
            listed, listing = self.puller.comment_listing(self.snapshot.project_id)
            readers = self.puller.readers(self.snapshot.people, [raw for raw in listing if translate.on_todo(raw)])
            self.cursor.comments = self.puller.hold_comments(self.snapshot, listed, listing, readers)
