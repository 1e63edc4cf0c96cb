"""Failed logins are counted per username in Redis: past the limit that username's logins are
refused for the rest of the window, on the site's login page and the admin's alike. On the
machine's Redis and on Redis 6.2 alike; with Redis down or refusing, logins go on and the log
says which step failed."""

from __future__ import annotations

import logging
import time

import pytest
from django.urls import reverse

from notifications.practices import login_throttle

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.redis_servers"]
UNREACHABLE = "redis://:not-a-real-password@127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_FAILURE_WINDOW = 900


def log_in(client, username: str, password: str, url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def test_past_the_limit_even_the_right_password_is_refused_with_a_plain_message(client, alice, redis_server):
    for _ in range(3):
        assert log_in(client, "alice", "wrong").status_code == 200  # the form again, with its error

    response = log_in(client, "alice", "correct-horse")

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed logins for this username. Try again in 15 minutes" in response.content.decode()


def test_one_username_locked_out_leaves_the_others_alone(client, alice, bob, redis_server):
    for _ in range(3):
        log_in(client, "alice", "wrong")
    assert log_in(client, "bob", "correct-horse").status_code == 302
    assert client.session["_auth_user_id"] == str(bob.id)


def test_a_successful_login_clears_the_failures_before_it(client, alice, redis_server):
    for _ in range(2):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "correct-horse").status_code == 302
    client.logout()
    for _ in range(2):  # two more: the count started again after the success
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "correct-horse").status_code == 302


def test_the_username_is_counted_whatever_its_case_or_spaces(client, alice, redis_server):
    for username in ("alice", "ALICE", " Alice "):
        log_in(client, username, "wrong")
    assert login_throttle.wait_seconds("alice") > 0


def test_the_admin_login_is_throttled_too(client, alice, redis_server):
    url = reverse("admin:login")
    for _ in range(3):
        log_in(client, "alice", "wrong", url)
    response = log_in(client, "alice", "correct-horse", url)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed logins" in response.content.decode()


def test_after_the_window_the_username_may_log_in_again(client, alice, settings, redis_server):
    settings.LOGIN_FAILURE_WINDOW = 1
    for _ in range(3):
        log_in(client, "alice", "wrong")
    assert login_throttle.wait_seconds("alice") == 1
    time.sleep(1.2)  # Redis expires the count itself
    assert log_in(client, "alice", "correct-horse").status_code == 302


def test_without_redis_logins_go_on_unthrottled(client, alice, settings, caplog):
    settings.REDIS_URL = UNREACHABLE
    started = time.monotonic()
    for _ in range(5):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "correct-horse").status_code == 302
    assert time.monotonic() - started < 10  # no waiting out retries on every login
    assert "login throttle unavailable" in caplog.text


def test_redis_holds_no_username(client, alice, redis_server):
    log_in(client, "alice", "wrong")
    (key,) = redis_server.client().keys(f"{login_throttle.PREFIX}:*")
    assert b"alice" not in key


def test_the_window_starts_at_the_first_failure_and_later_ones_do_not_stretch_it(client, alice, redis_server):
    redis = redis_server.client()
    log_in(client, "alice", "wrong")
    (key,) = redis.keys(f"{login_throttle.PREFIX}:*")
    assert 899 <= redis.ttl(key) <= 900
    redis.pexpire(key, 5000)  # as if the first failure were almost 15 minutes ago
    log_in(client, "alice", "wrong")
    assert redis.get(key) == b"2" and 0 < redis.pttl(key) <= 5000


def test_a_count_left_without_an_expiry_gets_one_at_the_next_failure(client, alice, redis_server):
    redis = redis_server.client()
    redis.set(login_throttle._key("alice"), 1)  # (made by hand, or restored from a dump)
    log_in(client, "alice", "wrong")
    assert 0 < redis.ttl(login_throttle._key("alice")) <= 900


def test_every_step_of_the_throttle_that_fails_is_logged_without_the_username_or_a_password(settings, caplog):
    settings.REDIS_URL = UNREACHABLE
    with caplog.at_level(logging.WARNING, logger="notifications.practices.login_throttle"):
        assert login_throttle.wait_seconds("alice") == 0
        login_throttle.record_failure("alice")
        login_throttle.clear("alice")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert "could not check for a lockout, so this login is not throttled (ConnectionError" in messages[0]
    assert "could not count a failed login (ConnectionError" in messages[1]
    assert "could not clear the failures before a successful login (ConnectionError" in messages[2]
    assert all("login throttle unavailable" in m and "127.0.0.1:1" in m for m in messages)
    assert "alice" not in caplog.text and "not-a-real-password" not in caplog.text


def test_a_command_redis_refuses_is_logged_and_the_login_goes_on(client, alice, redis_server, caplog):
    redis_server.client().lpush(login_throttle._key("alice"), "not a count")  # the wrong type of key
    with caplog.at_level(logging.WARNING, logger="notifications.practices.login_throttle"):
        assert log_in(client, "alice", "wrong").status_code == 200
        assert log_in(client, "alice", "correct-horse").status_code == 302
    refused = [r.getMessage() for r in caplog.records if "WRONGTYPE" in r.getMessage()]
    assert len(refused) == 3  # two checks for a lockout and one count, each said
    assert any("could not count a failed login (ResponseError: " in m for m in refused)
