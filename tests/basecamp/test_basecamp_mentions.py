"""Mentions on Basecamp: ``<bc-attachment sgid>`` of a person <-> the canonical ``@[Name](person:<email>)``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bridge import richtext
from bridge.clock import VirtualClock
from bridge.core.ports import NewTask, PullResult, PullState
from connectors.basecamp import BasecampConnector, BasecampEmulator, BasecampSandbox, build
from connectors.emulation.sandbox import USERS

from .conftest import Raw

CARLA = "@[Carla Client](person:carla@client.example)"
OUTSIDER = "@[Zed Outsider](person:zed@elsewhere.example)"
MENTION_TYPE = "application/vnd.basecamp.mention"


@pytest.fixture
def typist(emulator: BasecampEmulator, sandbox: BasecampSandbox) -> Iterator[Raw]:
    """Anna, writing rich text in Basecamp herself."""
    client = Raw(emulator, USERS["human"].token)
    yield client
    client.http.close()


def _sgid(raw: Raw, project: str, name: str) -> str:
    return str(next(p["attachable_sgid"] for p in raw.json("GET", f"projects/{project}/people.json") if p["name"] == name))


def _mention(sgid: str) -> str:
    return f'<bc-attachment sgid="{sgid}"></bc-attachment>'


def _todo(raw: Raw, project: str, description: str, **extra: Any) -> dict[str, Any]:
    list_id = raw.lists(project)[0]["id"]
    return dict(raw.json("POST", f"todolists/{list_id}/todos.json",
                         json={"content": "Hero", "description": description, **extra}))


def _comment(raw: Raw, todo_id: int, content: str) -> dict[str, Any]:
    return dict(raw.json("POST", f"recordings/{todo_id}/comments.json", json={"content": content}))


def _sent(emulator: BasecampEmulator, method: str, path_end: str) -> dict[str, Any]:
    """The JSON body of the last write the connector sent to a path ending in ``path_end``."""
    found = [r for r in emulator.writes() if r.method == method and r.path.endswith(path_end)]
    assert found, f"no {method} …{path_end}"
    return dict(json.loads(found[-1].body))


def _next(bot: BasecampConnector, project: str, previous: PullResult) -> PullResult:
    result = bot.pull(project, PullState(cursor=previous.cursor, snapshot=previous.snapshot))
    assert not result.full
    return result


def test_the_emulator_answers_a_mention_expanded_as_the_reference_shows(typist: Raw, project: str) -> None:
    carla = _sgid(typist, project, "Carla Client")
    # What a client sends inside the tag is not kept: Basecamp renders the attachable itself.
    todo = _todo(typist, project, f'<div>Ping <bc-attachment sgid="{carla}">stale <b>text</b></bc-attachment> '
                                  f'and {_mention("not-a-person")}</div>')
    expanded = (f'<bc-attachment sgid="{carla}" content-type="{MENTION_TYPE}">\n  <figure>\n    <img srcset="')
    for answer in (todo, typist.json("GET", f"todos/{todo['id']}.json")):
        description = answer["description"]
        assert description.startswith(f"<div>Ping {expanded}") and 'class="avatar"' in description
        assert "<figcaption>Carla</figcaption>\n  </figure>\n</bc-attachment> and " in description
        assert "stale" not in description and description.endswith(f"and {_mention('not-a-person')}</div>")
    comment = _comment(typist, todo["id"], f"<div>{_mention(carla)}</div>")
    assert comment["content"].startswith(f"<div>{expanded}")
    assert typist.json("GET", f"comments/{comment['id']}.json")["content"] == comment["content"]


def test_a_mention_typed_in_basecamp_reads_as_a_canonical_mention(bot: BasecampConnector, typist: Raw, project: str) -> None:
    carla = _sgid(typist, project, "Carla Client")
    todo = _todo(typist, project, f"<div>Ping {_mention(carla)} about the hero, not {_mention('BAhUnknown')}</div>")
    comment = _comment(typist, todo["id"], f"<div>{_mention(carla)} please check</div>")
    snapshot = bot.pull(project).snapshot
    notes = snapshot.tasks[str(todo["id"])].notes
    # The attachment Basecamp could not expand is kept for Basecamp, and shows as nothing elsewhere.
    assert richtext.write("github", notes) == "Ping Carla Client about the hero, not"
    assert richtext.write("basecamp", notes, bot._mentionable(project)).endswith(f"not {_mention('BAhUnknown')}</div>")
    assert snapshot.comments[str(comment["id"])].text == f"{CARLA} please check"


def test_writing_a_mention_sends_the_sgid_and_a_stranger_as_a_plain_name(
    bot: BasecampConnector, emulator: BasecampEmulator, raw: Raw, project: str
) -> None:
    # Dave has a Basecamp account but is not on the project: its rich text cannot mention him.
    emulator.add_person("Dave Dev", "dave@agency.example", None)
    dave = "@[Dave Dev](person:dave@agency.example)"
    carla = _sgid(raw, project, "Carla Client")
    bot.pull(project)
    task = bot.create_task(project, NewTask(title="Copy", notes=f"For {CARLA}, {OUTSIDER} and {dave}"))
    assert _sent(emulator, "POST", "/todos.json")["description"] == (
        f"<div>For {_mention(carla)}, Zed Outsider and Dave Dev</div>")
    assert task.notes == f"For {CARLA}, Zed Outsider and Dave Dev"
    note = bot.create_comment(project, task.id, f"Thanks {CARLA}!")
    assert _sent(emulator, "POST", "/comments.json")["content"] == f"<div>Thanks {_mention(carla)}!</div>"
    assert note.text == f"Thanks {CARLA}!"
    bot.update_comment(project, note, f"Thanks {OUTSIDER}")
    assert _sent(emulator, "PUT", f"comments/{note.id}.json")["content"] == "<div>Thanks Zed Outsider</div>"


def test_read_write_read_is_stable(bot: BasecampConnector, typist: Raw, project: str) -> None:
    carla = _sgid(typist, project, "Carla Client")
    todo = _todo(typist, project, f"<div><strong>Hero</strong> for {_mention(carla)}:</div><ul><li>ask her</li></ul>")
    comment = _comment(typist, todo["id"], f"<div>{_mention(carla)} see above</div>")
    first = bot.pull(project).snapshot
    task, said = first.tasks[str(todo["id"])], first.comments[str(comment["id"])]
    assert CARLA in task.notes and CARLA in said.text
    bot.update_task(project, task, {"notes": task.notes + "\n\nmore"})
    copy = bot.create_comment(project, task.id, said.text)
    again = bot.pull(project).snapshot
    assert again.tasks[task.id].notes == task.notes + "\n\nmore"
    assert again.comments[copy.id].text == said.text == copy.text


def test_a_title_change_keeps_assignees_and_the_mention_in_the_description(
    bot: BasecampConnector, emulator: BasecampEmulator, sandbox: BasecampSandbox, raw: Raw, project: str
) -> None:
    carla_id = sandbox.user_ids["client"]
    carla = _sgid(raw, project, "Carla Client")
    todo = _todo(raw, project, f"<div>Owner: {_mention(carla)}</div>", assignee_ids=[int(carla_id)])
    task = bot.pull(project).snapshot.tasks[str(todo["id"])]
    bot.update_task(project, task, {"title": "Hero v2"})
    sent = _sent(emulator, "PUT", f"todos/{task.id}.json")
    assert (sent["content"], sent["assignee_ids"]) == ("Hero v2", [int(carla_id)])
    assert sent["description"] == todo["description"], "the notes did not change: the description goes back as pulled"
    after = bot.pull(project).snapshot.tasks[task.id]
    assert (after.title, after.assignees, after.notes) == ("Hero v2", [carla_id], f"Owner: {CARLA}")


def test_incremental_pulls_read_mentions_of_known_and_newly_embedded_people(
    bot: BasecampConnector, emulator: BasecampEmulator, sandbox: BasecampSandbox, typist: Raw, project: str,
    clock: VirtualClock,
) -> None:
    carla = _sgid(typist, project, "Carla Client")
    todo = _todo(typist, project, "<div>Hero</div>")
    first = bot.pull(project)
    clock.advance(30)
    # Dave joins after that pull: only the to-do he creates tells the incremental pull who he is.
    dave_id = emulator.add_person("Dave Dev", "dave@agency.example", "tok-dave-0004")
    emulator.grant(project, dave_id)
    dave_raw = Raw(emulator, "tok-dave-0004")
    dave = str(dave_raw.json("GET", "my/profile.json")["attachable_sgid"])
    his = _todo(dave_raw, project, f"<div>Mine, with {_mention(carla)}</div>")
    dave_raw.http.close()
    typist.json("PUT", f"todos/{todo['id']}.json", json={"content": "Hero", "description": f"<div>For {_mention(dave)}</div>"})
    said = _comment(typist, his["id"], f"<div>{_mention(dave)} and {_mention(carla)}</div>")
    second = _next(bot, project, first)
    dave_md = "@[Dave Dev](person:dave@agency.example)"
    assert second.snapshot.tasks[str(todo["id"])].notes == f"For {dave_md}"
    assert second.snapshot.tasks[str(his["id"])].notes == f"Mine, with {CARLA}"
    assert second.snapshot.comments[str(said["id"])].text == f"{dave_md} and {CARLA}"
    full = bot.pull(project).snapshot
    assert {t: full.tasks[t].notes for t in full.tasks} == {t: second.snapshot.tasks[t].notes for t in full.tasks}


def test_a_restarted_connector_still_knows_whom_to_mention(
    sandbox: BasecampSandbox, bot: BasecampConnector, emulator: BasecampEmulator, typist: Raw, project: str,
    clock: VirtualClock,
) -> None:
    carla = _sgid(typist, project, "Carla Client")
    todo = _todo(typist, project, "<div>Hero</div>")
    first = bot.pull(project)
    clock.advance(30)
    # Anna's comment embeds only Anna: Carla's sgid has to come from the cursor.
    said = _comment(typist, todo["id"], f"<div>{_mention(carla)} please</div>")
    restarted = build("basecamp-restarted", sandbox.connection("bridge"), transport=emulator.transport(), clock=clock)
    try:
        second = _next(restarted, project, first)
        assert second.snapshot.comments[str(said["id"])].text == f"{CARLA} please"
        restarted.create_comment(project, str(todo["id"]), f"Thanks {CARLA}")
        assert _sent(emulator, "POST", "/comments.json")["content"] == f"<div>Thanks {_mention(carla)}</div>"
    finally:
        restarted.close()
