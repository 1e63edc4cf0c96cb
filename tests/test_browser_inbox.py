"""In a real browser: one member marks an item done in place (no reload, no jump) and a colleague's
open feed shows it done at once, over the WebSocket; then the item's own page. Playwright with
Debian's chromium; screenshots kept in var/test-artefacts/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from notifications.fan_out import fan_out_events
from notifications.models import Membership, Organisation
from notifications.practices.demo import DEMO_ORGANISATION, create_demo
from tests.notifykit import stored_filing, stored_officer_change
from tests.streamkit import free_port, wait_until
from tests.test_browser_feed import ARTEFACTS, browser, serving, web_server  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def log_in(context, base: str, username: str, password: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#feed[data-connected='1']", timeout=15_000)
    return page


def test_done_in_one_browser_shows_in_a_colleagues_open_feed_without_a_reload(
    browser,  # noqa: F811
    redis_client,
):
    create_demo(password="demo", admin_password="admin")
    colleague = get_user_model().objects.create_user("erin", password="erin-pass-42", first_name="Erin")
    Membership.objects.create(organisation=Organisation.objects.get(name=DEMO_ORGANISATION), user=colleague)
    fan_out_events([stored_filing("09876543").id for _ in range(12)] + [stored_officer_change("09876543").id])
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = web_server(port).start()
    try:
        wait_until(lambda: serving(port), timeout=30)
        dana = log_in(browser.new_context(viewport={"width": 1280, "height": 900}), base, "demo", "demo")
        erin = log_in(
            browser.new_context(viewport={"width": 390, "height": 844}), base, "erin", "erin-pass-42"
        )
        urgent = dana.locator("#feed li.item.urgent").first
        item_id = urgent.get_attribute("data-id")
        before = dana.url
        dana.click("#feed button.more")  # open the twelve filings folded under the newest
        dana.evaluate("window.scrollTo(0, 200)")

        urgent.locator("button", has_text="Done").click()
        urgent.locator(".done-by").wait_for(timeout=10_000)

        assert dana.url == before and dana.evaluate("window.scrollY") == 200  # in place
        assert "Done by Dana Demo" in urgent.inner_text()
        theirs = erin.locator(f"#n{item_id} .done-by")
        theirs.wait_for(timeout=10_000)  # live, over the WebSocket
        assert "Done by Dana Demo" in theirs.inner_text()
        erin.screenshot(path=str(ARTEFACTS / "inbox-done-live-390.png"))
        dana.screenshot(path=str(ARTEFACTS / "inbox-done-1280.png"))

        erin.click(f"#n{item_id} h2 a")
        erin.wait_for_selector("#state")
        assert "Done by Dana Demo" in erin.inner_text("#state")
        assert "Dana Demo marked it done" in erin.inner_text("#history")
        assert erin.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )  # no sideways scroll
        erin.screenshot(path=str(ARTEFACTS / "item-390.png"), full_page=True)
    finally:
        web.stop()
