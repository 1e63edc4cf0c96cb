"""In a real browser, the feed's layout and keyboard: twenty items for the demo practice, at least
eight of them in view at 1280x900 and the first above the fold on a phone; no page scrolls
sideways at 390 px; times read "3 min ago" with the full time on hover; three items about Green
Leaf Cafe Ltd within minutes show as one with "2 more"; j/k, e, r and ? work. Playwright with
Debian's chromium; screenshots kept in var/test-artefacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from notifications.fan_out import fan_out_events
from notifications.models import Notification, Organisation
from notifications.practices.demo import DEMO_ORGANISATION, create_demo
from streams.simulator.demo import DEMO_COMPANIES
from tests.notifykit import stored_filing
from tests.streamkit import free_port, wait_until
from tests.test_browser_feed import ARTEFACTS, browser, serving, web_server  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

GREEN_LEAF = "09876543"

# Counted in the page: the items drawn (not folded into a group) that are at least partly in view.
ITEMS_IN_VIEW = """() => Array.from(document.querySelectorAll('#feed li.item')).filter(li => {
  const box = li.getBoundingClientRect();
  return box.height > 0 && box.top < window.innerHeight && box.bottom > 0;
}).length"""
SHOWN_IDS = """() => Array.from(document.querySelectorAll('#feed li.item'))
  .filter(li => li.getBoundingClientRect().height > 0).map(li => li.dataset.id)"""
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def twenty_items_for_dana(transactional_db) -> Organisation:
    """Dana Demo's practice with 20 notifications: 17 about different clients, 13 minutes apart,
    two of them urgent; then the newest three about Green Leaf Cafe Ltd, a minute apart. (Made
    before the browser starts, so fan-out's live push runs outside Playwright's event loop.)"""
    create_demo(password="demo", admin_password="admin")
    others = [number for number, _, _ in DEMO_COMPANIES if number != GREEN_LEAF]
    numbers = [others[i % len(others)] for i in range(17)] + [GREEN_LEAF] * 3
    events = [stored_filing(number) for number in numbers]
    fan_out_events([event.id for event in events])
    now = timezone.now()
    notifications = list(Notification.objects.order_by("id"))
    assert len(notifications) == 20
    for age, notification in enumerate(reversed(notifications[17:]), start=3):  # 3, 4, 5 min ago
        published = now - timedelta(minutes=age)
        Notification.objects.filter(pk=notification.pk).update(published_at=published, created_at=published)
    for age, notification in enumerate(reversed(notifications[:17]), start=1):
        published = now - timedelta(minutes=13 * age)
        Notification.objects.filter(pk=notification.pk).update(published_at=published, created_at=published)
    Notification.objects.filter(pk__in=[notifications[14].pk, notifications[10].pk]).update(severity="urgent")
    return Organisation.objects.get(name=DEMO_ORGANISATION)


@pytest.fixture
def site(twenty_items_for_dana, redis_client):
    port = free_port()
    web = web_server(port).start()
    try:
        wait_until(lambda: serving(port), timeout=30)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        yield f"http://127.0.0.1:{port}"
    finally:
        web.stop()
        connections.close_all()  # the one opened beside Playwright's loop is a connection of its own


def dana_at(browser, base: str, width: int, height: int):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#feed[data-connected='1']", timeout=15_000)
    return page


def test_at_1280_dana_sees_eight_items_with_relative_times_and_green_leafs_three_as_one(
    site,
    browser,  # noqa: F811
):
    page = dana_at(browser, site, 1280, 900)
    page.screenshot(path=str(ARTEFACTS / "feed-dense-1280.png"))
    assert page.evaluate(ITEMS_IN_VIEW) >= 8

    first = page.locator("#feed li.item").first
    time = first.locator("time")
    assert time.inner_text() == "3 min ago"
    assert time.get_attribute("title").startswith("Published ")
    assert time.get_attribute("datetime")
    assert first.locator(".tag.urgent").count() == 0
    urgent = page.locator("#feed li.item.urgent")
    assert urgent.count() == 2 and urgent.first.locator(".tag.urgent").inner_text().lower() == "urgent"

    assert len(page.evaluate(SHOWN_IDS)) == 18  # Green Leaf's three are one
    toggle = first.locator("button.more")
    assert toggle.inner_text() == "2 more about Green Leaf Cafe Ltd"
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert len(page.evaluate(SHOWN_IDS)) == 20
    page.screenshot(path=str(ARTEFACTS / "feed-group-open-1280.png"))
    toggle.click()
    assert len(page.evaluate(SHOWN_IDS)) == 18
    assert page.locator("#feed li.item").count() == 20  # every item is still in the list
    page.close()


def test_on_a_phone_the_first_item_is_above_the_fold_and_no_page_scrolls_sideways(
    site,
    twenty_items_for_dana,
    browser,  # noqa: F811
):
    page = dana_at(browser, site, 390, 844)
    page.screenshot(path=str(ARTEFACTS / "feed-dense-390.png"))
    first = page.locator("#feed li.item").first.bounding_box()
    assert first["y"] < 844 / 3, "the first item does not start well above the fold"
    assert first["y"] + first["height"] <= 844, "the first item does not fit above the fold"
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the feed scrolls sideways"
    assert page.locator("#filter-box").get_attribute("open") is None  # the filters folded away
    page.click("#filter-box summary")
    assert page.locator("#filter-box select[name=category]").is_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the feed with its filters open scrolls sideways"

    organisation = twenty_items_for_dana.id
    newest = Notification.objects.order_by("-id").first().id
    for name, path in (
        ("deadlines", f"/deadlines/{organisation}/"),
        ("preferences", "/preferences/"),
        ("item", f"/feed/{organisation}/n/{newest}/"),
    ):
        page.goto(site + path)
        page.screenshot(path=str(ARTEFACTS / f"{name}-390.png"), full_page=True)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"the {name} page scrolls sideways"
    page.close()


def test_dana_works_the_feed_from_the_keyboard(site, browser):  # noqa: F811
    page = dana_at(browser, site, 1280, 900)
    second = page.evaluate(SHOWN_IDS)[1]
    item = page.locator(f"#n{second}")

    page.keyboard.press("j")
    page.keyboard.press("j")
    assert "current" in item.get_attribute("class")
    page.keyboard.press("e")
    item.locator(".done-by").wait_for(timeout=10_000)
    assert "Done by Dana Demo" in item.inner_text()
    assert "unread" not in item.get_attribute("class")  # done is read

    page.keyboard.press("r")
    page.wait_for_selector(f"#n{second}.unread", timeout=10_000)
    assert item.locator("button", has_text="Mark read").count() == 1
    page.keyboard.press("r")
    page.wait_for_selector(f"#n{second}:not(.unread)", timeout=10_000)

    assert page.locator("#keys").is_hidden()
    page.keyboard.press("?")
    assert page.locator("#keys").is_visible()
    assert "mark done" in page.inner_text("#keys")
    page.keyboard.press("?")
    assert page.locator("#keys").is_hidden()

    page.focus("input[name=q]")
    page.keyboard.press("k")  # typed into the search, not a move
    assert page.input_value("input[name=q]") == "k" and "current" in item.get_attribute("class")

    page.click("h1")  # out of the search box
    page.keyboard.press("o")
    page.wait_for_url(f"**/n/{second}/", timeout=10_000)
    page.wait_for_selector("#state")
    page.close()
