"""Failed logins are counted per username in Redis: past the limit that username's logins are
refused for the rest of the window, on the site's login page and the admin's alike. Where the
client's address is known (CLIENT_IP_HEADER), failures are counted per address too, across
usernames, so spraying one password over many usernames is refused. On the machine's Redis and on
Redis 6.2 alike; with Redis down or refusing, logins go on and the log says which step failed."""

from __future__ import annotations

import logging
import time

import pytest
from django.test import RequestFactory
from django.urls import reverse

from notifications.practices import login_throttle, throttle

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.redis_servers"]
UNREACHABLE = "redis://:not-a-real-password@127.0.0.1:1/0"  # nothing listens on port 1


SPRAYER = "203.0.113.66"  # the address the proxy saw, appended last to X-Forwarded-For


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_FAILURE_WINDOW = 900
    settings.CLIENT_IP_HEADER = ""
    settings.LOGIN_MAX_FAILURES_PER_IP = 50


@pytest.fixture
def per_address(settings):
    """Behind a proxy that appends the client's address to X-Forwarded-For; 5 failures per address."""
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.LOGIN_MAX_FAILURES_PER_IP = 5


def log_in(client, username: str, password: str, url: str = "/accounts/login/", ip: str | None = None):
    headers = {"X-Forwarded-For": f"192.0.2.1, {ip}"} if ip else {}
    return client.post(url, {"username": username, "password": password}, headers=headers)


def test_past_the_limit_even_the_right_password_is_refused_with_a_plain_message(client, alice, redis_server):
    for _ in range(3):
        assert log_in(client, "alice", "wrong").status_code == 200  # the form again, with its error

    response = log_in(client, "alice", "correct-horse")

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert (
        "Too many failed logins for this username. Try again in 15 minutes, or choose "
        "“Forgot your password?” to set a new password." in response.content.decode()
    )


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


def test_a_post_without_a_password_does_not_clear_the_failures_before_it(client, alice, redis_server):
    for _ in range(2):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "").status_code == 200  # "This field is required", nothing else
    log_in(client, "alice", "wrong")
    assert login_throttle.wait_seconds("alice") > 0  # the third failure, the blank post between


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
    assert "“Forgotten your login credentials?”" in response.content.decode()  # the admin page's link


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


# --- per client address: spraying ----------------------------------------------------------


@pytest.mark.usefixtures("per_address")
def test_spraying_a_password_over_many_usernames_gets_that_network_refused(
    client, alice, bob, carol, redis_server
):
    for username in ("alice", "bob", "carol", "dave", "erin"):  # one try each: no username's limit
        assert log_in(client, username, "Summer2025!", ip=SPRAYER).status_code == 200

    response = log_in(client, "bob", "correct-horse", ip=SPRAYER)

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed logins from your network. Try again in 15 minutes." in response.content.decode()
    assert login_throttle.wait_seconds("bob") == 0  # bob himself is not locked out elsewhere
    assert log_in(client, "bob", "correct-horse", ip="198.51.100.20").status_code == 302


@pytest.mark.usefixtures("per_address")
def test_the_admin_login_refuses_a_spraying_network_too(client, alice, bob, carol, redis_server):
    url = reverse("admin:login")
    for username in ("alice", "bob", "carol", "dave", "erin"):
        log_in(client, username, "Summer2025!", url, ip=SPRAYER)
    response = log_in(client, "alice", "correct-horse", url, ip=SPRAYER)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed logins from your network" in response.content.decode()


@pytest.mark.usefixtures("per_address")
def test_a_sprayers_own_good_login_does_not_clear_the_count_of_its_network(client, alice, bob, redis_server):
    for username in ("dave", "erin", "frank", "grace"):
        log_in(client, username, "Summer2025!", ip=SPRAYER)
    assert (
        log_in(client, "alice", "correct-horse", ip=SPRAYER).status_code == 302
    )  # the sprayer's own account
    client.logout()
    log_in(client, "heidi", "Summer2025!", ip=SPRAYER)
    assert "from your network" in log_in(client, "bob", "correct-horse", ip=SPRAYER).content.decode()


@pytest.mark.usefixtures("per_address")
def test_addresses_in_one_ipv6_64_count_as_one_network(client, alice, redis_server):
    for n in range(5):
        log_in(client, f"user{n}", "Summer2025!", ip=f"2001:db8:1:2::{n + 1:x}")
    assert log_in(client, "alice", "correct-horse", ip="2001:db8:1:2:ffff::1").status_code == 200
    assert log_in(client, "alice", "correct-horse", ip="2001:db8:1:3::1").status_code == 302


def test_with_no_client_ip_header_set_nothing_is_counted_per_address(client, alice, settings, redis_server):
    settings.LOGIN_MAX_FAILURES_PER_IP = 2
    for n in range(8):
        log_in(client, f"user{n}", "Summer2025!", ip=SPRAYER)
    assert log_in(client, "alice", "correct-horse", ip=SPRAYER).status_code == 302
    assert redis_server.client().keys(f"{login_throttle.IP_PREFIX}:*") == []


@pytest.mark.usefixtures("per_address")
def test_redis_holds_no_client_address(client, redis_server):
    log_in(client, "dave", "Summer2025!", ip=SPRAYER)
    (key,) = redis_server.client().keys(f"{login_throttle.IP_PREFIX}:*")
    assert SPRAYER.encode() not in key


@pytest.mark.usefixtures("per_address")
def test_without_redis_the_per_address_steps_are_logged_and_logins_go_on(client, alice, settings, caplog):
    settings.REDIS_URL = UNREACHABLE
    for n in range(6):
        log_in(client, f"user{n}", "Summer2025!", ip=SPRAYER)
    assert log_in(client, "alice", "correct-horse", ip=SPRAYER).status_code == 302
    assert "could not check a client address for a lockout" in caplog.text
    assert "could not count a failed login from a client address (ConnectionError" in caplog.text
    assert SPRAYER not in caplog.text


# --- where the client's address comes from --------------------------------------------------

CLIENT_IPS = [
    # (CLIENT_IP_HEADER, the request's META, what client_ip says)
    ("", {"REMOTE_ADDR": "198.51.100.20", "HTTP_X_FORWARDED_FOR": "198.51.100.21"}, None),
    ("REMOTE_ADDR", {"REMOTE_ADDR": "198.51.100.20"}, "198.51.100.20"),
    ("REMOTE_ADDR", {"REMOTE_ADDR": ""}, None),
    ("X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "198.51.100.21"}, "198.51.100.21"),
    ("X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "10.0.0.1, 192.0.2.9 ,198.51.100.21 "}, "198.51.100.21"),
    ("X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "198.51.100.21, not-an-address"}, None),
    ("X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "198.51.100.21,"}, None),
    ("X-Forwarded-For", {"REMOTE_ADDR": "198.51.100.20"}, None),  # the proxy did not set it
    ("X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "2001:DB8::1"}, "2001:db8::1"),
    ("x-real-ip", {"HTTP_X_REAL_IP": "198.51.100.22"}, "198.51.100.22"),
    ("X-Real-IP", {"HTTP_X_REAL_IP": "198.51.100.22:443"}, None),
]


@pytest.mark.parametrize(("header", "meta", "expected"), CLIENT_IPS)
def test_the_client_address_is_the_last_one_the_configured_header_holds(settings, header, meta, expected):
    settings.CLIENT_IP_HEADER = header
    request = RequestFactory().get("/accounts/login/")
    request.META = {key: value for key, value in request.META.items() if key != "REMOTE_ADDR"} | meta
    assert throttle.client_ip(request) == expected


def test_an_ipv4_address_written_as_ipv6_counts_as_the_ipv4_address():
    assert throttle.network("::ffff:198.51.100.20") == throttle.network("198.51.100.20") == "198.51.100.20"
    assert throttle.network("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
