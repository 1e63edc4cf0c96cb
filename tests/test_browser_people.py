"""In a real browser: a practice admin invites a colleague from the People page, the invitation is
opened from the development mailbox, and the colleague chooses a password and lands on the
practice's feed, with its last month of news, on a desktop and on a phone.

Playwright with Debian's chromium; screenshots kept in var/test-artefacts/."""

from __future__ import annotations

import re

import pytest

from notifications.fan_out import fan_out_events
from notifications.practices.demo import create_demo
from tests.notifykit import stored_filing
from tests.streamkit import free_port, wait_until
from tests.test_browser_feed import ARTEFACTS, browser, serving, web_server  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_admin_invites_a_colleague_who_joins_from_the_email_and_sees_the_recent_feed(
    browser,  # noqa: F811
    tmp_path,
    redis_client,
):
    create_demo(password="demo", admin_password="admin")
    fan_out_events([stored_filing("09876543").id])  # Green Leaf Cafe Ltd, a demo client: last week's news
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = web_server(port)
    web.env.update(
        EMAIL_BACKEND="notifications.delivery.devmail.EmailBackend",
        DEV_MAIL_DIR=str(tmp_path / "mail"),
        DEV_MAILBOX="true",
    )
    web.start()
    try:
        wait_until(lambda: serving(port), timeout=30)
        admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        log_in(admin, base, "demo", "demo")
        admin.click("header >> text=People")
        admin.fill("input[name=email]", "erin.ward@example.com")
        admin.select_option("select[name=role]", "member")
        admin.click("text=Send the invitation")
        admin.wait_for_selector("text=Invitation sent to erin.ward@example.com")
        assert "erin.ward@example.com" in admin.inner_text("#invitations")
        admin.screenshot(path=str(ARTEFACTS / "people-1280.png"), full_page=True)

        operator = browser.new_context().new_page()  # the development mailbox is the operator's
        log_in(operator, base, "admin", "admin")
        operator.goto(f"{base}/dev/mailbox/")
        operator.click("text=Join Demo Accountants LLP on Client Watch")
        text = operator.inner_text("pre")
        # The link's host is the test settings' SITE_URL; its path is what matters here.
        link = base + re.search(r"https?://\S+?(/invitations/\S+/)", text).group(1)

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        erin = phone.new_page()
        erin.goto(link)
        assert "Dana Demo invited you to Demo Accountants LLP" in erin.inner_text("main")
        erin.fill("input[name=first_name]", "Erin")
        erin.fill("input[name=last_name]", "Ward")
        erin.fill("input[name=password1]", "a-long-Pass-phrase-42")
        erin.fill("input[name=password2]", "a-long-Pass-phrase-42")
        erin.screenshot(path=str(ARTEFACTS / "invitation-390.png"), full_page=True)
        erin.click("button[type=submit]")
        erin.wait_for_selector("#feed li.item", timeout=15_000)
        assert "Welcome to Demo Accountants LLP" in erin.inner_text("main")
        assert "Green Leaf Cafe Ltd" in erin.inner_text("#feed li.item")
        header = erin.inner_text("header")
        assert "Erin Ward" in header and "People" not in header and "Log out" in header
        erin.screenshot(path=str(ARTEFACTS / "joined-feed-390.png"))
        first = erin.locator("#feed li.item").first.bounding_box()
        assert first is not None and first["y"] < 844  # the first item is on the first screen

        admin.reload()
        members = admin.inner_text("#members")
        assert "Erin Ward" in members and "erin.ward@example.com" in members
        admin.goto(admin.url + "history/")
        assert "Erin Ward joined" in admin.inner_text("#history")
    finally:
        web.stop()
