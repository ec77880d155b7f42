"""Small builders for canonical snapshots, so core tests read like the scenario they test."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task

ANNA = Person(id="u-anna", name="Anna Agency", email="anna@agency.example")
BOB = Person(id="u-bob", name="Bob Builder", email="bob@agency.example")
CARLA = Person(id="c-carla", name="Carla Client", email="carla@client.example")
ANNA_ON_CLIENT = Person(id="c-anna", name="Anna A.", email="anna@agency.example")


def internal(*sections: str, people: tuple[Person, ...] = (ANNA, BOB)) -> Snapshot:
    snap = Snapshot(connection="internal", project_id="p-int")
    for index, name in enumerate(sections):
        snap.sections[f"s-{name.lower()}"] = Section(id=f"s-{name.lower()}", name=name, position=float(index))
    snap.people = {p.id: p for p in people}
    return snap


def client(*sections: str, people: tuple[Person, ...] = (CARLA, ANNA_ON_CLIENT)) -> Snapshot:
    snap = Snapshot(connection="client", project_id="p-cli")
    for index, name in enumerate(sections):
        snap.sections[f"cs-{name.lower()}"] = Section(id=f"cs-{name.lower()}", name=name, position=float(index))
    snap.people = {p.id: p for p in people}
    return snap


def task(snap: Snapshot, id: str, title: str, section: str | None = None, **fields: Any) -> Task:
    section_id = None
    if section is not None:
        section_id = next(s.id for s in snap.sections.values() if s.name == section)
    fields.setdefault("position", float(len(snap.tasks)))
    fields.setdefault("modified_at", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    made = Task(id=id, title=title, section_id=section_id, **fields)
    snap.tasks[id] = made
    return made


def comment(snap: Snapshot, id: str, task_id: str, text: str, author: Person = ANNA) -> Comment:
    made = Comment(id=id, task_id=task_id, text=text, author=author, created_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    snap.comments[id] = made
    return made


def attachment(snap: Snapshot, id: str, task_id: str, name: str, url: str = "https://files.example/x.pdf") -> Attachment:
    made = Attachment(id=id, task_id=task_id, name=name, url=url)
    snap.attachments[id] = made
    return made
