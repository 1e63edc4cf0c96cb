"""Failed logins are counted per username in Redis: past the limit that username's logins are
refused for the rest of the window, on the site's login page and the admin's alike."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from notifications import login_throttle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings, redis_client):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_FAILURE_WINDOW = 900


def log_in(client, username: str, password: str, url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def test_past_the_limit_even_the_right_password_is_refused_with_a_plain_message(client, alice):
    for _ in range(3):
        assert log_in(client, "alice", "wrong").status_code == 200  # the form again, with its error

    response = log_in(client, "alice", "correct-horse")

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed logins for this username. Try again in 15 minutes" in response.content.decode()


def test_one_username_locked_out_leaves_the_others_alone(client, alice, bob):
    for _ in range(3):
        log_in(client, "alice", "wrong")
    assert log_in(client, "bob", "correct-horse").status_code == 302
    assert client.session["_auth_user_id"] == str(bob.id)


def test_a_successful_login_clears_the_failures_before_it(client, alice):
    for _ in range(2):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "correct-horse").status_code == 302
    client.logout()
    for _ in range(2):  # two more: the count started again after the success
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "correct-horse").status_code == 302


def test_the_username_is_counted_whatever_its_case_or_spaces(client, alice):
    for username in ("alice", "ALICE", " Alice "):
        log_in(client, username, "wrong")
    assert login_throttle.wait_seconds("alice") > 0


def test_the_admin_login_is_throttled_too(client, alice):
    url = reverse("admin:login")
    for _ in range(3):
        log_in(client, "alice", "wrong", url)
    response = log_in(client, "alice", "correct-horse", url)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed logins" in response.content.decode()


def test_after_the_window_the_username_may_log_in_again(client, alice, settings):
    settings.LOGIN_FAILURE_WINDOW = 1
    for _ in range(3):
        log_in(client, "alice", "wrong")
    assert login_throttle.wait_seconds("alice") == 1
    time.sleep(1.2)  # Redis expires the count itself
    assert log_in(client, "alice", "correct-horse").status_code == 302


def test_without_redis_logins_go_on_unthrottled(client, alice, monkeypatch, caplog):
    monkeypatch.setattr(login_throttle, "_redis", lambda: login_throttle.client("redis://127.0.0.1:1/0"))
    started = time.monotonic()
    for _ in range(5):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "correct-horse").status_code == 302
    assert time.monotonic() - started < 10  # no waiting out retries on every login
    assert "login throttle unavailable" in caplog.text


def test_redis_holds_no_username(client, alice, redis_client):
    log_in(client, "alice", "wrong")
    (key,) = redis_client.keys(f"{login_throttle.PREFIX}:*")
    assert b"alice" not in key
