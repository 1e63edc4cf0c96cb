"""Backfill: companies added to a list get their profile and newest filings from CH's REST API (the
simulator here), within CH's rate limit, through jobs queued after commit."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import django_rq
import pytest
import redis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notifications.models import ClientList, ClientListEntry
from notifications.practices.client_csv import ClientRow
from notifications.practices.client_lists import import_rows
from streams.backfill import BACKFILL_OFF_MESSAGE
from streams.client import fetch_company_profile, rest_client
from streams.models import Company
from streams.rate_limit import RateLimiter
from tests.notifykit import process_env, run_jobs
from tests.streamkit import filing, profile

pytestmark = pytest.mark.django_db

API_KEY = "simulator-api-key"  # SimConfig's default REST key
ROOT = Path(__file__).resolve().parent.parent
WORKER_CLASS = ("--worker-class", "notifications.worker.WarmWorker")  # as the Procfile runs it


@pytest.fixture
def api(sim, settings, redis_client):
    """Backfill switched on against the simulator, with CH's real limit and an empty limiter."""
    settings.CH_API_URL = sim.url
    settings.CH_API_KEY = API_KEY
    settings.CH_API_RATE_LIMIT = 600
    settings.CH_API_RATE_WINDOW = 300
    return sim


def seed(sim, companies: list[tuple[dict, list[dict]]]) -> None:
    body = {"companies": [{"profile": p, "filings": f} for p, f in companies]}
    sim.http.post("/_sim/companies", json=body, timeout=60).raise_for_status()


def sim_limit(sim, limit: int, window: float) -> None:
    sim.http.post("/_sim/api", json={"rate_limit": limit, "rate_window": window}).raise_for_status()


def answered(sim) -> dict[str, int]:
    """REST responses the simulator gave, by status."""
    return sim.http.get("/_sim/api").json()["statuses"]


def queued() -> int:
    return django_rq.get_queue("default").count


def filings_of(number: str, count: int) -> list[dict]:
    """`count` filings, the first filed on 2020-01-01 and each a day after the one before."""
    return [
        filing(number, f"TX{number}{day:03d}", date=f"2020-{1 + day // 28:02d}-{1 + day % 28:02d}")["data"]
        for day in range(count)
    ]


def add_in_admin(client, client_list: ClientList, number: str):
    return client.post(
        reverse("admin:notifications_clientlistentry_add"),
        {"client_list": client_list.pk, "company_number": number, "client_reference": "NEW-1"},
    )


def import_csv(client, client_list: ClientList, text: str):
    url = reverse("admin:notifications_clientlist_import", args=[client_list.pk])
    preview = client.post(url, {"file": SimpleUploadedFile("clients.csv", text.encode(), "text/csv")})
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    return client.post(url, {"payload": payload})


def test_adding_a_company_in_the_admin_backfills_its_profile_and_newest_filings(
    api, client, alice, ashford_list, django_capture_on_commit_callbacks
):
    ch_profile = profile("12345678", "Hughes Joinery Ltd", company_status="active")["data"]
    seed(api, [(ch_profile, filings_of("12345678", 30))])
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        assert add_in_admin(client, ashford_list, "12345678").status_code == 302
    assert run_jobs() == 1

    company = Company.objects.get(pk="12345678")
    assert company.profile == ch_profile
    assert company.profile_timepoint is None  # a baseline: the first stream event replaces it
    assert (company.name, company.status) == ("Hughes Joinery Ltd", "active")
    assert len(company.recent_filings) == 25
    assert company.recent_filings[0]["transaction_id"] == "TX12345678029"  # newest first
    assert company.backfilled_at is not None
    assert answered(api) == {"200": 3}  # profile, filings and officers


def test_a_profile_the_stream_already_gave_is_not_overwritten(
    api, ashford_list, django_capture_on_commit_callbacks
):
    stream_profile = profile("12345678", "Hughes Joinery Ltd", company_status="liquidation")["data"]
    Company.objects.create(
        company_number="12345678",
        name="Hughes Joinery Ltd",
        status="liquidation",
        profile=stream_profile,
        profile_timepoint=82_000_123,
    )
    older = profile("12345678", "Hughes Joinery Ltd", company_status="active")["data"]
    seed(api, [(older, filings_of("12345678", 2))])

    with django_capture_on_commit_callbacks(execute=True):
        ClientListEntry.objects.create(client_list=ashford_list, company_id="12345678")
    run_jobs()

    company = Company.objects.get(pk="12345678")
    assert company.profile == stream_profile
    assert (company.status, company.profile_timepoint) == ("liquidation", 82_000_123)
    assert [f["transaction_id"] for f in company.recent_filings] == ["TX12345678001", "TX12345678000"]
    assert company.backfilled_at is not None


def test_a_company_ch_does_not_know_is_recorded_once_and_never_asked_about_again(
    api, ashford_list, baxter_list, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ClientListEntry.objects.create(
            client_list=ashford_list, company=Company.objects.create(company_number="99999999")
        )
    run_jobs()

    company = Company.objects.get(pk="99999999")
    assert company.backfilled_at is not None
    assert company.profile is None and company.recent_filings is None
    assert answered(api) == {"404": 1}  # no filing-history request for an unknown company

    with django_capture_on_commit_callbacks(execute=True):
        ClientListEntry.objects.create(client_list=baxter_list, company_id="99999999")
    assert queued() == 0
    assert answered(api) == {"404": 1}


def test_a_429_from_ch_is_waited_out_per_retry_after_and_the_work_completes(
    api, ashford_list, django_capture_on_commit_callbacks
):
    numbers = ["10000001", "10000002", "10000003"]
    seed(api, [(profile(n, f"Company {n} Ltd")["data"], filings_of(n, 1)) for n in numbers])
    sim_limit(api, 3, 1.0)  # CH's limit is lower than the one we were told: a 429 will come

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        for number in numbers:
            ClientListEntry.objects.create(
                client_list=ashford_list, company=Company.objects.create(company_number=number)
            )
    run_jobs()

    statuses = answered(api)
    assert 1 <= statuses["429"] <= 3  # after a 429 every request waits for its Retry-After
    assert statuses["200"] == 9
    assert time.monotonic() - started >= 1.0
    done = Company.objects.filter(pk__in=numbers, backfilled_at__isnull=False, profile__isnull=False)
    assert done.count() == 3


def test_a_job_that_cannot_get_a_slot_soon_queues_the_rest_for_later_instead_of_waiting(
    api, settings, ashford_list, django_capture_on_commit_callbacks
):
    settings.CH_API_RATE_LIMIT, settings.CH_API_RATE_WINDOW = 3, 60  # one company per minute
    numbers = ["10000001", "10000002", "10000003"]
    seed(api, [(profile(n, f"Company {n} Ltd")["data"], []) for n in numbers])

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(ashford_list, [ClientRow(i, n, "", "") for i, n in enumerate(numbers, 1)], added_by=None)
    assert run_jobs() == 1

    assert time.monotonic() - started < 10  # the worker was not held for the minute
    assert list(Company.objects.filter(backfilled_at__isnull=False).values_list("pk", flat=True)) == [
        "10000001"
    ]
    assert answered(api) == {"200": 3}
    scheduler = django_rq.get_scheduler("default")
    [(job, at)] = list(scheduler.get_jobs(with_times=True))
    assert job.func_name == "notifications.jobs.backfill"
    assert job.args == (["10000002", "10000003"],)
    assert 55 <= (at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds() <= 75
    assert job.retries_left == 5  # a re-queued job keeps RQ's Retry


def test_workers_sharing_the_limiter_fill_each_window_to_the_limit_and_never_past_it(api, redis_client):
    limit, window = 40, 1.0
    sim_limit(api, limit, window)
    seed(api, [(profile("10000001")["data"], [])])

    def worker() -> None:  # a limiter of its own, as each worker process has
        limiter = RateLimiter(redis.Redis.from_url(django_settings.REDIS_URL), limit=limit, window=window)
        with rest_client(api.url, API_KEY) as client:
            for _ in range(40):
                with limiter.slot(max_wait=5):
                    fetch_company_profile(client, "10000001")

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    elapsed = time.monotonic() - started

    stats = api.http.get("/_sim/api").json()
    assert stats["statuses"] == {"200": 120}
    assert stats["peak"] == limit  # the windows were full, and never fuller
    assert elapsed >= 2 * window  # 120 requests at 40 a window: three windows


@pytest.mark.django_db(transaction=True)  # the workers are processes of their own
def test_importing_2000_companies_queues_40_jobs_that_two_workers_finish_without_one_429(
    api, settings, client, alice, ashford
):
    limit, window = 300, 1  # requests per second, for CH and for our limiter alike
    settings.CH_API_RATE_LIMIT, settings.CH_API_RATE_WINDOW = limit, window
    sim_limit(api, limit, window)
    numbers = [f"2{i:07d}" for i in range(2000)]
    seed(api, [(profile(n, f"Client {n} Ltd")["data"], filings_of(n, 2)) for n in numbers])
    big_list = ClientList.objects.create(organisation=ashford, name="Everyone")
    client.force_login(alice)

    csv = "company_number,client_reference,company_name\n" + "".join(f"{n},REF-{n},\n" for n in numbers)
    assert import_csv(client, big_list, csv).status_code == 302
    assert queued() == 40  # 50 companies a job, not 2,000 jobs

    env = process_env(
        CH_API_URL=api.url, CH_API_KEY=API_KEY, CH_API_RATE_LIMIT=str(limit), CH_API_RATE_WINDOW=str(window)
    )
    command = [sys.executable, "manage.py", "rqworker", "default", "--burst", *WORKER_CLASS]
    started = time.monotonic()
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=90)
        assert worker.returncode == 0, stderr.decode()[-2000:]
    elapsed = time.monotonic() - started

    assert Company.objects.filter(pk__in=numbers, backfilled_at__isnull=False).count() == 2000
    stored = Company.objects.filter(pk__in=numbers).values_list("recent_filings", flat=True)
    assert {len(filings) for filings in stored} == {2}
    stats = api.http.get("/_sim/api").json()
    assert stats["statuses"] == {"200": 6000}  # not a single 429 (profile, filings, officers each)
    assert stats["peak"] <= limit
    assert elapsed >= (6000 / limit - 1) * window  # the limiter held the work back
    print(f"2,000 companies in {elapsed:.1f} s; most requests in one window: {stats['peak']} of {limit}")


def test_without_an_api_key_nothing_is_queued_and_the_admin_says_so(
    settings, client, alice, ashford_list, redis_client, django_capture_on_commit_callbacks
):
    settings.CH_API_KEY = ""
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        done = import_csv(client, ashford_list, "12345678,ASH-010,Hughes Joinery Ltd\n")
    assert queued() == 0
    page = client.get(done.url).content.decode()
    assert "1 added" in page
    assert page.count("Backfill from Companies House is off: set CH_API_KEY") == 1

    change_page = client.get(reverse("admin:notifications_clientlist_change", args=[ashford_list.pk]))
    assert BACKFILL_OFF_MESSAGE in change_page.content.decode()


def test_a_company_left_without_a_baseline_is_backfilled_by_the_reconciler_at_most_hourly(
    api, ashford_list, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.reconcile import reconcile

    seed(api, [(profile("09876543", "Green Leaf Cafe Ltd")["data"], filings_of("09876543", 3))])
    # ashford_list's companies were added before backfill was on: no job was ever queued for them
    later = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile(later).backfills == 2
        assert reconcile(later).backfills == 0  # not again within the hour
    run_jobs()
    assert Company.objects.get(pk="09876543").recent_filings
    assert Company.objects.filter(backfilled_at=None).count() == 0  # SC123456 unknown to CH: recorded
