"""The daemon's status page at /, in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bridge.daemon import Daemon
from bridge.daemon.page import admitted
from bridge.store import CONFLICT
from tests.daemon.conftest import Tool, config_for, runs_of, wait_for

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or not shutil.which("chromedriver", path="/usr/bin"):
        pytest.skip(f"the browser test needs {CHROMIUM} and {CHROMEDRIVER}: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium (the test extras)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def started(tmp_path: Path, running: Callable[[Daemon], Daemon], **settings: object) -> tuple[Daemon, Tool]:
    tool = Tool()
    internal, board = tool.agency_project(shared=1), tool.sandbox.create_project("Acme x Agency", [])
    daemon = running(Daemon(config_for(tmp_path, tool, {"acme": (internal, board)}, **settings), port=0))
    wait_for(lambda: [r for r in runs_of(daemon.runtime.store, "acme") if r.finished_at], 20, "the first cycle")
    return daemon, tool


def test_the_page_shows_links_and_waiting_conflicts_in_a_real_browser(
    tmp_path: Path, running: Callable[[Daemon], Daemon], browser: object
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    daemon, tool = started(tmp_path, running)
    task = next(iter(tool.sandbox.connector("human").pull(daemon.runtime.links["acme"].internal.project_id).snapshot.tasks))
    detail = {"kind": "task", "key": task, "field": "due", "internal": "<b>2026-12-22</b>", "client": "2026-12-20",
              "base": None, "resolution": "flagged"}
    daemon.runtime.store.audit("acme", CONFLICT, kind="task", key=task, detail=detail)

    browser.get(f"http://127.0.0.1:{daemon.port}/")
    assert browser.title == "pm-bridge status"
    (row,) = browser.find_elements(By.CSS_SELECTOR, "#links tr.link")
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells[0] == "acme" and cells[1] == "ok" and cells[2] == "ok" and cells[6] == "3600 s", cells
    assert cells[5], "the next scheduled run"
    (conflict,) = browser.find_elements(By.CSS_SELECTOR, "#conflicts tr.conflict")
    shown = [cell.text for cell in conflict.find_elements(By.TAG_NAME, "td")]
    assert shown[1:6] == ["acme", "task 'Shared task 0'", "due", "<b>2026-12-22</b>", "2026-12-20"], shown
    assert browser.find_elements(By.TAG_NAME, "b") == []  # the value is text, never markup
    assert browser.find_elements(By.TAG_NAME, "script") == []
    screenshot = tmp_path / "status-page.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 1000


def test_a_status_token_guards_the_page(tmp_path: Path, running: Callable[[Daemon], Daemon]) -> None:
    token = "page-token-0123456789abcdef"
    daemon, _ = started(tmp_path, running, status_token=token)
    url = f"http://127.0.0.1:{daemon.port}/"
    assert httpx.get(url).status_code == 404
    assert httpx.get(url, params={"token": "wrong"}).status_code == 404
    assert httpx.get(url, params={"token": token}).status_code == 200
    page = httpx.get(url, headers={"authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "acme" in page.text and token not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_the_page_is_served_without_a_token_only_on_loopback() -> None:
    assert admitted("127.0.0.1", None, None, None) and admitted("::1", None, None, None)
    assert not admitted("0.0.0.0", None, None, None)  # exposed without a configured token: no page at all
    assert not admitted("0.0.0.0", None, "", "Bearer ")
    assert admitted("0.0.0.0", "secret", "secret", None) and not admitted("0.0.0.0", "secret", "guess", None)
