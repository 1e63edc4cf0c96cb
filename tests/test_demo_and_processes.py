"""What `make run` relies on: demo data, the Redis wait, the embedded Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.core.management.base import CommandError

from notifications.models import ClientList, Membership
from notifications.practices.demo import DEMO_COMPANIES, DEMO_LIST, DEMO_ORGANISATION
from project.devrun import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_demo_command_creates_a_practice_users_and_list_and_can_run_again(capsys, django_user_model):
    call_command("demo", "--url", "http://127.0.0.1:8000/")
    call_command("demo")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/" in out
    assert "login: demo / demo" in out and "login: admin / admin" in out
    client_list = ClientList.objects.get(organisation__name=DEMO_ORGANISATION, name=DEMO_LIST)
    assert client_list.entries.count() == len(DEMO_COMPANIES)
    demo = django_user_model.objects.get(username="demo")
    assert demo.check_password("demo") and demo.is_staff and not demo.is_superuser
    assert Membership.objects.get(user=demo).role == Membership.Role.ADMIN
    assert django_user_model.objects.get(username="admin").is_superuser


def test_waitforredis_returns_when_redis_answers_and_fails_clearly_when_not(settings, redis_client):
    call_command("waitforredis", "--timeout", "1")
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    with pytest.raises(CommandError, match=r"did not answer within 0\.5 s"):
        call_command("waitforredis", "--timeout", "0.5")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_embedded_redis_serves_on_its_port_and_stops_on_sigterm(tmp_path):
    server = EmbeddedRedis(_free_port(), tmp_path / "redis.log")
    server.start()
    try:
        client = redis.Redis(port=server.port, socket_connect_timeout=1)
        assert client.set("ping", "pong") and client.get("ping") == b"pong"
        assert client.info("server")["redis_version"].startswith("6.2")
    finally:
        assert server.stop() == 0


def test_the_embedded_redis_says_why_it_could_not_start(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(SystemExit, match="could not start on port"):
            EmbeddedRedis(taken.getsockname()[1], tmp_path / "redis.log").start(timeout=5)
    finally:
        taken.close()


def test_the_suite_stops_with_a_plain_message_when_a_service_does_not_answer():
    dead = f"redis://127.0.0.1:{_free_port()}/0"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_company_numbers.py"],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": dead},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4  # pytest's "usage error"
    port = dead.split(":")[2].split("/")[0]
    assert f"ERROR: Cannot run the tests: Redis at REDIS_URL (redis://127.0.0.1:{port}/" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
