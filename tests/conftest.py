"""Shared fixtures: named practices, people and lists, and the real PostgreSQL and Redis.

The suite runs against the services named by DATABASE_URL and REDIS_URL (see the Makefile);
it stops at once with a plain message when either does not answer.
"""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from notifications.models import ClientList, ClientListEntry, Membership, Organisation
from streams.models import Company


def _services_problem() -> str | None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return (
            f"the tests need PostgreSQL, but DATABASE_URL is {settings.DATABASE_URL!r}. "
            "Set DATABASE_URL=postgres://user@host:5432/dbname (the suite creates test_dbname)."
        )
    import psycopg

    try:
        psycopg.connect(
            dbname=database["NAME"],
            user=database["USER"] or None,
            password=database["PASSWORD"] or None,
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at DATABASE_URL ({settings.DATABASE_URL}) does not answer: {exc}".strip()
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL ({settings.REDIS_URL}) does not answer: {exc}"
    return None


def pytest_configure(config: pytest.Config) -> None:
    problem = _services_problem()
    if problem:
        raise pytest.UsageError(f"Cannot run the tests: {problem}")


@pytest.fixture(scope="session", autouse=True)
def _empty_the_suites_redis_database_afterwards():
    """Listener processes started by tests queue jobs in the suite's Redis database: leave it empty."""
    yield
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client():
    """The suite's own Redis database (TEST_REDIS_DB), emptied before and after the test."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


# --- people and practices -------------------------------------------------------------------


@pytest.fixture
def ashford(db) -> Organisation:
    return Organisation.objects.create(name="Ashford & Co Chartered Accountants")


@pytest.fixture
def baxter(db) -> Organisation:
    return Organisation.objects.create(name="Baxter Partners")


def _user(django_user_model, username: str, **extra):
    return django_user_model.objects.create_user(
        username=username, password="correct-horse", email=f"{username}@example.com", **extra
    )


@pytest.fixture
def alice(django_user_model, ashford):
    """Ashford's practice admin: staff, admin member of Ashford only."""
    user = _user(django_user_model, "alice", is_staff=True)
    Membership.objects.create(organisation=ashford, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def bob(django_user_model, baxter):
    """Baxter's practice admin."""
    user = _user(django_user_model, "bob", is_staff=True)
    Membership.objects.create(organisation=baxter, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def carol(django_user_model, ashford):
    """A plain member of Ashford who is staff but not a practice admin."""
    user = _user(django_user_model, "carol", is_staff=True)
    Membership.objects.create(organisation=ashford, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser(
        username="operator", password="correct-horse", email="ops@example.com"
    )


# --- client lists ---------------------------------------------------------------------------


def _add(client_list: ClientList, number: str, reference: str, name: str) -> ClientListEntry:
    company, _ = Company.objects.get_or_create(company_number=number, defaults={"name": name})
    return ClientListEntry.objects.create(
        client_list=client_list, company=company, client_reference=reference
    )


@pytest.fixture
def ashford_list(ashford) -> ClientList:
    client_list = ClientList.objects.create(organisation=ashford, name="Ashford clients")
    _add(client_list, "09876543", "ASH-001", "Green Leaf Cafe Ltd")
    _add(client_list, "SC123456", "ASH-002", "McLeod Fishing Ltd")
    return client_list


@pytest.fixture
def baxter_list(baxter) -> ClientList:
    client_list = ClientList.objects.create(organisation=baxter, name="Baxter secret clients")
    _add(client_list, "NI654321", "BAX-SECRET-1", "Byrne Engineering Ltd")
    return client_list


# --- the simulator and the listener ---------------------------------------------------------


@pytest.fixture
def sim():
    """The CH simulator on a free port (heartbeats every 0.2 s), stopped after the test."""
    from streams.simulator.server import SimConfig
    from tests.streamkit import STREAM_KEY, SimServer

    server = SimServer(SimConfig(stream_key=STREAM_KEY, heartbeat=0.2)).start()
    yield server
    server.stop()


@pytest.fixture
def listener(sim):
    """Start run_listener in a thread against `sim`; returns once each stream is connected."""
    from tests.streamkit import ListenerThread, listener_config

    running = []

    def start(*streams: str, wait: bool = True, **overrides):
        accepted = {s: len([c for c in sim.connections(s) if c.get("status") == 200]) for s in streams}
        thread = ListenerThread(listener_config(sim, *streams, **overrides)).start()
        running.append(thread)
        for stream in streams if wait else ():
            sim.wait_connected(stream, accepted[stream] + 1)
        return thread

    yield start
    for thread in running:
        thread.stop()
