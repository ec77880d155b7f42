"""Issue 9's marker leaks, end to end through the emulators: what people really type never leaks.

The agency writes through each tool's own API as its editor would (Asana
``html_notes`` with formatting, Basecamp rich text), so the cut line reaches the
bridge in the dialect the tool really sends, and every request the client's tool
receives is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.core.ports import NewTask
from bridge.core.rules import FieldRules
from connectors.basecamp.emulator.sandbox import SANDBOX_USER_AGENT
from connectors.basecamp.emulator.store import ACCOUNT_ID
from connectors.emulation.sandbox import USERS
from tests.engine.test_pairings import by_title, client_view, internal_view, synced
from tests.engine.world import World, default_rules, recorded

SECRET = "Budget 4000 EUR SECRET-9"


def leaked(w: World, *secrets: str) -> list[str]:
    """Every request the client's tool received that carries one of ``secrets``."""
    return [r.text[:200] for r in recorded(w.csb.emulator) if any(s in r.text for s in secrets)]


def as_anna(w: World) -> httpx.Client:
    """Anna's own HTTP session with the internal tool: what her browser's editor sends."""
    headers = {"Authorization": f"Bearer {USERS['human'].token}", "User-Agent": SANDBOX_USER_AGENT}
    return httpx.Client(transport=w.isb.emulator.transport(), base_url=w.isb.emulator.base_url, headers=headers)


def shared_task(w: World, title: str) -> str:
    made = w.anna.create_task(w.internal_project, NewTask(section_id=w.section("Design"), **w.access("client", title=title)))
    return made.id


def set_rich_notes(w: World, task_id: str, html: str) -> None:
    """Put ``html`` in the task's description exactly as the tool's editor stores it."""
    with as_anna(w) as http:
        if w.internal_kind == "asana":
            answer = http.put(f"/tasks/{task_id}", json={"data": {"html_notes": html}})
        else:
            title = internal_view(w).tasks[task_id].title
            answer = http.put(f"/{ACCOUNT_ID}/todos/{task_id}.json", json={"content": title, "description": html})
    assert answer.status_code == 200, answer.text


ASANA_CUTS = {
    "emphasis": "<em>---internal---</em>",
    "strong": "<strong>---internal---</strong>",
    "list item": "</body>",  # replaced below: the whole body is a list
    "upper case": "---INTERNAL---",
    "no-break spaces": "&#160;---internal---\u00a0",
}


@pytest.mark.parametrize("how", list(ASANA_CUTS))
def test_an_asana_cut_line_in_any_formatting_keeps_what_is_below_it_off_trello(tmp_path: Path, how: str) -> None:
    w = World("asana", "trello", f"sqlite:///{tmp_path}/state.db")
    home = shared_task(w, "Homepage")
    if how == "list item":
        html = f"<body><ul><li>Hero image</li><li>---internal---</li><li>{SECRET}</li></ul></body>"
        shown = "- Hero image"
    else:
        html = f"<body>Hero image\n{ASANA_CUTS[how]}\n{SECRET}</body>"
        shown = "Hero image"
    set_rich_notes(w, home, html)
    synced(w)
    card = client_view(w).tasks[by_title(client_view(w), "Homepage")]
    assert card.notes == shown
    assert leaked(w, SECRET) == []


@pytest.mark.parametrize(
    "cut",
    ["<div><strong>---internal---</strong></div>", "<div>---INTERNAL---</div>", "<div><em>--- internal ---</em></div>"],
)
def test_a_basecamp_cut_line_in_rich_text_keeps_what_is_below_it_off_github(tmp_path: Path, cut: str) -> None:
    w = World("basecamp", "github", f"sqlite:///{tmp_path}/state.db")
    home = shared_task(w, "Homepage")
    set_rich_notes(w, home, f"<div>Hero image</div>{cut}<div>{SECRET}</div>")
    synced(w)
    issues = client_view(w)
    assert issues.tasks[by_title(issues, "Homepage")].notes == "Hero image"
    assert leaked(w, SECRET) == []


def test_near_miss_comment_tags_stay_internal_and_are_named_once(tmp_path: Path) -> None:
    w = World("asana", "trello", f"sqlite:///{tmp_path}/state.db")
    home = shared_task(w, "Homepage")
    p = w.internal_project
    w.anna.create_comment(p, home, "#clientele meeting notes: SECRET-clientele")
    w.anna.create_comment(p, home, "#Client please see SECRET-Client")
    w.anna.create_comment(p, home, "#client the draft is up")
    report = w.sync()
    assert report.status == "ok", report.errors

    client = client_view(w)
    assert sorted(c.text for c in client.comments.values()) == ["Anna Agency: the draft is up"]
    assert leaked(w, "SECRET-clientele", "SECRET-Client", "ele meeting") == []
    said = sorted(n.message for n in report.notices)
    assert len(said) == 2 and all("“Homepage”" in m and "#client" in m for m in said)
    assert any("“#clientele”" in m for m in said) and any("“#Client”" in m for m in said)
    assert not any("SECRET" in m for m in said)  # a notice names the tag, never the hidden text
    assert len(w.store.open_notices(w.link.name)) == 2  # what `status` lists

    again = w.sync()
    assert again.notices == [] or all(n in report.notices for n in again.notices)
    assert len(w.store.open_notices(w.link.name)) == 2


def test_text_below_the_cut_line_in_a_client_comment_stays_internal(tmp_path: Path) -> None:
    w = World("asana", "trello", f"sqlite:///{tmp_path}/state.db")
    home = shared_task(w, "Homepage")
    with as_anna(w) as http:
        html = f"<body>#client the draft is up\n<strong>---internal---</strong>\n{SECRET}</body>"
        answer = http.post(f"/tasks/{home}/stories", json={"data": {"html_text": html}})
    assert answer.status_code == 201, answer.text
    synced(w)
    assert [c.text for c in client_view(w).comments.values()] == ["Anna Agency: the draft is up"]
    assert leaked(w, SECRET) == []


def both_ways() -> Any:
    base = default_rules("asana")
    return base.model_copy(update={"mirror": base.mirror.model_copy(update={"fields": FieldRules(notes="both")})})


def test_a_client_typing_the_cut_line_keeps_all_her_text(tmp_path: Path) -> None:
    w = World("asana", "trello", f"sqlite:///{tmp_path}/state.db", rules=both_ways())
    home = shared_task(w, "Homepage")
    internal = internal_view(w)
    w.anna.update_task(w.internal_project, internal.tasks[home], {"notes": f"Hero image\n---internal---\n{SECRET}"})
    synced(w)
    client = client_view(w)
    card = client.tasks[by_title(client, "Homepage")]
    assert card.notes == "Hero image"

    hers = "Hero image, please bigger\n---internal---\nOur board meets Friday"
    w.carla.update_task(w.client_project, card, {"notes": hers})
    synced(w)
    synced(w)  # the cycle after: the mirror of her filed text must not cut it
    notes = internal_view(w).tasks[home].notes
    assert notes.startswith(hers) and notes.endswith(SECRET)  # filed above the agency's cut, whole
    assert client_view(w).tasks[card.id].notes == hers
    assert leaked(w, SECRET) == []

    # The agency edits its hidden part: her text stays, nothing hidden goes out.
    internal = internal_view(w)
    w.anna.update_task(w.internal_project, internal.tasks[home], {"notes": notes.replace(SECRET, SECRET + " and more")})
    synced(w)
    assert client_view(w).tasks[card.id].notes == hers
    assert leaked(w, SECRET) == []
