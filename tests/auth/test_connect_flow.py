"""`pm-bridge connect`'s flow against the Asana emulator: the local callback (a real request to
127.0.0.1) and the paste mode; the state check; the token sealed at rest."""

from __future__ import annotations

import threading
import urllib.parse

import httpx
import pytest
import sqlalchemy as sa

from bridge.auth.flows import connect, read_answer
from bridge.errors import AuthError
from bridge.store.tables import credentials
from connectors.asana.auth import AUTH
from tests.auth.conftest import AsanaWorld


def browser(world: AsanaWorld, address: str, *, tamper_state: bool = False) -> str:
    """What a browser does: the tool's authorize page (approved at once), then follow the redirect."""
    answer = world.emulator.transport().handle_request(httpx.Request("GET", address))
    assert answer.status_code == 302, answer.read()
    back = answer.headers["location"]
    if tamper_state:
        back = back.replace("state=", "state=evil")
    return back


def test_the_local_callback_receives_the_code_and_the_token_is_sealed(world: AsanaWorld) -> None:
    said: list[str] = []

    def say(text: str) -> None:
        said.append(text)
        if "http" in text:  # the address is printed: the "browser" opens it and is redirected to the callback
            address = text.split()[-1]
            threading.Thread(target=lambda: httpx.get(browser(world, address), timeout=5)).start()

    held = connect("acme", world.connection(), AUTH, world.vault(), world.http(), world.epoch(),
                   open_browser=False, say=say, timeout=10)
    assert held.version == 1 and held.credential.refresh_token
    assert world.issuer.user_for(held.credential.access_token) == world.sandbox.user_ids["bridge"]
    with world.store.engine.connect() as db:
        raw = str(db.execute(sa.select(credentials)).one()._mapping)
    assert held.credential.access_token not in raw and held.credential.refresh_token not in raw  # sealed at rest
    assert all(held.credential.access_token not in line for line in said)


def test_paste_mode_takes_the_address_the_browser_went_to(world: AsanaWorld) -> None:
    shown: list[str] = []
    held = connect("acme", world.connection(), AUTH, world.vault(), world.http(), world.epoch(), paste=True,
                   say=shown.append, ask=lambda _prompt: browser(world, shown[0].split()[-1]))
    assert world.vault().load("acme").credential == held.credential
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(shown[0].split()[-1]).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["asana-app-1"]
    assert query["redirect_uri"] == [f"http://127.0.0.1:{world.port}/callback"]


def test_an_answer_with_another_state_is_refused(world: AsanaWorld) -> None:
    shown: list[str] = []
    with pytest.raises(AuthError, match="state"):
        connect("acme", world.connection(), AUTH, world.vault(), world.http(), world.epoch(), paste=True,
                say=shown.append, ask=lambda _prompt: browser(world, shown[0].split()[-1], tamper_state=True))


def test_a_pasted_address_or_bare_code_is_read() -> None:
    assert read_answer("http://127.0.0.1:1/callback?code=abc&state=s1", fragment=False).code == "abc"
    assert read_answer("  abc  ", fragment=False).code == "abc"
    trello = read_answer("http://127.0.0.1:1/callback?state=s1#token=t0k", fragment=True)
    assert (trello.code, trello.state) == ("t0k", "s1")
    assert read_answer("http://127.0.0.1:1/callback?error=access_denied", fragment=False).error == "access_denied"
