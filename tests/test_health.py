"""/healthz and /readyz: ready only when PostgreSQL, Redis and every expected stream answer."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from streams.models import StreamState
from tests.notifykit import process_env
from tests.streamkit import free_port, wait_until

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def streams(settings):
    settings.READY_STREAMS = ["filings", "companies"]
    settings.READY_HEARTBEAT_SECONDS = 120
    now = timezone.now()
    for stream in settings.READY_STREAMS:
        StreamState.objects.create(stream=stream, connected=True, heartbeat_at=now - timedelta(seconds=5))


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_when_the_database_redis_and_every_stream_answer(client, streams):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "redis", "stream:filings", "stream:companies"}


def test_a_stream_without_a_fresh_heartbeat_makes_it_not_ready_and_is_named(client, streams):
    StreamState.objects.filter(stream="companies").update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503 and body["failed"] == ["stream:companies"]
    assert body["checks"]["stream:companies"]["detail"].startswith("no heartbeat for 3")


def test_a_disconnected_or_never_started_stream_makes_it_not_ready(client, streams, settings):
    StreamState.objects.filter(stream="filings").update(connected=False, last_error="ConnectError: refused")
    settings.READY_STREAMS = ["filings", "companies", "officers"]
    body = client.get("/readyz").json()
    assert body["failed"] == ["stream:filings", "stream:officers"]
    assert "refused" in body["checks"]["stream:filings"]["detail"]
    assert body["checks"]["stream:officers"]["detail"] == "the listener has never connected"


def test_redis_not_answering_makes_it_not_ready(client, streams, settings):
    queues = copy.deepcopy(settings.RQ_QUEUES)
    queues["default"]["URL"] = "redis://127.0.0.1:1/0"
    settings.RQ_QUEUES = queues
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["redis"]


@pytest.mark.slow
def test_the_database_not_answering_makes_a_real_web_process_not_ready_but_still_alive():
    port = free_port()
    env = process_env() | {"DATABASE_URL": "postgres://root@127.0.0.1:1/nowhere"}
    web = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "project.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        alive = wait_until(lambda: _get(port, "/healthz"), timeout=30)
        assert alive.status_code == 200
        ready = _get(port, "/readyz")
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["database"]
    finally:
        web.terminate()
        web.wait(10)


def _get(port: int, path: str):
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    except httpx.HTTPError:
        return None


def test_with_a_metrics_token_only_its_bearer_reads_what_went_wrong(client, streams, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    StreamState.objects.filter(stream="filings").update(
        connected=False, last_error="ConnectError: db7.internal"
    )

    public = client.get("/readyz")
    assert public.status_code == 503 and public.json()["failed"] == ["stream:filings"]
    assert "db7.internal" not in public.content.decode()

    operator = client.get("/readyz", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789").json()
    assert "db7.internal" in operator["checks"]["stream:filings"]["detail"]
