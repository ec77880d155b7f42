"""The shared HTTP layer against small in-test servers: retries, rate limits, ETags, errors, pagination."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bridge.clock import RealClock, VirtualClock
from bridge.errors import AuthError, Invalid, Malformed, NotFound, RateLimited, Transient
from bridge.http import HttpClient, RateBudget, budget_for, iter_link, iter_offset, parse_link_header
from connectors.emulation import Emulator, EmuRequest, Fault
from connectors.emulation.toolkit import json_response

Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """Answers requests from a list of canned responses (the last one repeats) and keeps what it received."""

    def __init__(self, *responses: httpx.Response | Handler) -> None:
        self.responses = list(responses)
        self.received: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        answer = self.responses[min(len(self.received), len(self.responses)) - 1]
        return answer(request) if callable(answer) else answer


def ok(body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"ok": True}, headers=headers)


def status(code: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(code, json=body if body is not None else {"message": "nope"}, headers=headers)


def client(server: Handler, clock: VirtualClock | None = None, **options: Any) -> HttpClient:
    return HttpClient(
        tool="acme",
        base_url="https://api.acme.example/v1",
        transport=httpx.MockTransport(server),
        clock=clock or VirtualClock(),
        **options,
    )


# -- retries ------------------------------------------------------------------


def test_retry_after_is_honoured_on_429() -> None:
    clock = VirtualClock()
    server = Server(status(429, **{"retry-after": "7"}), ok({"n": 1}))
    http = client(server, clock)
    assert http.get_json("items") == {"n": 1}
    assert clock.slept == [7.0]
    assert (http.stats.reads, http.stats.retries, http.stats.rate_limit_waits) == (2, 1, 7.0)


def test_retry_after_as_http_date() -> None:
    clock = VirtualClock()
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    http = client(Server(status(429, **{"retry-after": when}), ok()), clock)
    http.get_json("items")
    assert len(clock.slept) == 1 and 27.0 <= clock.slept[0] <= 31.0


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    clock = VirtualClock()
    http = client(Server(status(429, **{"retry-after": "soon"}), ok()), clock)
    assert http.get_json("items") == {"ok": True}
    assert clock.slept == [0.5]


def test_429_is_retried_even_for_post() -> None:
    server = Server(status(429, **{"retry-after": "2"}), ok({"id": "1"}))
    assert client(server).request("POST", "items", json={"name": "x"}).json() == {"id": "1"}
    assert len(server.received) == 2


def test_server_errors_are_retried_for_get_with_backoff() -> None:
    clock = VirtualClock()
    server = Server(status(503), status(502), ok())
    http = client(server, clock)
    assert http.get_json("items") == {"ok": True}
    assert clock.slept == [0.5, 1.0]
    assert len(server.received) == 3


def test_server_errors_give_up_after_max_attempts() -> None:
    server = Server(status(500))
    with pytest.raises(Transient) as caught:
        client(server, max_attempts=3).get_json("items")
    assert caught.value.status == 500
    assert len(server.received) == 3


def test_server_error_on_post_is_not_retried() -> None:
    server = Server(status(500), ok())
    with pytest.raises(Transient):
        client(server).request("POST", "items", json={"name": "x"})
    assert len(server.received) == 1


def test_retry_unsafe_retries_post() -> None:
    server = Server(status(500), ok({"id": "1"}))
    response = client(server).request("POST", "items", json={"name": "x"}, retry_unsafe=True)
    assert response.json() == {"id": "1"}
    assert len(server.received) == 2


def test_connection_errors_are_transient_and_retried_for_get() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server = Server(refuse, ok())
    assert client(server).get_json("items") == {"ok": True}
    timeouts = Server(lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)))
    with pytest.raises(Transient, match="timed out"):
        client(timeouts).request("POST", "items")
    assert len(timeouts.received) == 1


def test_retry_after_beyond_max_wait_raises_rate_limited() -> None:
    clock = VirtualClock()
    server = Server(status(429, **{"retry-after": "500"}), ok())
    with pytest.raises(RateLimited) as caught:
        client(server, clock, max_wait=120).get_json("items")
    assert caught.value.retry_after == 500.0
    assert len(server.received) == 1
    assert sum(clock.slept) == 0


def test_total_wait_counts_towards_max_wait() -> None:
    clock = VirtualClock()
    server = Server(status(429, **{"retry-after": "50"}))
    with pytest.raises(RateLimited):
        client(server, clock, max_wait=120).get_json("items")
    assert clock.slept == [50.0, 50.0]  # a third wait would pass 120 s
    assert len(server.received) == 3


class ItemsTool(Emulator):
    """The smallest toolkit emulator: one token, a list of items."""

    tool = "items"

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(clock=clock)
        self.routes([("GET", "/items", lambda req: json_response(200, [{"id": "1"}]))])

    def authenticate(self, request: EmuRequest) -> str | None:
        return "alice" if request.headers.get("authorization") == "Bearer tok-alice" else None


def items_client(tool: ItemsTool, clock: VirtualClock, **options: Any) -> HttpClient:
    return HttpClient(
        tool="items",
        base_url="https://items.example",
        headers={"Authorization": "Bearer tok-alice"},
        transport=tool.transport(),
        clock=clock,
        **options,
    )


def test_named_waits_are_kept_past_max_attempts_while_within_max_wait() -> None:
    """Six 429s with Retry-After: 2 cost 12 s of the 120 s max_wait: the client waits them all out."""
    clock = VirtualClock()
    tool = ItemsTool(clock)
    tool.inject(Fault.RATE_LIMIT, method="GET", path="/items", times=6, retry_after=2)
    started = clock.now()
    assert items_client(tool, clock, max_attempts=5).get_json("items") == [{"id": "1"}]
    assert [r.status for r in tool.requests] == [429] * 6 + [200]
    assert clock.now() - started == pytest.approx(12.0)


def test_named_waits_stop_at_max_wait() -> None:
    clock = VirtualClock()
    tool = ItemsTool(clock)
    tool.inject(Fault.RATE_LIMIT, method="GET", path="/items", times=-1, retry_after=2)
    with pytest.raises(RateLimited):
        items_client(tool, clock, max_wait=20).get_json("items")
    assert sum(clock.slept) == pytest.approx(20.0)
    assert len(tool.requests) == 11


def test_a_retry_after_of_zero_for_ever_still_ends() -> None:
    clock = VirtualClock()
    server = Server(status(429, **{"retry-after": "0"}))
    with pytest.raises(RateLimited):
        client(server, clock, max_wait=10).get_json("items")
    assert len(server.received) == 11  # each named wait counts at least a second against max_wait


def test_refusals_without_a_named_wait_give_up_after_max_attempts() -> None:
    clock = VirtualClock()
    server = Server(status(429))
    with pytest.raises(RateLimited):
        client(server, clock, max_attempts=3).get_json("items")
    assert len(server.received) == 3


def test_epoch_headers_are_read_on_the_injected_clock() -> None:
    """x-ratelimit-reset and HTTP-date Retry-After are compared with the client's clock, not the machine's."""
    clock = VirtualClock()
    http: HttpClient

    def limit_spent(request: httpx.Request) -> httpx.Response:
        return ok(**{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(http.epoch()) + 10)})

    def retry_later(request: httpx.Request) -> httpx.Response:
        return status(429, **{"retry-after": email.utils.formatdate(http.epoch() + 20, usegmt=True)})

    http = client(Server(limit_spent, retry_later, ok()), clock, budget=RateBudget(rate=100, per=1.0, clock=clock))
    clock.advance(3 * 3600)  # hours pass on the virtual clock; the machine's clock barely moves
    http.get_json("items")
    start = clock.now()
    http.get_json("items")  # waits out the spent limit, then is refused until an HTTP date
    assert clock.slept[-1] == pytest.approx(20.0, abs=1.0)
    assert clock.now() - start == pytest.approx(30.0, abs=2.0)


# -- conditional requests ---------------------------------------------------------


def test_etag_304_returns_cached_body() -> None:
    def conditional(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return ok({"n": 1}, etag='"v1"')

    server = Server(conditional)
    http = client(server)
    assert http.get_json("items", etag=True) == {"n": 1}
    second = http.request("GET", "items", etag=True)
    assert second.json() == {"n": 1} and second.not_modified and second.status == 200
    assert http.stats.not_modified == 1 and http.stats.reads == 2
    http.get_json("items")  # without etag=True nothing is sent conditionally
    assert "if-none-match" not in server.received[-1].headers


def test_changed_resource_replaces_the_cache() -> None:
    server = Server(ok({"n": 1}, etag='"v1"'), ok({"n": 2}, etag='"v2"'), lambda r: httpx.Response(304))
    http = client(server)
    http.get_json("items", etag=True)
    assert http.get_json("items", etag=True) == {"n": 2}
    assert server.received[1].headers["if-none-match"] == '"v1"'
    assert http.get_json("items", etag=True) == {"n": 2}
    assert server.received[2].headers["if-none-match"] == '"v2"'


# -- errors -------------------------------------------------------------------


def test_401_is_auth_error_without_the_bearer_token() -> None:
    token = "sk-live-4242424242abcdef"
    server = Server(status(401, {"message": f"invalid token: {token}"}))
    http = client(server, headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(AuthError) as caught:
        http.get_json("me")
    assert token not in str(caught.value)
    assert "acme" in str(caught.value) and "token" in str(caught.value)
    assert server.received[0].headers["authorization"] == f"Bearer {token}"


def test_401_with_token_in_query_params_does_not_leak_it() -> None:
    key, token = "key-0f0f0f0f0f0f", "tok-9e9e9e9e9e9e9e9e"
    echo = Server(lambda r: status(401, {"message": f"unauthorized for {r.url}", "error": token}))
    http = client(echo, params={"key": key, "token": token})
    with pytest.raises(AuthError) as caught:
        http.get_json("boards/1", params={"fields": "name"})
    assert token not in str(caught.value) and key not in str(caught.value)
    assert echo.received[0].url.params["token"] == token


def test_403_is_auth_error_and_403_with_retry_after_is_a_rate_limit() -> None:
    with pytest.raises(AuthError):
        client(Server(status(403))).get_json("items")
    clock = VirtualClock()
    http = client(Server(status(403, **{"retry-after": "3"}), ok()), clock)
    assert http.get_json("items") == {"ok": True}
    assert clock.slept == [3.0]


def test_other_statuses_are_sorted() -> None:
    with pytest.raises(NotFound):
        client(Server(status(404))).get_json("items/9")
    with pytest.raises(Invalid) as caught:
        client(Server(status(422, {"errors": [{"message": "title is required"}]}))).request("POST", "items")
    assert "title is required" in str(caught.value)
    allowed = client(Server(status(404))).request("GET", "items/9", ok=(404,))
    assert allowed.status == 404


def test_malformed_json_is_malformed_without_query_token() -> None:
    token = "tok-abcdefabcdef1234"
    server = Server(httpx.Response(200, content=b"<html>502</html>", headers={"content-type": "application/json"}))
    with pytest.raises(Malformed) as caught:
        client(server, params={"token": token}).get_json("items")
    assert token not in str(caught.value)


def test_parameters_are_cleaned() -> None:
    server = Server(ok())
    client(server).get_json("items", params={"archived": False, "open": True, "skip": None})
    assert dict(server.received[0].url.params) == {"archived": "false", "open": "true"}


# -- pagination -----------------------------------------------------------------


def _offset_pages(pages: dict[str | None, tuple[list[int], str | None]]) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        items, nxt = pages[request.url.params.get("offset")]
        return ok({"data": items, "next_page": {"offset": nxt} if nxt else None})

    return answer


def test_iter_offset_follows_tokens() -> None:
    server = Server(_offset_pages({None: ([1, 2], "a"), "a": ([3], "b"), "b": ([4], None)}))
    assert list(iter_offset(client(server), "tasks", {"limit": 2})) == [1, 2, 3, 4]
    assert [r.url.params.get("limit") for r in server.received] == ["2", "2", "2"]


def test_iter_offset_stops_on_a_repeated_token() -> None:
    server = Server(_offset_pages({None: ([1], "a"), "a": ([2], "b"), "b": ([3], "a")}))
    with pytest.raises(Malformed, match="repeated"):
        list(iter_offset(client(server), "tasks"))
    assert len(server.received) == 3


def test_iter_offset_refuses_undocumented_shapes() -> None:
    with pytest.raises(Malformed):
        list(iter_offset(client(Server(ok({"items": []}))), "tasks"))
    with pytest.raises(Malformed):
        list(iter_offset(client(Server(ok({"data": {"a": 1}}))), "tasks"))


def _link_pages(pages: dict[str, tuple[list[int], str | None]]) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        items, nxt = pages[request.url.params.get("page", "1")]
        link = f'<https://api.acme.example/v1/issues?page={nxt}>; rel="next"' if nxt else ""
        return httpx.Response(200, json=items, headers={"link": link} if link else {})

    return answer


def test_iter_link_follows_next_links() -> None:
    server = Server(_link_pages({"1": ([1, 2], "2"), "2": ([3], "3"), "3": ([4], None)}))
    assert list(iter_link(client(server), "issues")) == [1, 2, 3, 4]
    assert len(server.received) == 3


def test_iter_link_stops_on_a_repeated_link_without_yielding_a_page_twice() -> None:
    server = Server(_link_pages({"1": ([1], "2"), "2": ([2], "3"), "3": ([3], "2")}))
    seen: list[int] = []
    with pytest.raises(Malformed, match="repeated"):
        seen.extend(iter_link(client(server), "issues"))
    assert seen == [1, 2, 3]
    back_to_start = Server(lambda r: _link_pages({"1": ([1], "1")})(r))
    first_only: list[int] = []
    with pytest.raises(Malformed):
        first_only.extend(iter_link(client(back_to_start), "https://api.acme.example/v1/issues?page=1"))
    assert first_only == [1]


def test_iter_link_refuses_a_page_that_is_not_a_list() -> None:
    with pytest.raises(Malformed):
        list(iter_link(client(Server(ok({"message": "hi"}))), "issues"))


def test_parse_link_header() -> None:
    value = '<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"'
    assert parse_link_header(value) == {"next": "https://x/a?page=2", "last": "https://x/a?page=9"}
    assert parse_link_header(None) == {}


# -- rate budget ------------------------------------------------------------------


def test_rate_budget_paces_with_virtual_clock() -> None:
    clock = VirtualClock()
    budget = RateBudget(rate=2, per=1.0, clock=clock)
    waits = [budget.acquire() for _ in range(5)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([0.5, 0.5, 0.5])
    assert budget.waited == pytest.approx(1.5)


def test_client_requests_share_the_budget() -> None:
    clock = VirtualClock()
    budget = RateBudget(rate=10, per=10.0, clock=clock)
    http = client(Server(ok()), clock, budget=budget)
    start = clock.now()
    for _ in range(12):
        http.get_json("items")
    assert clock.now() - start == pytest.approx(2.0)


def test_ratelimit_remaining_zero_pauses_the_budget() -> None:
    clock = VirtualClock()
    budget = RateBudget(rate=100, per=1.0, clock=clock)
    reset = str(int(time.time()) + 60)
    server = Server(ok(**{"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}), ok())
    http = client(server, clock, budget=budget)
    http.get_json("items")
    start = clock.now()
    http.get_json("items")
    assert 58.0 <= clock.now() - start <= 61.0
    other = client(
        Server(ok(**{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 9999)}), ok()),
        clock,
        budget=RateBudget(rate=100, per=1.0, clock=clock),
        max_wait=30,
    )
    other.get_json("items")
    start = clock.now()
    other.get_json("items")
    assert clock.now() - start == pytest.approx(30.0)  # never past max_wait


def test_429_pauses_every_client_of_the_credential() -> None:
    clock = VirtualClock()
    budget = RateBudget(rate=100, per=1.0, clock=clock)
    first = client(Server(status(429, **{"retry-after": "5"}), ok()), clock, budget=budget)
    first.get_json("items")
    assert clock.slept == [5.0]
    huge = client(Server(status(429, **{"retry-after": "3600"})), clock, budget=budget, max_wait=60)
    with pytest.raises(RateLimited):
        huge.get_json("items")
    start = clock.now()
    client(Server(ok()), clock, budget=budget).get_json("items")
    assert clock.now() - start == pytest.approx(60.0)  # the pause is capped at max_wait


def test_budget_for_is_shared_per_credential_and_keyed_by_hash() -> None:
    clock = VirtualClock()
    a = budget_for("acme", "secret-one", 5, 1.0, clock)
    assert budget_for("acme", "secret-one", 5, 1.0, clock) is a
    assert budget_for("acme", "secret-two", 5, 1.0, clock) is not a
    from bridge.http import budget as budget_module

    assert all("secret-one" not in key[1] for key in budget_module._registry)


def test_a_budget_on_the_real_clock_is_never_one_made_on_a_virtual_clock() -> None:
    clock = VirtualClock()
    virtual = budget_for("acme", "secret-three", 1, 0.1, clock)
    real = budget_for("acme", "secret-three", 1, 0.1)  # waiting on the virtual clock would wait for its owner to move it
    assert real is not virtual and isinstance(real.clock, RealClock)
    assert budget_for("acme", "secret-three", 1, 0.1) is real
    assert budget_for("acme", "secret-three", 1, 0.1, clock) is not real


def test_request_stats_count_by_route() -> None:
    http = client(Server(ok()))
    http.get_json("items")
    http.request("POST", "items", json={"a": 1})
    http.request("DELETE", "items/1")
    assert (http.stats.reads, http.stats.writes, http.stats.total) == (1, 2, 3)
    assert http.stats.by_route == {"GET /v1/items": 1, "POST /v1/items": 1, "DELETE /v1/items/1": 1}
    assert json.loads(json.dumps(http.stats.by_route))  # plain data, reportable as is
    http.stats.reset()
    assert http.stats.total == 0
