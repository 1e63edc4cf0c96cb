"""The CH REST API rate limiter (streams/rate_limit.py), its Lua scripts run by the machine's Redis
and by Redis 6.2: a window holds at most `limit` requests, every process shares it, and a 429
holds them all back."""

from __future__ import annotations

import time

import pytest

from streams.rate_limit import RateLimiter, SlotUnavailable

pytest_plugins = ["tests.redis_servers"]


def limiter(redis_server, limit: int, window: float, **kwargs) -> RateLimiter:
    """A limiter with a connection of its own, as each worker process has."""
    return RateLimiter(redis_server.client(), limit=limit, window=window, prefix="test:ch-api", **kwargs)


def test_up_to_the_limit_requests_start_at_once_and_the_next_is_told_how_long_to_wait(redis_server):
    rest = limiter(redis_server, limit=3, window=2)
    tokens = [rest.try_acquire() for _ in range(3)]
    assert all(token is not None and wait == 0 for token, wait in tokens)
    token, wait = rest.try_acquire()
    assert token is None and 1.5 < wait <= 2.001


def test_workers_in_different_processes_share_one_window(redis_server):
    alpha, beta = limiter(redis_server, limit=2, window=5), limiter(redis_server, limit=2, window=5)
    assert alpha.try_acquire()[0] is not None
    assert beta.try_acquire()[0] is not None
    assert alpha.try_acquire()[0] is None and beta.try_acquire()[0] is None


def test_a_finished_request_counts_from_its_finish_and_frees_its_slot_a_window_later(redis_server):
    rest = limiter(redis_server, limit=1, window=0.3)
    token, _ = rest.try_acquire()
    time.sleep(0.2)  # the request takes a while
    rest.finish(token)
    _, wait = rest.try_acquire()
    assert 0.2 < wait <= 0.302  # counted from the finish (from the start it would be 0.1)
    time.sleep(wait)
    assert rest.try_acquire()[0] is not None


def test_a_429_holds_every_worker_back_and_a_shorter_one_never_shortens_the_block(redis_server):
    alpha, beta = limiter(redis_server, limit=100, window=60), limiter(redis_server, limit=100, window=60)
    alpha.block(5)
    beta.block(0.1)
    token, wait = beta.try_acquire()
    assert token is None and 4.5 < wait <= 5


def test_a_slot_sleeps_out_a_short_wait_and_refuses_a_long_one(redis_server):
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    rest = limiter(redis_server, limit=1, window=0.3, sleep=sleep)
    with rest.slot(max_wait=0):
        pass
    with rest.slot(max_wait=2):  # waits for the first one's slot
        pass
    assert len(slept) >= 1 and 0.25 < sum(slept) < 1
    with pytest.raises(SlotUnavailable, match=r"next request possible in 0\.\d s"), rest.slot(max_wait=0.01):
        pytest.fail("no slot was free")


def test_the_limiters_keys_expire_so_an_idle_limiter_leaves_nothing_for_good(redis_server):
    rest = limiter(redis_server, limit=5, window=1)
    rest.try_acquire()
    rest.block(2)
    redis = redis_server.client()
    assert 0 < redis.pttl("test:ch-api:requests") <= 62_000  # two windows and a minute
    assert 0 < redis.pttl("test:ch-api:blocked") <= 2_000
