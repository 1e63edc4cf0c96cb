"""End to end, in a real browser: the simulator emits a filing, the listener stores it, a worker
fans it out, and the feed page that a demo user keeps open shows it without a reload; with the
web server down for a while, what was missed is caught up when it comes back.

Playwright for Python driving Debian's chromium (bin/ensure-chromium, run by `make test`). The
screenshot is kept in var/test-artefacts/.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from notifications.models import Notification
from notifications.practices.demo import create_demo
from tests.notifykit import process_env
from tests.streamkit import filing, free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "var" / "test-artefacts"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Process:
    """A project process (manage.py or uvicorn) against the test database and Redis."""

    def __init__(self, *args: str, **env: str) -> None:
        self.args, self.env = args, env
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        self.process = subprocess.Popen(
            [sys.executable, *self.args],
            cwd=ROOT,
            env=process_env(**self.env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def web_server(port: int) -> Process:
    return Process("-m", "uvicorn", "project.asgi:application", "--host", "127.0.0.1", "--port", str(port))


def serving(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own database calls are
    # plain synchronous ones all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run bin/ensure-chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_a_filing_appears_live_and_what_was_missed_while_offline_is_caught_up(
    sim, listener, browser, redis_client
):
    create_demo(password="demo", admin_password="admin")
    listener("filings")
    port = free_port()
    web = web_server(port).start()
    worker = Process("manage.py", "rqworker", "default", "--worker-class", "rq.worker.SimpleWorker").start()
    page = browser.new_page()
    try:
        wait_until(lambda: serving(port), timeout=30)
        page.goto(f"http://127.0.0.1:{port}/")
        page.fill("input[name=username]", "demo")
        page.fill("input[name=password]", "demo")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_selector("#feed[data-connected='1']", timeout=15_000)
        assert page.locator("#feed li.item").count() == 0

        sim.add("filings", filing("09876543", "E2E-FIRST"))  # Green Leaf Cafe Ltd, a demo client
        first = page.locator("#feed li.item").first
        first.wait_for(timeout=20_000)
        assert "Micro company accounts made up to" in first.inner_text()
        assert "Green Leaf Cafe Ltd" in first.inner_text() and "GRE005" in first.inner_text()
        assert page.inner_text("#unread-count") == "1"
        assert page.title().startswith("(1) ")

        web.stop()  # the connection drops (a server restart, a network drop)
        page.wait_for_selector("#feed[data-connected='0']", timeout=15_000)
        sim.add("filings", filing("SC123456", "E2E-MISSED"))  # McLeod Fishing Ltd
        wait_until(lambda: Notification.objects.filter(company_id="SC123456").exists(), timeout=20)
        web.start()  # back: the page reconnects by itself and fetches what it missed

        page.wait_for_selector("#feed li.item:has-text('McLeod Fishing Ltd')", timeout=30_000)
        assert page.locator("#feed li.item").count() == 2  # the missed one, and nothing twice
        assert page.inner_text("#unread-count") == "2"
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "feed-live-and-caught-up.png"), full_page=True)
    finally:
        page.close()
        web.stop()
        worker.stop()
        connections.close_all()  # the one opened beside Playwright's loop is a connection of its own
