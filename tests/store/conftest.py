"""Store fixtures: an opened store on every backend, a virtual clock, a statement counter, sample data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.clock import VirtualClock
from bridge.core.fields import FieldDef
from bridge.core.model import Attachment, Comment, Person, Section, Snapshot, Task
from bridge.store import Store

WRITES = {"INSERT", "UPDATE", "DELETE"}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def store(store_url: str, clock: VirtualClock) -> Iterator[Store]:
    opened = Store.open(store_url, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def _count_writes(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        words = statement.split(None, 1)
        if words and words[0].upper() in WRITES:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def write_statements() -> Callable[[Engine], AbstractContextManager[list[str]]]:
    """``with write_statements(store.engine) as seen:`` collects every INSERT/UPDATE/DELETE sent."""
    return _count_writes


def full_snapshot(connection: str = "asana-main") -> Snapshot:
    """A snapshot in which every field of every kind differs from its default."""
    stamp = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC)
    anna = Person(id="p1", name="Anna Agency", email="anna@agency.test", username="anna")
    return Snapshot(
        connection=connection,
        project_id="proj-1",
        project_name='Website — relaunch "2024"',
        sections={"s1": Section(id="s1", name="Design ✏️", position=1.5, version="v-s1")},
        tasks={
            "t1": Task(
                id="t1",
                title="Hero image",
                notes="# Brief\n\n* **bold** and `code`\n\nline with \\ backslash",
                done=True,
                section_id="s1",
                due=dt.date(2024, 6, 30),
                start=dt.date(2024, 6, 1),
                assignees=["p1", "p2"],
                labels=["urgent", "client"],
                parent_id="t0",
                position=2.25,
                custom_fields={"Client access": "client", "Priority": "High"},
                created_at=stamp,
                modified_at=stamp + dt.timedelta(hours=1),
                url="https://app.asana.com/0/1/t1",
                version="etag-1",
            )
        },
        comments={"c1": Comment(id="c1", task_id="t1", text="Looks good 👍", author=anna, created_at=stamp, version="v-c1")},
        attachments={
            "a1": Attachment(
                id="a1", task_id="t1", name="hero.png", url="https://files.test/hero.png", created_at=stamp, version="v-a1",
                hosted=True, size=48213,
            )
        },
        people={"p1": anna},
        archived={"t9": Task(id="t9", title="Archived copy", section_id="s1", version="etag-9")},
        fields={"Priority": FieldDef(name="Priority", kind="enum", options=("High", "Low"))},
        complete=False,
    )


@pytest.fixture
def sample() -> Snapshot:
    return full_snapshot()
