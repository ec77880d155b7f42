"""The HTTP layer never follows a redirect, on the transport it builds for production.

A redirect could carry a request (and its credential, or a write's body) to a host the config does
not name, so a 3xx is refused as an error. respx intercepts the real httpx transport here, no
transport is injected, and any request to a host without a route fails the test.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from bridge.clock import VirtualClock
from bridge.errors import Invalid
from bridge.http import HttpClient

API = "https://api.acme.example/v1"
ELSEWHERE = "https://elsewhere.example/collect"
TOKEN = "sk-live-redirect-5151515151"


def production_client(**options: Any) -> HttpClient:
    return HttpClient(tool="acme", base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, clock=VirtualClock(), **options)


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_a_redirect_to_another_host_is_refused_and_the_credential_stays_home(respx_mock: respx.MockRouter) -> None:
    moved = respx_mock.get(f"{API}/projects/1").mock(return_value=httpx.Response(302, headers={"location": ELSEWHERE}))
    stolen = respx_mock.get(ELSEWHERE).mock(return_value=httpx.Response(200, json={"name": "looks fine"}))

    with pytest.raises(Invalid) as caught:
        production_client().get_json("projects/1")

    assert moved.call_count == 1
    assert moved.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert not stolen.called
    assert "302" in str(caught.value) and "/v1/projects/1" in str(caught.value)
    assert TOKEN not in str(caught.value)


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_a_write_answered_by_a_redirect_is_neither_followed_nor_sent_again(respx_mock: respx.MockRouter) -> None:
    create = respx_mock.post(f"{API}/tasks").mock(return_value=httpx.Response(307, headers={"location": ELSEWHERE}))
    replay = respx_mock.post(ELSEWHERE).mock(return_value=httpx.Response(201, json={"id": "1"}))

    with pytest.raises(Invalid):
        production_client(max_attempts=3).request("POST", "tasks", json={"title": "Launch plan"}, retry_unsafe=True)

    assert create.call_count == 1  # a refusal is not transient: retrying would write twice
    assert not replay.called
