"""Pacing: each tool's requests leave as its documentation asks, whatever the engine's worker count."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bridge.clock import VirtualClock
from bridge.core.ports import NewTask
from bridge.errors import RateLimited
from bridge.http import HttpClient, Pacing, PacingPolicy
from connectors.emulation import Fault
from connectors.github import GithubEmulator
from tests.engine.world import World

# -- against the GitHub emulator, through a whole cycle ------------------------------------


@pytest.fixture
def github_client_world(tmp_path: Path) -> World:
    world = World("asana", "github", f"sqlite:///{tmp_path}/state.db")
    world.engine.workers = 4  # as the daemon runs it: the pacing, not the engine, must serialise
    design = world.section("Design")
    for n in range(36):
        world.anna.create_task(world.internal_project, NewTask(title=f"Page {n}", section_id=design, **world.access("client")))
    return world


def test_github_writes_of_a_cycle_leave_one_at_a_time_a_second_apart(github_client_world: World) -> None:
    world = github_client_world
    emulator = world.csb.emulator
    assert isinstance(emulator, GithubEmulator)
    emulator.clear_requests()
    report = world.sync()
    assert report.failed == 0, report.errors
    writes = emulator.writes()
    assert len(writes) >= 38
    gaps = [later.at - earlier.at for earlier, later in zip(writes, writes[1:], strict=False)]
    assert min(gaps) >= 1.0, f"{sum(g < 1.0 for g in gaps)} of {len(gaps)} writes left within 1 s of the previous one"
    assert all(r.in_flight == 1 for r in emulator.requests), "requests of one GitHub token overlapped"


def test_after_a_secondary_limit_refusal_exactly_one_request_goes_next(github_client_world: World) -> None:
    world = github_client_world
    emulator = world.csb.emulator
    assert isinstance(emulator, GithubEmulator)
    emulator.inject(Fault.RATE_LIMIT, method="POST", path=r"/issues$", times=1, retry_after=30)
    emulator.clear_requests()
    report = world.sync()
    assert report.failed == 0, report.errors
    requests = emulator.requests
    refused = next(i for i, r in enumerate(requests) if r.status == 403)
    after = requests[refused + 1 :]
    assert after[0].at >= requests[refused].at + 30  # the named wait was kept
    assert after[0].status < 300 and after[0].in_flight == 1
    assert after[1].at >= after[0].at  # the next one left only once the first had its answer


# -- the rules themselves, with a tool that allows concurrency -------------------------------


class Gate:
    """A server whose first answer is a 429, and that notes how many requests it is handling at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.log: list[tuple[str, int, int]] = []  # (event, request number, in flight)
        self.count = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.count += 1
            n = self.count
            self.in_flight += 1
            self.log.append(("start", n, self.in_flight))
        time.sleep(0.02)  # real time, so requests that are allowed to overlap do
        with self.lock:
            self.in_flight -= 1
            self.log.append(("end", n, self.in_flight))
        if n == 1:
            return httpx.Response(429, json={"message": "slow down"}, headers={"retry-after": "2"})
        return httpx.Response(200, json={"n": n})


def test_after_a_refusal_one_request_goes_and_the_others_wait_for_its_answer() -> None:
    clock = VirtualClock()
    gate = Gate()
    pacing = Pacing(PacingPolicy(concurrency=4), clock)
    http = HttpClient(
        tool="acme", base_url="https://acme.example", transport=httpx.MockTransport(gate), clock=clock, pacing=pacing
    )
    first = threading.Thread(target=http.request, args=("POST", "items"))
    first.start()
    deadline = time.monotonic() + 2.0
    while not any(event == ("end", 1, 0) for event in gate.log) and time.monotonic() < deadline:
        time.sleep(0.001)  # the refusal is in
    time.sleep(0.01)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: http.request("POST", "items"), range(4)))
    first.join()
    refused_end = next(i for i, event in enumerate(gate.log) if event[:2] == ("end", 1))
    after = gate.log[refused_end + 1 :]
    assert after[0][0] == "start" and after[1] == ("end", after[0][1], 0), f"more than one request resumed at once: {after[:4]}"
    assert not pacing.probing


def test_concurrency_allows_overlap_when_the_tool_does() -> None:
    clock = VirtualClock()
    gate = Gate()
    gate.count = 1  # no refusal
    http = HttpClient(
        tool="acme",
        base_url="https://acme.example",
        transport=httpx.MockTransport(gate),
        clock=clock,
        pacing=Pacing(PacingPolicy(concurrency=2), clock),
    )
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: http.request("GET", "items"), range(8)))
    assert max(in_flight for event, _, in_flight in gate.log if event == "start") == 2


def test_write_spacing_counts_only_content_creating_requests() -> None:
    clock = VirtualClock()
    http = HttpClient(
        tool="acme",
        base_url="https://acme.example",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})),
        clock=clock,
        pacing=Pacing(PacingPolicy(concurrency=1, write_spacing=1.0), clock),
    )
    started = clock.now()
    for method in ("GET", "GET", "POST", "GET", "PATCH", "DELETE", "PUT"):
        http.request(method, "items")
    assert clock.now() - started == pytest.approx(3.0)  # four writes, three gaps; reads never wait


# -- the emulator's documented secondary limits ----------------------------------------------


def _github(clock: VirtualClock, **options: object) -> tuple[GithubEmulator, HttpClient]:
    emulator = GithubEmulator(clock=clock, **options)  # type: ignore[arg-type]
    emulator.add_user("octo", "tok-octo")
    emulator.create_repo("octo", "site", collaborators=["octo"])
    http = HttpClient(
        tool="github",
        base_url="https://api.github.com",
        headers={"Authorization": "Bearer tok-octo"},
        transport=emulator.transport(),
        clock=clock,
        max_wait=0,
    )
    return emulator, http


def test_github_emulator_refuses_the_81st_content_creating_request_of_a_minute() -> None:
    clock = VirtualClock()
    emulator, http = _github(clock)
    for n in range(80):
        http.request("POST", "repos/octo/site/issues", json={"title": f"Issue {n}"})
    http.get_json("repos/octo/site/issues")  # reads do not count
    with pytest.raises(RateLimited) as refused:
        http.request("POST", "repos/octo/site/issues", json={"title": "one too many"})
    assert refused.value.status == 403 and refused.value.retry_after == 60
    clock.advance(60)
    http.request("POST", "repos/octo/site/issues", json={"title": "a minute later"})


def test_github_emulator_refuses_the_501st_content_creating_request_of_an_hour() -> None:
    clock = VirtualClock()
    emulator, http = _github(clock)
    for n in range(500):
        http.request("POST", "repos/octo/site/issues", json={"title": f"Issue {n}"})
        clock.advance(1.0)
    with pytest.raises(RateLimited) as refused:
        http.request("POST", "repos/octo/site/issues", json={"title": "one too many"})
    assert refused.value.retry_after == pytest.approx(3600 - 500, abs=1)
    off, http = _github(VirtualClock(), secondary_limits=False)
    for n in range(90):
        http.request("POST", "repos/octo/site/issues", json={"title": f"Issue {n}"})


def test_a_refusal_longer_than_max_wait_fails_the_next_requests_without_asking_again() -> None:
    clock = VirtualClock()
    emulator = GithubEmulator(clock=clock)
    emulator.add_user("octo", "tok-octo")
    emulator.create_repo("octo", "site", collaborators=["octo"])
    http = HttpClient(
        tool="github",
        base_url="https://api.github.com",
        headers={"Authorization": "Bearer tok-octo"},
        transport=emulator.transport(),
        clock=clock,
        pacing=Pacing(PacingPolicy(concurrency=1, write_spacing=1.0), clock),
        max_wait=120,
    )
    for n in range(500):
        http.request("POST", "repos/octo/site/issues", json={"title": f"Issue {n}"})
    sent = len(emulator.requests)
    for _ in range(3):
        with pytest.raises(RateLimited):
            http.request("POST", "repos/octo/site/issues", json={"title": "over the hourly limit"})
    assert len(emulator.requests) == sent + 1  # one refusal; the other two never left
    clock.advance(3600)
    http.request("POST", "repos/octo/site/issues", json={"title": "an hour later"})


def test_pacing_is_shared_per_credential_and_clock() -> None:
    from bridge.http import pacing_for

    clock = VirtualClock()
    policy = PacingPolicy(concurrency=1, write_spacing=1.0)
    shared = pacing_for("acme", "secret-one", policy, clock)
    assert pacing_for("acme", "secret-one", policy, clock) is shared
    assert pacing_for("acme", "secret-two", policy, clock) is not shared
    shared.refused(until=clock.now() + 3600)
    real = pacing_for("acme", "secret-one", policy)  # the real clock never inherits a virtual clock's refusal
    assert real is not shared and real.refused_for() == 0.0
    assert pacing_for("acme", "secret-one", policy) is real
