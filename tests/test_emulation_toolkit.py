"""The emulator toolkit: routing, recording, faults, rate limits, and serving over a real loopback socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bridge.clock import VirtualClock
from bridge.errors import Malformed, Transient
from bridge.http import HttpClient
from connectors.emulation import Emulator, EmuRequest, Fault, HttpError, Recorded
from connectors.emulation.serve import asgi_app
from connectors.emulation.toolkit import json_response

TOKENS = {"tok-alice-1111": "alice", "tok-bob-2222": "bob"}


class ItemsEmulator(Emulator):
    """A tiny tool: a list of named items, bearer tokens, 5 requests per second per token."""

    tool = "items"
    rate_limit = (5.0, 1.0)

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.items: dict[str, dict[str, str]] = {}
        self.saw_lag: list[bool] = []
        self.routes(
            [
                ("GET", "/items", self.list_items),
                ("POST", "/items", self.create_item),
                ("GET", "/items/{item_id}", self.get_item),
                ("DELETE", "/items/{item_id}", self.delete_item),
            ]
        )

    def authenticate(self, request: EmuRequest) -> str | None:
        return TOKENS.get(request.headers.get("authorization", "").removeprefix("Bearer "))

    def list_items(self, req: EmuRequest) -> httpx.Response:
        self.saw_lag.append(req.lagging)
        visible = list(self.items.values())[:-1] if req.lagging else list(self.items.values())
        return json_response(200, visible)

    def create_item(self, req: EmuRequest) -> httpx.Response:
        name = req.arg("name")
        if not name:
            raise HttpError(422, "name is required")
        item = {"id": self.new_id(), "name": name, "by": req.user or ""}
        self.items[item["id"]] = item
        return json_response(201, item)

    def get_item(self, req: EmuRequest) -> httpx.Response:
        item = self.items.get(req.path_params["item_id"])
        if item is None:
            raise HttpError(404, "no such item")
        return json_response(200, item)

    def delete_item(self, req: EmuRequest) -> httpx.Response:
        self.items.pop(req.path_params["item_id"], None)
        return httpx.Response(204)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emulator(clock: VirtualClock) -> ItemsEmulator:
    return ItemsEmulator(clock=clock)


def raw(emulator: Emulator, token: str = "tok-alice-1111") -> httpx.Client:
    return httpx.Client(
        transport=emulator.transport(), base_url="https://items.example", headers={"authorization": f"Bearer {token}"}
    )


def api(emulator: Emulator, clock: VirtualClock) -> HttpClient:
    return HttpClient(
        tool="items",
        base_url="https://items.example",
        headers={"Authorization": "Bearer tok-alice-1111"},
        transport=emulator.transport(),
        clock=clock,
    )


# -- routing and auth -------------------------------------------------------------


def test_routes_dispatch_with_path_params(emulator: ItemsEmulator) -> None:
    http = raw(emulator)
    created = http.post("/items", json={"name": "Logo"})
    assert created.status_code == 201 and created.json()["by"] == "alice"
    item_id = created.json()["id"]
    assert http.get(f"/items/{item_id}").json()["name"] == "Logo"
    assert http.get("/items/").json() == [created.json()]  # a trailing slash routes the same
    assert http.delete(f"/items/{item_id}").status_code == 204
    assert http.get(f"/items/{item_id}").json() == {"message": "no such item"}


def test_unknown_path_is_404_and_wrong_method_is_405(emulator: ItemsEmulator) -> None:
    http = raw(emulator)
    assert http.get("/nothing-here").status_code == 404
    refused = http.put("/items")
    assert refused.status_code == 405 and refused.json() == {"message": "Method Not Allowed"}
    assert emulator.requests[-1].status == 405


def test_handler_errors_use_the_tool_shape(emulator: ItemsEmulator) -> None:
    answer = raw(emulator).post("/items", json={})
    assert answer.status_code == 422 and answer.json() == {"message": "name is required"}
    bad_json = raw(emulator).post("/items", content=b"{not json", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400


def test_arguments_come_from_query_json_or_form(emulator: ItemsEmulator) -> None:
    http = raw(emulator)
    assert http.post("/items", params={"name": "from query"}).json()["name"] == "from query"
    assert http.post("/items", data={"name": "from form"}).json()["name"] == "from form"
    assert http.post("/items", json={"name": "from json"}).json()["name"] == "from json"


def test_missing_or_wrong_token_is_401(emulator: ItemsEmulator) -> None:
    assert raw(emulator, "tok-nobody").get("/items").status_code == 401
    assert httpx.Client(transport=emulator.transport(), base_url="https://items.example").get("/items").status_code == 401
    assert [r.status for r in emulator.requests] == [401, 401]


def test_strip_prefix_mounts_the_api(clock: VirtualClock) -> None:
    class Mounted(ItemsEmulator):
        def strip_prefix(self, path: str) -> str:
            return path.removeprefix("/1")

    emulator = Mounted(clock=clock)
    assert raw(emulator).post("/1/items", json={"name": "x"}).status_code == 201
    assert emulator.requests[-1].path == "/items"


# -- recording ----------------------------------------------------------------------


def test_every_request_is_recorded(emulator: ItemsEmulator) -> None:
    heard: list[Recorded] = []
    emulator.observers.append(heard.append)
    http = raw(emulator)
    http.get("/items", params={"q": "a b", "tag": ["x", "y"]})
    http.post("/items", json={"name": "Secret roadmap"})
    first, second = emulator.requests
    assert (first.method, first.path, first.query, first.status) == ("GET", "/items", {"q": ["a b"], "tag": ["x", "y"]}, 200)
    assert first.headers["authorization"] == "Bearer tok-alice-1111"
    assert not first.is_write and second.is_write
    assert "Secret roadmap" in second.text and "q=a b" in first.text
    assert emulator.writes() == [second]
    assert heard == [first, second]
    emulator.clear_requests()
    assert emulator.requests == []


def test_new_ids_are_unique(emulator: ItemsEmulator) -> None:
    assert len({emulator.new_id() for _ in range(100)}) == 100


def test_latency_sleeps_on_the_clock(clock: VirtualClock) -> None:
    emulator = ItemsEmulator(clock=clock, latency=0.25)
    raw(emulator).get("/items")
    assert clock.slept == [0.25]


# -- faults -------------------------------------------------------------------------


def test_fail_before_applies_nothing(emulator: ItemsEmulator) -> None:
    emulator.inject(Fault.FAIL_BEFORE, "POST", "/items")
    assert raw(emulator).post("/items", json={"name": "x"}).status_code == 500
    assert emulator.items == {}


def test_fail_after_applies_then_answers_500(emulator: ItemsEmulator) -> None:
    emulator.inject(Fault.FAIL_AFTER, "POST")
    assert raw(emulator).post("/items", json={"name": "x"}).status_code == 500
    assert [i["name"] for i in emulator.items.values()] == ["x"]


def test_lose_response_applies_then_drops_the_connection(emulator: ItemsEmulator, clock: VirtualClock) -> None:
    emulator.inject(Fault.LOSE_RESPONSE, "POST")
    with pytest.raises(httpx.ReadTimeout):
        raw(emulator).post("/items", json={"name": "x"})
    assert len(emulator.items) == 1
    emulator.inject(Fault.LOSE_RESPONSE, "POST")
    with pytest.raises(Transient):
        api(emulator, clock).request("POST", "items", json={"name": "y"})
    assert len(emulator.items) == 2


def test_rate_limit_fault_answers_429_with_retry_after(emulator: ItemsEmulator) -> None:
    emulator.inject(Fault.RATE_LIMIT)
    answer = raw(emulator).get("/items")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "1"


def test_malformed_fault_is_malformed_for_the_client(emulator: ItemsEmulator, clock: VirtualClock) -> None:
    emulator.inject(Fault.MALFORMED, "GET")
    with pytest.raises(Malformed):
        api(emulator, clock).get_json("items")


def test_lag_reaches_the_handler(emulator: ItemsEmulator) -> None:
    http = raw(emulator)
    http.post("/items", json={"name": "old"})
    http.post("/items", json={"name": "new"})
    emulator.inject(Fault.LAG, "GET", "^/items$")
    assert [i["name"] for i in http.get("/items").json()] == ["old"]
    assert [i["name"] for i in http.get("/items").json()] == ["old", "new"]
    assert emulator.saw_lag == [True, False]


def test_unauthorized_and_not_found_faults(emulator: ItemsEmulator) -> None:
    emulator.inject(Fault.UNAUTHORIZED)
    emulator.inject(Fault.NOT_FOUND)
    http = raw(emulator)
    assert http.get("/items").status_code == 401  # even with a good token
    assert http.get("/items").status_code == 404
    assert http.get("/items").status_code == 200


def test_fault_rules_match_method_path_and_count(clock: VirtualClock) -> None:
    emulator = ItemsEmulator(clock=clock, rate_limit=False)
    rule = emulator.inject(Fault.FAIL_BEFORE, "POST", r"^/items$", times=2)
    http = raw(emulator)
    assert http.get("/items").status_code == 200
    assert [http.post("/items", json={"name": "x"}).status_code for _ in range(3)] == [500, 500, 201]
    assert rule.times == 0 and emulator.faults == []
    emulator.inject(Fault.FAIL_BEFORE, times=-1)
    assert [http.get("/items").status_code for _ in range(4)] == [500] * 4


# -- rate limiting ---------------------------------------------------------------------


def test_token_bucket_per_credential(emulator: ItemsEmulator, clock: VirtualClock) -> None:
    alice, bob = raw(emulator), raw(emulator, "tok-bob-2222")
    assert [alice.get("/items").status_code for _ in range(6)] == [200] * 5 + [429]
    assert emulator.requests[-1].status == 429
    assert alice.get("/items").headers["retry-after"] == "1"
    assert bob.get("/items").status_code == 200
    clock.advance(1.0)
    assert alice.get("/items").status_code == 200


def test_rate_limit_can_be_disabled_or_set(clock: VirtualClock) -> None:
    assert all(raw(ItemsEmulator(clock=clock, rate_limit=False)).get("/items").status_code == 200 for _ in range(20))
    strict = raw(ItemsEmulator(clock=clock, rate_limit=(1.0, 60.0)))
    assert [strict.get("/items").status_code for _ in range(2)] == [200, 429]


def test_http_client_rides_out_the_rate_limit(emulator: ItemsEmulator, clock: VirtualClock) -> None:
    http = api(emulator, clock)
    for _ in range(8):
        http.get_json("items")
    assert http.stats.rate_limit_waits > 0
    assert sum(1 for r in emulator.requests if r.status == 429) == http.stats.retries


# -- real HTTP ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(emulator: ItemsEmulator) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(asgi_app(emulator), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_serves_over_a_loopback_socket(emulator: ItemsEmulator, served: str) -> None:
    emulator.limit = None
    with httpx.Client(base_url=served, headers={"authorization": "Bearer tok-bob-2222"}, timeout=5) as http:
        created = http.post("/items", json={"name": "Over the wire"}, params={"via": "socket"})
        assert created.status_code == 201 and created.json()["by"] == "bob"
        assert int(created.headers["content-length"]) == len(created.content)
        assert http.get(f"/items/{created.json()['id']}").json()["name"] == "Over the wire"
        assert http.put("/items").status_code == 405
        emulator.inject(Fault.LOSE_RESPONSE, "POST")
        assert http.post("/items", json={"name": "dropped"}).status_code == 502
    assert emulator.requests[0].query == {"via": ["socket"]}
    assert [i["name"] for i in emulator.items.values()] == ["Over the wire", "dropped"]
