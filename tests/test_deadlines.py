"""Deadlines: computed from CH's company profiles, listed per organisation overdue first, and a
reminder at each configured day count before a due date and when it is overdue, each sent once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import django_rq
import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from notifications import queueing
from notifications.content.categories import Category, EmailMode, Severity
from notifications.deadlines import reminders as deadlines
from notifications.deadlines.page import deadlines_for
from notifications.deadlines.profiles import company_deadlines
from notifications.deadlines.reminders import send_deadline_reminders
from notifications.models import (
    ClientList,
    ClientListEntry,
    DeadlineReminder,
    Delivery,
    Notification,
    Organisation,
    UserNotification,
    UserPreferences,
)
from notifications.schedules import register
from streams.models import Company
from tests.notifykit import run_jobs
from tests.test_settings import run_with_settings

pytestmark = pytest.mark.django_db

CH = "https://find-and-update.company-information.service.gov.uk/company/"
DUE = date(2025, 3, 31)  # Green Leaf's accounts, in these tests


def ch_profile(
    accounts_due: str | None = None,
    statement_due: str | None = None,
    *,
    accounts_overdue: bool = False,
    statement_overdue: bool = False,
    status: str = "active",
) -> dict:
    """A company profile as CH sends it, with the fields deadlines read."""
    profile: dict = {"company_status": status, "type": "ltd", "can_file": True}
    if accounts_due or accounts_overdue:
        profile["accounts"] = {
            "accounting_reference_date": {"day": "30", "month": "06"},
            "next_due": accounts_due,
            "overdue": accounts_overdue,
            "next_accounts": {"due_on": accounts_due, "overdue": accounts_overdue},
        }
    if statement_due or statement_overdue:
        profile["confirmation_statement"] = {"next_due": statement_due, "overdue": statement_overdue}
    return profile


def set_profile(number: str, profile) -> None:
    Company.objects.filter(company_number=number).update(profile=profile)


def titles(organisation) -> list[str]:
    return list(
        Notification.objects.filter(organisation=organisation).order_by("id").values_list("title", flat=True)
    )


def run_daily(first: date, last: date, runs_a_day: int = 2) -> None:
    day = first
    while day <= last:
        for _ in range(runs_a_day):
            send_deadline_reminders(today=day)
        day += timedelta(days=1)


@pytest.fixture
def green_leaf_due(ashford_list):
    """Green Leaf's accounts are due on 31 March 2025; its confirmation statement next year."""
    set_profile("09876543", ch_profile("2025-03-31", "2026-01-10"))


# --- computation ----------------------------------------------------------------------------


def test_deadlines_are_the_profiles_next_due_dates_and_overdue_flags():
    found = company_deadlines(
        ch_profile("2025-03-31", "2025-02-01", statement_overdue=True), date(2025, 3, 24)
    )
    assert [(d.kind, d.due_date, d.overdue, d.days_left) for d in found] == [
        ("accounts", date(2025, 3, 31), False, 7),
        ("confirmation-statement", date(2025, 2, 1), True, -51),
    ]
    assert [d.label for d in found] == ["Accounts", "Confirmation statement"]


def test_the_accounts_due_date_falls_back_to_next_accounts_due_on():
    profile = {"accounts": {"next_accounts": {"due_on": "2025-05-12", "overdue": False}}}
    (found,) = company_deadlines(profile, date(2025, 5, 1))
    assert (found.kind, found.due_date, found.days_left) == ("accounts", date(2025, 5, 12), 11)


def test_a_passed_due_date_is_overdue_before_ch_sets_the_flag():
    (found,) = company_deadlines(ch_profile("2025-03-31"), date(2025, 4, 1))
    assert found.overdue and found.days_left == -1


def test_an_overdue_flag_without_a_due_date_is_still_overdue():
    (found,) = company_deadlines(ch_profile(accounts_overdue=True), date(2025, 4, 1))
    assert (found.overdue, found.due_date, found.days_left) == (True, None, None)


@pytest.mark.parametrize(
    "profile",
    [
        None,
        [],
        "not a profile",
        {},
        {"accounts": "soon", "confirmation_statement": None},
        {"accounts": {"next_due": 20250331, "next_accounts": ["2025-03-31"]}},
        {"accounts": {"next_due": "31/03/2025"}, "confirmation_statement": {"next_due": "2025-02-30"}},
        {"accounts": {"next_due": "", "overdue": "true"}, "confirmation_statement": {"overdue": 1}},
    ],
)
def test_missing_or_odd_profile_data_gives_no_deadline_and_no_error(profile):
    assert company_deadlines(profile, date(2025, 3, 24)) == []


def test_a_company_that_has_ended_has_no_deadlines():
    assert company_deadlines(ch_profile("2025-01-31", accounts_overdue=True, status="dissolved"), DUE) == []


def test_days_left_are_counted_in_the_organisations_time_zone_near_midnight(green_leaf_due, ashford):
    def green_leaf_accounts(now):
        (row,) = [
            r
            for r in deadlines_for(ashford.id, now=now)
            if r.company_number == "09876543" and r.deadline.kind == "accounts"
        ]
        return row.deadline.days_left, row.overdue, row.when

    # 30 March, 14:30 UTC: 15:30 in London (BST began that morning), 01:30 on 31 March in Sydney.
    afternoon = datetime(2025, 3, 30, 14, 30, tzinfo=UTC)
    assert green_leaf_accounts(afternoon) == (1, False, "1 day left")
    Organisation.objects.filter(pk=ashford.pk).update(time_zone="Australia/Sydney")
    assert green_leaf_accounts(afternoon) == (0, False, "Due today")
    # 31 March, 23:30 UTC: still the due day in UTC, but 00:30 on 1 April in London.
    Organisation.objects.filter(pk=ashford.pk).update(time_zone="UTC")
    late = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    assert green_leaf_accounts(late) == (0, False, "Due today")
    Organisation.objects.filter(pk=ashford.pk).update(time_zone="Europe/London")
    assert green_leaf_accounts(late) == (-1, True, "Overdue by 1 day")
    Organisation.objects.filter(pk=ashford.pk).update(time_zone="Not/A_Zone")  # (bypassing validation)
    assert green_leaf_accounts(late) == (-1, True, "Overdue by 1 day")  # the UK's day


@pytest.fixture
def mixed_clients(ashford_list):
    """Ashford: two overdue, three due, one company with no deadlines and one with no data yet."""
    set_profile("09876543", ch_profile("2025-01-31", "2025-04-20", accounts_overdue=True))
    set_profile("SC123456", ch_profile("2025-04-10", "2025-03-01"))
    _watch(ashford_list, "OC301234", "ASH-003", "Old Partners LLP")
    set_profile("OC301234", ch_profile("2024-01-31", status="dissolved"))
    _watch(ashford_list, "00123456", "ASH-004", "Newly Added Ltd")
    _watch(ashford_list, "12345678", "ASH-005", "Next Year Ltd")
    set_profile("12345678", ch_profile("2026-03-31"))
    return ashford_list


def _watch(client_list, number: str, reference: str, name: str) -> ClientListEntry:
    company, _ = Company.objects.get_or_create(company_number=number, defaults={"name": name})
    return ClientListEntry.objects.create(
        client_list=client_list, company=company, client_reference=reference
    )


def test_deadlines_are_listed_overdue_first_then_nearest_then_none_then_no_data(mixed_clients, ashford):
    rows = deadlines_for(ashford.id, now=datetime(2025, 3, 24, 9, 0, tzinfo=UTC))
    assert [(r.company_number, r.deadline.kind if r.deadline else None, r.when) for r in rows] == [
        ("09876543", "accounts", "Overdue by 52 days"),
        ("SC123456", "confirmation-statement", "Overdue by 23 days"),
        ("SC123456", "accounts", "17 days left"),
        ("09876543", "confirmation-statement", "27 days left"),
        ("12345678", "accounts", "372 days left"),
        ("OC301234", None, "No deadlines on record"),
        ("00123456", None, "No data yet"),
    ]
    assert rows[0].references == ("ASH-001",) and rows[0].company_name == "Green Leaf Cafe Ltd"
    assert rows[0].ch_url == CH + "09876543"


def test_deadlines_of_one_list_only_and_never_of_another_organisations_list(
    mixed_clients, ashford, baxter_list
):
    scottish = ClientList.objects.create(organisation=ashford, name="Scottish clients")
    ClientListEntry.objects.create(client_list=scottish, company_id="SC123456", client_reference="SCOT-1")
    rows = deadlines_for(ashford.id, scottish.id)
    assert {r.company_number for r in rows} == {"SC123456"}
    assert {r.references for r in rows} == {("SCOT-1",)}
    assert deadlines_for(ashford.id, baxter_list.id) == []
    everything = deadlines_for(ashford.id)
    assert {r.references for r in everything if r.company_number == "SC123456"} == {("ASH-002", "SCOT-1")}


# --- the page -------------------------------------------------------------------------------


def page_url(organisation) -> str:
    return reverse("deadlines", args=[organisation.id])


def test_the_deadlines_page_needs_a_login(client, ashford):
    response = client.get(page_url(ashford))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_another_organisations_deadlines_do_not_exist_for_a_non_member(client, carol, baxter, baxter_list):
    set_profile("NI654321", ch_profile("2025-03-31"))
    client.force_login(carol)
    assert client.get(page_url(baxter)).status_code == 404
    assert client.get(reverse("deadlines", args=[987654])).status_code == 404


@time_machine.travel(datetime(2025, 3, 24, 9, 0, tzinfo=UTC))
def test_a_member_sees_their_clients_deadlines_with_overdue_ones_first_and_marked(
    client, mixed_clients, carol, ashford, baxter_list
):
    set_profile("NI654321", ch_profile("2025-03-01", accounts_overdue=True))
    client.force_login(carol)
    response = client.get(page_url(ashford))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("Overdue by 52 days") < page.index("Overdue by 23 days") < page.index("17 days left")
    assert page.count('<tr class="overdue">') == 2
    assert "Green Leaf Cafe Ltd" in page and "Your ref: ASH-001" in page and "31 January 2025" in page
    assert f'href="{CH}SC123456"' in page
    assert "No data yet" in page and "2 overdue." in page and "24 March 2025" in page
    assert "Byrne" not in page and "BAX-SECRET-1" not in page and "NI654321" not in page


def test_the_page_filters_by_client_list(client, mixed_clients, carol, ashford, baxter_list):
    scottish = ClientList.objects.create(organisation=ashford, name="Scottish clients")
    ClientListEntry.objects.create(client_list=scottish, company_id="SC123456")
    client.force_login(carol)
    filtered = client.get(page_url(ashford), {"list": scottish.id})
    assert {r.company_number for r in filtered.context["rows"]} == {"SC123456"}
    assert f'<option value="{scottish.id}" selected>' in filtered.content.decode()
    assert (
        filtered.context["rows"]
        and client.get(page_url(ashford), {"list": baxter_list.id}).context["rows"] == []
    )
    assert len(client.get(page_url(ashford), {"list": "nonsense"}).context["rows"]) == 7  # no filter


def test_names_and_references_on_the_page_are_escaped(client, ashford_list, carol, ashford):
    Company.objects.filter(pk="09876543").update(name="<script>alert('x')</script>")
    ClientListEntry.objects.filter(company_id="09876543").update(client_reference="<b>REF</b>")
    set_profile("09876543", ch_profile("2025-03-31"))
    client.force_login(carol)
    page = client.get(page_url(ashford)).content.decode()
    assert "<script>alert" not in page and "<b>REF" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page and "&lt;b&gt;REF&lt;/b&gt;" in page


def test_the_feed_links_to_its_organisations_deadlines(client, carol, ashford):
    client.force_login(carol)
    page = client.get(reverse("feed", args=[ashford.id])).content.decode()
    assert f'href="{page_url(ashford)}"' in page


# --- reminders ------------------------------------------------------------------------------


def test_reminders_go_at_30_7_and_1_days_and_when_overdue_each_once(green_leaf_due, ashford, alice):
    run_daily(date(2025, 2, 1), date(2025, 4, 20))  # twice every day
    assert titles(ashford) == [
        "Accounts due in 30 days (31 March 2025)",
        "Accounts due in 7 days (31 March 2025)",
        "Accounts due in 1 day (31 March 2025)",
        "Accounts are overdue (due 31 March 2025)",
    ]
    sent = DeadlineReminder.objects.order_by("id").values_list("kind", "due_date", "stage")
    assert list(sent) == [("accounts", DUE, stage) for stage in ("30", "7", "1", "overdue")]


def test_a_reminder_missed_on_its_day_goes_late_once_but_never_an_older_one_after_a_newer_one(
    green_leaf_due, ashford, alice
):
    send_deadline_reminders(today=date(2025, 2, 27))  # 32 days: nothing yet
    send_deadline_reminders(today=date(2025, 3, 26))  # the job did not run for a month: 5 days left
    run_daily(date(2025, 3, 26), date(2025, 3, 29))  # (not on the 30th)
    send_deadline_reminders(today=date(2025, 3, 31))  # the due day
    send_deadline_reminders(today=date(2025, 4, 3))  # nor on the 1st and 2nd
    run_daily(date(2025, 4, 4), date(2025, 4, 6))
    assert titles(ashford) == [
        "Accounts due in 5 days (31 March 2025)",  # the 7-day reminder, late; the 30-day one never
        "Accounts due today (31 March 2025)",  # the 1-day reminder, late
        "Accounts are overdue (due 31 March 2025)",
    ]
    assert list(DeadlineReminder.objects.order_by("id").values_list("stage", flat=True)) == [
        "7",
        "1",
        "overdue",
    ]


def test_an_older_stage_is_never_sent_after_a_newer_one_when_the_days_change(
    green_leaf_due, ashford, settings
):
    send_deadline_reminders(today=date(2025, 3, 30))  # the 1-day reminder
    settings.DEADLINE_REMINDER_DAYS = [7]
    send_deadline_reminders(today=date(2025, 3, 31))  # the 7-day stage is reached, but is older
    assert titles(ashford) == ["Accounts due in 1 day (31 March 2025)"]


def test_the_reminder_days_are_configurable(green_leaf_due, ashford, settings):
    settings.DEADLINE_REMINDER_DAYS = [14, 3]
    run_daily(date(2025, 3, 1), date(2025, 3, 31), runs_a_day=1)
    assert titles(ashford) == [
        "Accounts due in 14 days (31 March 2025)",
        "Accounts due in 3 days (31 March 2025)",
    ]


def test_a_new_due_date_gets_its_own_reminders(green_leaf_due, ashford):
    run_daily(date(2025, 3, 1), date(2025, 4, 2), runs_a_day=1)
    assert len(titles(ashford)) == 4
    set_profile("09876543", ch_profile("2026-03-31", "2027-01-10"))  # the accounts were filed
    run_daily(date(2026, 3, 1), date(2026, 3, 2))
    assert titles(ashford)[4:] == ["Accounts due in 30 days (31 March 2026)"]
    assert DeadlineReminder.objects.filter(due_date=date(2026, 3, 31)).count() == 1


def test_reminders_reach_every_watching_organisation_with_read_state_and_email_per_preferences(
    green_leaf_due, ashford, alice, carol, baxter, bob
):
    baxter_main = ClientList.objects.create(organisation=baxter, name="Baxter main")
    ClientListEntry.objects.create(client_list=baxter_main, company_id="09876543", client_reference="BAX-9")
    UserPreferences.objects.create(user=carol, modes={Category.ACCOUNTS: EmailMode.IMMEDIATE})

    send_deadline_reminders(today=date(2025, 3, 24))  # 7 days: normal, accounts' default is the digest
    seven = {n.organisation.name: n for n in Notification.objects.select_related("organisation")}
    assert set(seven) == {ashford.name, baxter.name}
    note = seven[ashford.name]
    assert (note.category, note.severity, note.stream) == (Category.ACCOUNTS, Severity.NORMAL, "deadlines")
    assert note.event_id is None and note.timepoint is None
    assert note.reminder == DeadlineReminder.objects.get(stage="7")
    assert note.title == "Accounts due in 7 days (31 March 2025)"
    assert (
        note.body
        == "Green Leaf Cafe Ltd (09876543) must deliver its accounts to Companies House by 31 March 2025."
    )
    assert (note.company_name, note.client_references) == ("Green Leaf Cafe Ltd", ["ASH-001"])
    assert seven[baxter.name].client_references == ["BAX-9"]
    assert note.links[0]["url"] == CH + "09876543"
    readers = sorted(UserNotification.objects.values_list("organisation__name", "user__username"))
    assert readers == [(ashford.name, "alice"), (ashford.name, "carol"), (baxter.name, "bob")]
    assert list(Delivery.objects.values_list("user__username", flat=True)) == ["carol"]

    send_deadline_reminders(today=date(2025, 3, 30))  # 1 day: urgent, so at once for everyone
    send_deadline_reminders(today=date(2025, 4, 1))  # overdue: urgent
    urgent = Notification.objects.filter(severity=Severity.URGENT)
    assert sorted(urgent.values_list("reminder__stage", flat=True)) == ["1", "1", "overdue", "overdue"]
    emailed = sorted(
        Delivery.objects.filter(notification__in=urgent).values_list(
            "notification__reminder__stage", "user__username"
        )
    )
    assert emailed == [(s, u) for s in ("1", "overdue") for u in ("alice", "bob", "carol")]
    assert all(d.status == Delivery.Status.PENDING for d in Delivery.objects.all())


def test_confirmation_statement_reminders_name_it(ashford_list, ashford):
    set_profile("SC123456", ch_profile(None, "2025-03-31"))
    send_deadline_reminders(today=date(2025, 3, 24))
    send_deadline_reminders(today=date(2025, 4, 1))
    notes = Notification.objects.filter(organisation=ashford).order_by("id")
    assert [(n.category, n.title) for n in notes] == [
        (Category.CONFIRMATION_STATEMENT, "Confirmation statement due in 7 days (31 March 2025)"),
        (Category.CONFIRMATION_STATEMENT, "Confirmation statement is overdue (due 31 March 2025)"),
    ]
    assert notes[1].body == (
        "Companies House shows the confirmation statement of McLeod Fishing Ltd (SC123456) as overdue: "
        "it was due by 31 March 2025."
    )


def test_an_organisation_that_mutes_accounts_gets_no_accounts_reminders(ashford_list, ashford):
    Organisation.objects.filter(pk=ashford.pk).update(muted_categories=[Category.ACCOUNTS])
    set_profile("09876543", ch_profile("2025-03-31", "2025-03-31"))
    send_deadline_reminders(today=date(2025, 3, 24))
    assert titles(ashford) == ["Confirmation statement due in 7 days (31 March 2025)"]


def test_companies_without_a_profile_or_deadlines_get_no_reminders(ashford_list, ashford):
    set_profile("SC123456", ch_profile("2025-01-31", accounts_overdue=True, status="dissolved"))
    run_daily(date(2025, 1, 1), date(2025, 4, 1), runs_a_day=1)
    assert not Notification.objects.exists() and not DeadlineReminder.objects.exists()


def test_after_commit_browsers_get_a_push_and_delivery_jobs_are_queued(
    green_leaf_due, ashford, alice, redis_client, django_capture_on_commit_callbacks, monkeypatch
):
    pushed = []
    monkeypatch.setattr("notifications.feed.live.push_new", pushed.append)
    with django_capture_on_commit_callbacks(execute=True):
        send_deadline_reminders(today=date(2025, 4, 1))
    note = Notification.objects.get()
    assert pushed == [{ashford.id: [note.id]}]
    queued = queueing.queue().get_jobs()
    assert [(j.func_name, j.args) for j in queued] == [
        ("notifications.jobs.deliver", ([Delivery.objects.get().id],))
    ]


def test_the_reminders_job_runs_on_a_real_queue_counting_days_in_the_uk(
    green_leaf_due, ashford, alice, redis_client, django_capture_on_commit_callbacks
):
    # 30 March, 23:30 UTC is already 31 March in London (BST): the due day, so the 1-day stage.
    with time_machine.travel(datetime(2025, 3, 30, 23, 30, tzinfo=UTC), tick=True):
        queueing.queue().enqueue("notifications.jobs.send_deadline_reminders")
        with django_capture_on_commit_callbacks(execute=True):
            assert run_jobs() == 1
    assert titles(ashford) == ["Accounts due today (31 March 2025)"]
    assert Notification.objects.get().severity == Severity.URGENT


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_send_each_reminder_once(green_leaf_due, ashford, alice, monkeypatch):
    """Both runs see no reminder sent, then both insert it: the second waits for the first's commit
    and skips it."""
    both_checked = threading.Barrier(2, timeout=10)
    create_once = deadlines._create_once

    def after_both_checked(*args):
        both_checked.wait()
        return create_once(*args)

    monkeypatch.setattr(deadlines, "_create_once", after_both_checked)
    monkeypatch.setattr(deadlines, "announce", lambda result: None)
    made, errors = [], []

    def run():
        try:
            made.append(send_deadline_reminders(today=date(2025, 3, 24)).reminders)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and sorted(made) == [0, 1]
    assert titles(ashford) == ["Accounts due in 7 days (31 March 2025)"]
    assert UserNotification.objects.count() == 1


# --- settings and schedule ------------------------------------------------------------------


def test_reminder_days_come_from_the_environment_strictly():
    good = run_with_settings(
        "project.settings", {"DEADLINE_REMINDER_DAYS": "14, 3,14"}, "print(s.DEADLINE_REMINDER_DAYS)"
    )
    assert good.stdout.strip() == "[14, 3]"
    bad = run_with_settings("project.settings", {"DEADLINE_REMINDER_DAYS": "30,seven"})
    assert bad.returncode != 0 and "DEADLINE_REMINDER_DAYS must be whole numbers" in bad.stderr


def test_the_reminders_job_is_scheduled_daily_once(redis_client):
    scheduler = django_rq.get_scheduler("default")
    register(scheduler)
    assert register(scheduler)["clientwatch-deadline-reminders"] == "unchanged"
    (job,) = [j for j in scheduler.get_jobs() if j.id == "clientwatch-deadline-reminders"]
    assert (job.func_name, job.meta["cron_string"]) == (
        "notifications.jobs.send_deadline_reminders",
        "0 7 * * *",
    )
