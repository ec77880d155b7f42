"""The session-wide spec check: every exchange with a tool emulator, in every test, against the tool's OpenAPI.

Registered from ``tests/conftest.py``. It hangs a watcher on
``connectors.emulation.toolkit.Emulator.watchers`` (called after every answer of
every emulator, in-process or served over HTTP) and checks:

* each request pm-bridge's connectors send: the User-Agent carries the ``pm-bridge/<version>``
  product token (bridge.http.client), which tests that talk to an emulator directly, often
  with deliberately bad input, do not send;
* each 2xx JSON answer, whoever asked, against the response schema of its operation.

A test during which a departure was seen fails with the list of them (departures seen while
no test runs fail the session). ``PM_BRIDGE_SPEC_CHECK=0`` turns the check off, e.g. to measure its cost.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator

import httpx
import pytest
from pluggy import Result

from bridge.http.client import PRODUCT
from connectors.emulation.toolkit import Emulator, Recorded
from tests.spec.quirks import TOOLS
from tests.spec.traffic import check_exchange

ENABLED = os.environ.get("PM_BRIDGE_SPEC_CHECK", "1") != "0"
_MAX_LISTED = 15


class Monitor:
    """Collects the departures of the running test; the watcher may run on an emulator server's thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[str] = []
        self.stray: list[str] = []  # seen while no test was running
        self.in_test = False
        self.exchanges = 0
        self.requests = 0
        self.tools = set(TOOLS)  # the references live in tests/reference: a missing one is a failure

    def watch(self, emulator: Emulator, record: Recorded, response: httpx.Response) -> None:
        if emulator.tool not in self.tools:
            return
        ours = PRODUCT in record.headers.get("user-agent", "").split()
        try:
            content = response.content
        except httpx.ResponseNotRead:
            content = b""  # a large file streamed from disk (connectors/emulation/files.py): no JSON to check
        try:
            found = check_exchange(
                emulator.tool, record.method, record.path, record.query, record.headers.get("content-type", ""),
                record.body, response.status_code, response.headers.get("content-type", ""), content, request=ours,
            )
        except Exception as error:  # a checker bug must show, but never break the emulator's answer
            found = [f"{record.method} {record.path}: the spec check crashed: {error!r}"]
        with self.lock:
            self.exchanges += 1
            self.requests += ours
            if found:
                (self.pending if self.in_test else self.stray).extend(f"{emulator.tool}: {p}" for p in found)

    def take(self) -> list[str]:
        with self.lock:
            found, self.pending = self.pending, []
            return found


MONITOR = Monitor()


def report(found: list[str]) -> str:
    unique = list(dict.fromkeys(found))
    lines = unique[:_MAX_LISTED] + ([f"... and {len(unique) - _MAX_LISTED} more"] if len(unique) > _MAX_LISTED else [])
    return "exchanges with an emulator departed from the API reference (tests/spec):\n  " + "\n  ".join(lines)


def pytest_configure(config: pytest.Config) -> None:
    if ENABLED and MONITOR.watch not in Emulator.watchers:
        Emulator.watchers.append(MONITOR.watch)


def pytest_unconfigure(config: pytest.Config) -> None:
    if MONITOR.watch in Emulator.watchers:
        Emulator.watchers.remove(MONITOR.watch)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    MONITOR.take()
    MONITOR.in_test = True
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Result[None], None]:
    outcome = yield
    found = MONITOR.take()  # fixtures' setup traffic counts too: it ran for this test
    if found and outcome.excinfo is None:
        outcome.force_exception(pytest.fail.Exception(report(found), pytrace=False))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    yield
    MONITOR.in_test = False
    found = MONITOR.take()
    if found:
        with MONITOR.lock:
            MONITOR.stray.extend(f"{item.nodeid} (teardown): {p}" for p in found)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if MONITOR.stray and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ENABLED:
        terminalreporter.write_line("spec check: off (PM_BRIDGE_SPEC_CHECK=0)")
        return
    if MONITOR.exchanges:
        terminalreporter.write_line(
            f"spec check: {MONITOR.exchanges} emulator exchanges, {MONITOR.requests} connector requests checked")
    if MONITOR.stray:
        terminalreporter.write_line(report(MONITOR.stray), red=True)
