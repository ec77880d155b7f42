"""Pulling one Basecamp project into a canonical snapshot: the full pull and the cursor it leaves.

Full pull (requests for L lists, T to-dos of which D done, C comments in the
project, P people; pages are 50 long):
``GET /projects/{id}.json`` + ``GET /todosets/{id}.json`` (primes the section
probe) + 1 to-do probe (``/projects/recordings.json?type=Todo`` page 1) +
ceil(L/50) list pages + per list max(1, ceil(open/50)) + max(1, ceil(done/50))
to-do pages + max(1, ceil(C/50)) comment pages (the comment probe is its first
page) + ceil(P/50) people pages. List groups cost 1 request per list, and 2 per
group, only when the probe's ``X-Total-Count`` says some to-dos sit in groups.
The connector then reads the archived and trashed to-dos: max(1, ceil(n/50))
pages per status (archived.py).

Probes are read *before* the data they guard, so a change landing during the
pull is read again next time rather than lost. Text is converted only once
every answer is in, so the people it can mention (the project's, and those the
to-dos and comments embed) are all known; their ``attachable_sgid`` rides in
the cursor, so an incremental pull after a restart still knows them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bridge.core.model import Attachment, Comment, Person, Snapshot, Task
from bridge.core.ports import PullResult
from bridge.errors import Invalid
from bridge.richtext import People
from connectors.basecamp import translate
from connectors.basecamp.mapping import BasecampMapping
from connectors.basecamp.rest import BasecampApi, Page

CURSOR_VERSION = 1
RECORDINGS = "projects/recordings.json"


def probe_params(project_id: str, kind: str) -> dict[str, str]:
    return {"type": kind, "bucket": project_id, "sort": "updated_at", "direction": "desc"}


@dataclass
class Probe:
    """Where one recordings listing stood: its ETag, the newest ``updated_at``, the highest id, and
    how many items it counts that the snapshot does not hold (comments on messages, say)."""

    etag: str | None = None
    since: str | None = None
    max_id: int = 0
    foreign: int = 0

    @classmethod
    def of(cls, page: Page, held: int, max_id: int = 0) -> Probe:
        stamps = [str(i.get("updated_at")) for i in page.items if i.get("updated_at")]
        ids = [int(i["id"]) for i in page.items if str(i.get("id", "")).isdigit()]
        total = page.total if page.total is not None else held
        return cls(etag=page.etag, since=max(stamps, default=None), max_id=max([max_id, *ids]),
                   foreign=max(0, total - held))


@dataclass
class Cursor:
    project: str
    todoset: str
    sections_etag: str | None = None
    todos: Probe = field(default_factory=Probe)
    comments: Probe = field(default_factory=Probe)
    groups: dict[str, str] = field(default_factory=dict)  # list group id -> its top-level list id
    sgids: dict[str, str] = field(default_factory=dict)  # person id -> attachable_sgid, for mentions
    turn: int = 0  # which listing a webhook-led pull asks next when no delivery named one (incremental.py)

    def dump(self) -> str:
        return json.dumps({"v": CURSOR_VERSION, **asdict(self)}, sort_keys=True)

    @classmethod
    def load(cls, raw: str | None) -> Cursor | None:
        try:
            data = json.loads(raw or "")
            if not isinstance(data, dict) or data.pop("v") != CURSOR_VERSION:
                return None
            data["todos"] = Probe(**data["todos"])
            data["comments"] = Probe(**data["comments"])
            return cls(**data)
        except (ValueError, TypeError, KeyError):
            return None


class ProjectPull:
    """Reads a project; shared by the connector's full and incremental pulls."""

    def __init__(self, api: BasecampApi, name: str, mapping: BasecampMapping) -> None:
        self.api = api
        self.name = name
        self.mapping = mapping
        # Completion subscribers are not canonical, but a to-do PUT must send them back.
        self.subscribers: dict[str, list[int]] = {}
        # The description exactly as pulled: a PUT that does not change the notes sends it back
        # untouched (a rendering of the canonical notes would rewrite the client's HTML).
        self.descriptions: dict[str, str] = {}
        self.todosets: dict[str, str] = {}
        # Person id -> attachable_sgid (ids are account-wide): what a mention of them is written with.
        self.sgids: dict[str, str] = {}

    def todoset_of(self, project: dict[str, Any]) -> str:
        with translate.shape("the project"):
            for tool in project.get("dock") or []:
                if tool.get("name") == "todoset" and tool.get("enabled"):
                    todoset = translate.ident(tool["id"])
                    self.todosets[translate.ident(project["id"])] = todoset
                    return todoset
        raise Invalid(f"basecamp: project {project.get('id')} has its To-dos tool turned off",
                      hint="turn on To-dos in the project's settings (the dock) or link another project")

    def todoset(self, project_id: str) -> str:
        if project_id not in self.todosets:
            self.todoset_of(self.api.obj(f"projects/{project_id}.json"))
        return self.todosets[project_id]

    def remember(self, raw: dict[str, Any]) -> None:
        description = raw.get("description")
        if isinstance(description, str) and "id" in raw:
            with translate.shape("a to-do"):
                self.descriptions[translate.ident(raw["id"])] = description
        subscribers = raw.get("completion_subscribers")
        if isinstance(subscribers, list):
            with translate.shape("a to-do's completion subscribers"):
                self.subscribers[translate.ident(raw["id"])] = [int(translate.ident(p["id"])) for p in subscribers]

    def readers(self, known: Mapping[str, Person], payloads: Iterable[dict[str, Any]]) -> People:
        """Whom text in ``payloads`` can mention: ``known`` plus the people the payloads embed."""
        persons = dict(known)
        for raw in payloads:
            with translate.shape("a person"):
                embedded = translate.embedded_people(raw)
                self.sgids.update(translate.sgids_of(embedded))
                for person in map(translate.person, embedded):
                    persons.setdefault(person.id, person)
        return self.mentionable(persons.values())

    def mentionable(self, persons: Iterable[Person]) -> People:
        return translate.mentionable(persons, self.sgids)

    def kept_sgids(self, snapshot: Snapshot) -> dict[str, str]:
        """The sgids of the snapshot's people, for the cursor."""
        return {pid: self.sgids[pid] for pid in sorted(snapshot.people) if pid in self.sgids}

    def put_task(self, snapshot: Snapshot, raw: dict[str, Any], section_id: str, people: People) -> Task:
        with translate.shape("a to-do"):
            task = translate.task(raw, section_id, people)
            for person in translate.people_of(raw):
                snapshot.people.setdefault(person.id, person)
        snapshot.tasks[task.id] = task
        self.remember(raw)
        return task

    def put_comment(self, snapshot: Snapshot, raw: dict[str, Any], people: People, *, replace: bool = True) -> bool:
        """Hold a comment (or link attachment) of a to-do the snapshot has; False when it is foreign."""
        with translate.shape("a comment"):
            if not translate.on_todo(raw) or translate.parent_id(raw) not in snapshot.tasks:
                return False
            items = translate.comment_items(raw, people)
            recording = translate.ident(raw["id"])
            for person in translate.people_of(raw):
                snapshot.people.setdefault(person.id, person)
        # What the comment held before (an edit may add or drop inline files) gives way to what it holds now.
        # (``replace`` False: a listing read into an emptied snapshot, where nothing is held yet.)
        if replace:
            snapshot.comments.pop(recording, None)
            for held in [i for i in snapshot.attachments if translate.recording_of(i) == recording]:
                del snapshot.attachments[held]
        for item in items:
            if isinstance(item, Attachment):
                snapshot.attachments[item.id] = item
            else:
                snapshot.comments[item.id] = item
        return True

    def lists(self, todoset: str) -> list[dict[str, Any]]:
        return self.api.many(f"todosets/{todoset}/todolists.json")

    def todos_of(self, list_id: str) -> list[dict[str, Any]]:
        path = f"todolists/{list_id}/todos.json"
        return self.api.many(path) + self.api.many(path, {"completed": "true"})

    def groups_of(self, list_id: str) -> list[dict[str, Any]]:
        return self.api.many(f"todolists/{list_id}/groups.json")

    # -- the full pull -------------------------------------------------------------

    def full(self, project_id: str) -> PullResult:
        project = self.api.obj(f"projects/{project_id}.json")
        todoset = self.todoset_of(project)
        with translate.shape("the project"):
            snapshot = Snapshot(connection=self.name, project_id=project_id, project_name=str(project["name"]))
        sections = self.api.conditional(f"todosets/{todoset}.json")
        assert sections is not None  # no ETag sent, so no 304
        todoset_etag = sections.headers.get("etag")
        todo_probe = self.api.page(RECORDINGS, probe_params(project_id, "Todo"))
        assert todo_probe is not None
        cursor = Cursor(project=project_id, todoset=todoset, sections_etag=todoset_etag)
        self.read_sections(snapshot, todoset)
        todos = [(raw, section_id) for section_id in list(snapshot.sections) for raw in self.todos_of(section_id)]
        if todo_probe.total is not None and todo_probe.total != len(todos):
            todos += self.grouped_todos(snapshot, cursor)
        comment_probe, comments = self.comment_listing(project_id)
        people = self.api.many(f"projects/{project_id}/people.json")
        with translate.shape("a person"):
            self.sgids.update(translate.sgids_of(people))
            snapshot.people = {p.id: p for p in map(translate.person, people)}
        readers = self.readers(snapshot.people, [raw for raw, _ in todos] + [c for c in comments if translate.on_todo(c)])
        for raw, section_id in todos:
            self.put_task(snapshot, raw, section_id, readers)
        cursor.todos = Probe.of(todo_probe, len(snapshot.tasks), max((int(t) for t in snapshot.tasks), default=0))
        cursor.comments = self.hold_comments(snapshot, comment_probe, comments, readers)
        cursor.sgids = self.kept_sgids(snapshot)
        return PullResult(snapshot=snapshot, cursor=cursor.dump(), full=True)

    def read_sections(self, snapshot: Snapshot, todoset: str) -> None:
        with translate.shape("a to-do list"):
            snapshot.sections = {s.id: s for s in map(translate.section, self.lists(todoset))}

    def grouped_todos(self, snapshot: Snapshot, cursor: Cursor) -> list[tuple[dict[str, Any], str]]:
        """To-dos inside list groups, each with the top-level list (section) it belongs to."""
        found: list[tuple[dict[str, Any], str]] = []
        for section_id in list(snapshot.sections):
            for group in self.groups_of(section_id):
                with translate.shape("a to-do list group"):
                    group_id = translate.ident(group["id"])
                cursor.groups[group_id] = section_id
                found += [(raw, section_id) for raw in self.todos_of(group_id)]
        return found

    def comment_listing(self, project_id: str) -> tuple[Page, list[dict[str, Any]]]:
        """Every comment of the project in one listing; its first page is the comment probe."""
        first = self.api.page(RECORDINGS, probe_params(project_id, "Comment"))
        assert first is not None
        return first, [raw for page in self.api.pages(first, RECORDINGS) for raw in page.items]

    def hold_comments(self, snapshot: Snapshot, first: Page, listing: list[dict[str, Any]], people: People) -> Probe:
        """The snapshot's comments become exactly the ``listing``'s comments on its to-dos."""
        snapshot.comments.clear()
        snapshot.attachments.clear()
        max_id = 0
        for raw in listing:
            self.put_comment(snapshot, raw, people, replace=False)
            max_id = max(max_id, int(raw["id"]) if str(raw.get("id", "")).isdigit() else 0)
        return Probe.of(first, held_comments(snapshot), max_id)


def held_comments(snapshot: Snapshot) -> int:
    """The comment recordings the snapshot holds (a comment with inline files reads as several items)."""
    return len({translate.recording_of(i) for i in [*snapshot.comments, *snapshot.attachments]})


def drop_orphans(snapshot: Snapshot) -> None:
    """Tasks outside any section, and comments of tasks that are gone, leave the snapshot."""
    for task_id in [t.id for t in snapshot.tasks.values() if t.section_id not in snapshot.sections]:
        del snapshot.tasks[task_id]
    items: list[Comment | Attachment] = [*snapshot.comments.values(), *snapshot.attachments.values()]
    for item in items:
        if item.task_id not in snapshot.tasks:
            snapshot.comments.pop(item.id, None)
            snapshot.attachments.pop(item.id, None)
