"""Failed logins, counted in Redis (throttle.py) per username and per client address.

Per username: after LOGIN_MAX_FAILURES within LOGIN_FAILURE_WINDOW seconds, that username's logins
are refused, right password or not, until the window has passed. A password guesser gets a handful
of tries an hour instead of thousands; someone who mistyped is told plainly when to try again, and
may set a new password instead ("Forgot your password?": a reset clears the count). A successful
login clears the count too. The price: anyone can lock a known username out for a while, by
failing on purpose.

Per client address (throttle.client_ip, only where settings.CLIENT_IP_HEADER says where the address
is): after LOGIN_MAX_FAILURES_PER_IP failures within the same window, across any usernames, logins
from that address are refused. This is what stops spraying, one common password tried on many
usernames, which the per-username count never sees. A success does not clear it: one account of
the sprayer's own must not reset the count. Off by default, because behind a proxy every request
would come from the proxy's address, and one guesser would lock out everyone.

With Redis unreachable, logins go on unthrottled (and the log says so, for every step that failed):
locking everybody out would be worse.
"""

from __future__ import annotations

import logging

from django.conf import settings

from notifications.practices import throttle

log = logging.getLogger(__name__)
PREFIX = "clientwatch:login-failures"
IP_PREFIX = "clientwatch:login-failures-ip"
_USERNAMES = throttle.Counter(PREFIX, "login throttle", __name__)
_ADDRESSES = throttle.Counter(IP_PREFIX, "login throttle", __name__)


def _key(username: str) -> str:
    return _USERNAMES.key(username)


def wait_seconds(username: str) -> int:
    """How long this username's logins stay refused; 0 when they are allowed."""
    return _USERNAMES.wait_seconds(
        username, settings.LOGIN_MAX_FAILURES, "check for a lockout, so this login is not throttled"
    )


def record_failure(username: str) -> None:
    counted = _USERNAMES.hit(username, settings.LOGIN_FAILURE_WINDOW, "count a failed login")
    if counted and counted[0] == settings.LOGIN_MAX_FAILURES:
        log.warning(
            "logins refused for a username for %d s after %d failures",
            settings.LOGIN_FAILURE_WINDOW,
            counted[0],
        )


def clear(username: str) -> None:
    _USERNAMES.clear(username, "clear the failures before a successful login")


def ip_wait_seconds(ip: str) -> int:
    """How long logins from this client address stay refused; 0 when they are allowed."""
    return _ADDRESSES.wait_seconds(
        throttle.network(ip),
        settings.LOGIN_MAX_FAILURES_PER_IP,
        "check a client address for a lockout, so this login is not throttled by address",
    )


def record_ip_failure(ip: str) -> None:
    counted = _ADDRESSES.hit(
        throttle.network(ip), settings.LOGIN_FAILURE_WINDOW, "count a failed login from a client address"
    )
    if counted and counted[0] == settings.LOGIN_MAX_FAILURES_PER_IP:
        # The address, unlike a username, is what an operator needs to see who is spraying.
        log.warning(
            "logins refused from %s for %d s after %d failures across usernames",
            throttle.network(ip),
            settings.LOGIN_FAILURE_WINDOW,
            counted[0],
        )
