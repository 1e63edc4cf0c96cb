"""End to end, in a real browser: the simulator emits a filing, the listener stores it, a worker
fans it out, and the feed page that a demo user keeps open shows it without a reload; with the
web server down for a while, what was missed is caught up when it comes back. And the notice of
a gap in a stream heads the feed, readable on a desktop and on a phone, above the first item.

Playwright for Python driving Debian's chromium (bin/ensure-chromium, run by `make test`). The
screenshots are kept in var/test-artefacts/.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from notifications.fan_out import fan_out_events
from notifications.models import ClientList, Membership, Notification, Organisation
from notifications.practices.demo import create_demo
from streams.models import StreamGap
from tests.notifykit import process_env, stored_filing, stored_officer_change
from tests.streamkit import filing, free_port, wait_until
from tests.test_coverage_notice import found_by, numbered_clients

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


@pytest.fixture
def dana_after_a_night_with_gaps(transactional_db):
    """Dana of Ashford (412 clients): filings had a gap, checked, with 3 changes found; the
    companies stream is silent now, its check 120 clients in. (Made before the browser starts, so
    fan-out's live push runs outside Playwright's event loop.)"""
    ashford = Organisation.objects.create(name="Ashford & Co Chartered Accountants")
    dana = get_user_model().objects.create_user(username="dana", password="correct-horse")
    Membership.objects.create(organisation=ashford, user=dana)
    numbers = numbered_clients(ClientList.objects.create(organisation=ashford, name="Clients"), 412)
    now = timezone.now()
    filings = StreamGap.objects.create(
        stream="filings",
        from_timepoint=1000,
        to_timepoint=1500,
        from_time=now - timedelta(hours=3),
        to_time=now - timedelta(hours=2),
        detected_at=now - timedelta(hours=2),
        heal_state=StreamGap.HEALED,
        healed_at=now - timedelta(hours=1),
    )
    found = found_by(
        filings, stored_filing(numbers[0]), stored_filing(numbers[7]), stored_officer_change(numbers[9])
    )
    Notification.objects.filter(event__in=found).update(published_at=now - timedelta(hours=2, minutes=30))
    StreamGap.objects.create(
        stream="companies",
        kind=StreamGap.SILENT,
        from_time=now - timedelta(minutes=40),
        detected_at=now - timedelta(minutes=20),
        heal_state=StreamGap.CHECKING,
        checked_through=numbers[119],
    )
    since = stored_filing(numbers[3])  # news that came the usual way since
    fan_out_events([since.id])
    Notification.objects.filter(event=since).update(published_at=now - timedelta(minutes=5))
    return dana


def test_the_gap_notice_heads_the_feed_and_leaves_the_first_item_in_view_on_a_phone(
    dana_after_a_night_with_gaps, browser, redis_client
):
    port = free_port()
    web = web_server(port).start()
    pages = []
    try:
        wait_until(lambda: serving(port), timeout=30)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        for width, height in ((1280, 800), (390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=2)
            pages.append(page)
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill("input[name=username]", "dana")
            page.fill("input[name=password]", "correct-horse")
            page.click("button[type=submit], input[type=submit]")
            notice = page.get_by_role("status", name="Is your Companies House record complete?")
            lines = notice.locator("li").all_inner_texts()
            assert lines[0].startswith("Companies House's company records stream has sent nothing since")
            assert lines[0].endswith("; checking your 412 clients: 120 done.")
            assert lines[1].endswith(
                "; we checked your 412 clients and found 3 changes we had missed: "
                "they are in your feed below."
            )
            page.screenshot(path=str(ARTEFACTS / f"feed-gap-notice-{width}.png"))  # what shows unscrolled
            title = page.locator("#feed li.item h2").first.bounding_box()
            assert title["y"] + title["height"] <= height, "the first item's title is below the fold"
    finally:
        for page in pages:
            page.close()
        web.stop()
        connections.close_all()
