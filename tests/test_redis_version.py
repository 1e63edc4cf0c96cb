"""Redis 6.2 or newer, checked at start-up: `manage.py waitforredis` (which the Procfile runs before
each process that uses Redis) passes on the machine's Redis and on the embedded 6.2, and stops at
once, naming the version needed, on anything older."""

from __future__ import annotations

import time

import pytest
import redis
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from streams.redis_version import RedisTooOld, parse_version, require_redis_version

pytest_plugins = ["tests.redis_servers"]


class AnswersInfo:
    """A client whose INFO says `version`, as a server of that version would."""

    def __init__(self, version) -> None:
        self.version = version

    def info(self, section: str) -> dict:
        assert section == "server"
        return {"redis_version": self.version}


@pytest.mark.parametrize("version", ["6.2.0", "6.2.14", "7.0.15", "7.2.4-rc1", "8.0.2", "10.0.0", 7.2])
def test_redis_6_2_and_every_newer_version_is_accepted(version):
    assert require_redis_version(AnswersInfo(version)) == str(version)


@pytest.mark.parametrize("version", ["6.0.16", "5.0.7", "4.0.9", "2.8.24", "", "unknown"])
def test_an_older_redis_is_refused_with_the_version_needed_and_the_one_that_answered(version):
    with pytest.raises(RedisTooOld) as refused:
        require_redis_version(AnswersInfo(version))
    assert str(refused.value).startswith(
        f"Redis 6.2 or newer is needed; REDIS_URL answers with Redis {version}. Upgrade that server"
    )


def test_versions_compare_by_their_numbers_not_as_text():
    assert parse_version("6.10.1") > parse_version("6.2.14") > parse_version("6.2")
    assert parse_version("7.2.4-rc1") == (7, 2, 4)


def test_the_real_servers_report_the_versions_the_tests_are_parametrised_for(machine_redis, embedded_redis):
    assert parse_version(require_redis_version(machine_redis.client())) >= (7, 0)
    assert parse_version(require_redis_version(embedded_redis.client()))[:2] == (6, 2)


def test_waitforredis_passes_on_the_machines_redis_and_on_redis_6_2(redis_server):
    call_command("waitforredis", "--timeout", "5")


def test_waitforredis_stops_at_once_naming_the_version_needed_when_redis_is_older(redis_server, monkeypatch):
    monkeypatch.setattr(redis.Redis, "info", lambda self, section=None: {"redis_version": "5.0.7"})
    started = time.monotonic()
    needed = r"^Redis 6\.2 or newer is needed; REDIS_URL answers with Redis 5\.0\.7\. "
    with pytest.raises(CommandError, match=needed):
        call_command("waitforredis", "--timeout", "30")
    assert time.monotonic() - started < 5  # not retried until the timeout: waiting cannot help


def test_manage_py_waitforredis_exits_non_zero_with_that_message(redis_server, monkeypatch, capsys):
    monkeypatch.setattr(redis.Redis, "info", lambda self, section=None: {"redis_version": "6.0.16"})
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "waitforredis"])
    assert exited.value.code == 1
    assert "Redis 6.2 or newer is needed; REDIS_URL answers with Redis 6.0.16" in capsys.readouterr().err


def test_waitforredis_says_so_when_redis_answers_ping_but_not_info(redis_server, monkeypatch):
    def refuse(self, section=None):
        raise redis.ResponseError("unknown command 'INFO'")

    monkeypatch.setattr(redis.Redis, "info", refuse)
    with pytest.raises(CommandError, match="answered PING but not INFO: unknown command 'INFO'"):
        call_command("waitforredis", "--timeout", "1")
