"""Archived and trashed to-dos: read only when one can matter, so a mirrored to-do is restored, not duplicated.

The active listings the pulls read never show a to-do the client archived or
trashed, so without this a mirrored to-do simply vanishes and the planner
creates a new one every time (issue 10). What this module reads, and when:

- full pull: ``projects/recordings.json?type=Todo&bucket=P&status=archived`` and
  the same with ``status=trashed`` (recordings.md): 2 requests (more only past 50
  such to-dos each), whatever the number of lists; reading each list's
  ``todos.json?status=…`` would cost 2 per list;
- incremental pull: nothing while every to-do the last snapshot held is still
  listed, so an idle or ordinary cycle costs what it did. A to-do that left the
  active listing while its list stayed is looked up: ``GET /todos/{id}.json`` for
  up to :data:`PER_ID_READS` of them (its ``status`` says archived or trashed;
  after a 404 the status listings decide), the two status listings beyond that.

A to-do counts as archived only while its list is an active section: one in an
archived list comes back with its list, not on its own. Its comments are not
held (Basecamp's active comment listing hides them too); they come back with the
to-do, and the planner leaves them alone meanwhile. The restore is
``PUT /recordings/{id}/status/active.json``, for an archived and a trashed to-do
alike. Basecamp empties the trash after 30 days; a to-do purged from it is gone
and is mirrored anew.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bridge.core.model import Snapshot
from bridge.core.ports import PullResult, PullState
from bridge.errors import NotFound
from connectors.basecamp import translate
from connectors.basecamp.pull import RECORDINGS, Cursor, ProjectPull

STATUSES = ("archived", "trashed")
# Up to this many vanished to-dos, one GET each costs no more than the two status listings.
PER_ID_READS = 2


def read_archived(puller: ProjectPull, result: PullResult, state: PullState | None) -> None:
    """Fill ``result.snapshot.archived``: anew on a full pull, for the to-dos that left the listing otherwise."""
    snapshot = result.snapshot
    if state is not None and snapshot is state.snapshot:
        return  # nothing changed (the idle cycle): not a request more
    cursor = Cursor.load(result.cursor)
    groups = cursor.groups if cursor is not None else {}
    if result.full or state is None or state.snapshot is None:
        snapshot.archived.clear()
        hold(puller, snapshot, groups, listed(puller, snapshot.project_id))
        return
    settle(snapshot)
    gone = [t.id for t in state.snapshot.tasks.values()
            if t.id not in snapshot.tasks and t.section_id in snapshot.sections]
    if gone:
        hold(puller, snapshot, groups, looked_up(puller, snapshot.project_id, gone))


def section_of(snapshot: Snapshot, groups: Mapping[str, str], raw: dict[str, Any]) -> str | None:
    """The active section an archived to-do's list is (or whose group it sits in); None otherwise."""
    with translate.shape("a to-do"):
        list_id = translate.parent_id(raw)
    if list_id in snapshot.sections:
        return list_id
    section = groups.get(list_id)
    return section if section in snapshot.sections else None


def listed(puller: ProjectPull, project_id: str) -> list[dict[str, Any]]:
    """Every archived and trashed to-do of the project, from the two status listings."""
    out: list[dict[str, Any]] = []
    for status in STATUSES:
        out += puller.api.many(RECORDINGS, {"type": "Todo", "bucket": project_id, "status": status})
    return out


def looked_up(puller: ProjectPull, project_id: str, ids: Collection[str]) -> list[dict[str, Any]]:
    """The archived or trashed ones among ``ids`` (to-dos that left the active listing)."""
    if len(ids) > PER_ID_READS:
        return [raw for raw in listed(puller, project_id) if str(raw.get("id")) in ids]
    found: list[dict[str, Any]] = []
    unseen: set[str] = set()
    for todo_id in sorted(ids):
        try:
            raw = puller.api.obj(f"todos/{todo_id}.json")
        except NotFound:
            unseen.add(todo_id)
            continue
        if raw.get("status") in STATUSES:
            found.append(raw)
    if unseen:
        # Purged, moved out of reach, or a trashed to-do Basecamp does not answer for
        # (recordings.md does not say): the status listings tell, at a rare 2 requests.
        found += [raw for raw in listed(puller, project_id) if str(raw.get("id")) in unseen]
    return found


def hold(puller: ProjectPull, snapshot: Snapshot, groups: Mapping[str, str], raws: list[dict[str, Any]]) -> None:
    """Put the archived to-dos among ``raws`` whose list is an active section into ``snapshot.archived``."""
    readers = puller.readers(snapshot.people, raws)
    for raw in raws:
        section = section_of(snapshot, groups, raw)
        if section is None:
            continue
        with translate.shape("a to-do"):
            task = translate.task(raw, section, readers)
        if task.id not in snapshot.tasks:
            snapshot.archived[task.id] = task
            puller.remember(raw)


def settle(snapshot: Snapshot) -> None:
    """Archived to-dos back in the active listing, or whose list is gone, are archived no more."""
    for task_id in [t.id for t in snapshot.archived.values() if t.id in snapshot.tasks or t.section_id not in snapshot.sections]:
        del snapshot.archived[task_id]
