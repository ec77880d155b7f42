"""The client's Basecamp rich text is never rewritten by an unrelated change.

A client's to-do holds an inline file (a ``<bc-attachment>`` of an upload from
``POST /attachments.json``) and a mention in its description. A to-do PUT
replaces the whole description, and Basecamp's rich-text guide asks writers not
to drop attachments: when the agency only renames the task, the description goes
back byte for byte as the client's Basecamp holds it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.emulation.sandbox import USERS
from tests.basecamp.conftest import Raw
from tests.engine.test_pairings import by_title, client_view, internal_view, seed, synced
from tests.engine.world import World


@pytest.fixture(params=["asana", "github", "trello"], ids=lambda kind: f"{kind}-to-basecamp")
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    w = World(request.param, "basecamp", f"sqlite:///{tmp_path}/state.db")
    yield w
    w.store.close()


def _carla(w: World) -> Raw:
    return Raw(w.csb.emulator, USERS["client"].token)


def _description(raw: Raw, todo_id: str) -> str:
    return str(raw.json("GET", f"todos/{todo_id}.json")["description"])


def _todo_puts(w: World, todo_id: str) -> list[dict[str, Any]]:
    path = f"/todos/{todo_id}.json"
    return [json.loads(r.body) for r in w.csb.emulator.writes() if r.method == "PUT" and r.path.endswith(path)]


def test_a_rename_leaves_the_clients_file_and_mention_byte_for_byte(world: World) -> None:
    seed(world)
    synced(world)
    carla = _carla(world)
    todo_id = _client_request(world, carla)
    synced(world)  # the request reaches the agency
    before = _description(carla, todo_id)
    assert 'content-type="application/pdf"' in before and "application/vnd.basecamp.mention" in before
    internal = internal_view(world)
    request = next(t for t in internal.tasks.values() if t.title.startswith("New page: pricing"))
    assert "Site map.pdf" in request.notes, "the agency sees the file, as a link"
    puts = len(_todo_puts(world, todo_id))

    world.anna.update_task(world.internal_project, request, {"title": "Pricing page"})
    synced(world)
    assert by_title(client_view(world), "Pricing page") == todo_id
    sent = _todo_puts(world, todo_id)[puts:]
    assert [body["content"] for body in sent] == ["Pricing page"]
    assert sent[0]["description"] == before, "the description goes back exactly as pulled"
    assert _description(carla, todo_id) == before


def _client_request(world: World, carla: Raw) -> str:
    """Carla's new to-do: an uploaded PDF inline and a mention of Anna in its description."""
    blob = carla.json(
        "POST",
        "attachments.json",
        params={"name": "Site map.pdf"},
        content=b"%PDF-1.4 map",
        headers={"Content-Type": "application/pdf"},
    )
    anna = next(
        p["attachable_sgid"]
        for p in carla.json("GET", f"projects/{world.client_project}/people.json")
        if p["name"] == "Anna Agency"
    )
    design = next(s.id for s in client_view(world).sections.values() if s.name == "Design")
    todo = carla.json(
        "POST",
        f"todolists/{design}/todos.json",
        json={
            "content": "New page: pricing",
            "description": f'<div>Our map: <bc-attachment sgid="{blob["attachable_sgid"]}"></bc-attachment><br>'
            f'<bc-attachment sgid="{anna}"></bc-attachment> can you <strong>start</strong>?</div>',
        },
    )
    return str(todo["id"])


def test_an_edit_of_the_notes_keeps_the_inline_file_and_mention_markup(world: World) -> None:
    """Notes that do change are rendered again, and what Basecamp embedded goes back as it came."""
    seed(world)
    synced(world)
    carla = _carla(world)
    todo_id = _client_request(world, carla)
    before = _description(carla, todo_id)
    attachments = re.findall(r"<bc-attachment.*?</bc-attachment>", before, re.S)
    assert len(attachments) == 2
    bot = world.bridge_client
    task = bot.pull(world.client_project).snapshot.tasks[todo_id]
    bot.update_task(world.client_project, task, {"notes": task.notes + "\n\nAnd one more thing."})
    after = _description(carla, todo_id)
    assert after != before and "And one more thing." in after
    assert re.findall(r"<bc-attachment.*?</bc-attachment>", after, re.S) == attachments
