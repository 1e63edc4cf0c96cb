"""The chaos run: the simulator streams tens of thousands of events to the real listener, RQ
workers and scheduler, against PostgreSQL and Redis, while this script SIGKILLs and restarts the
listener and the workers at random moments, flushes Redis once and restarts PostgreSQL once.
When everything has settled it compares what should have reached people with what did.

The moments are drawn from the seed, so a run can be repeated; the processes are the real ones
(`manage.py runstreams`, `rqworker` with the Procfile's flags, `rqscheduler`), with the
reconciler's timings shortened so the run takes minutes.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .processes import ROOT, Process, manage
from .provider import WEBHOOK_PASSWORD, WEBHOOK_USER, Provider

STREAM_KEY = "chaos-stream-key"


@dataclass
class ChaosConfig:
    seed: int = 7
    events: int = 50_000
    rate: float = 100.0  # events a second on each of the six streams
    organisations: int = 200
    pool: int = 1_000  # companies the practices choose their lists from
    workers: int = 2
    listener_kills: int = 3
    worker_kills: int = 4
    scheduler_kills: int = 1
    flush_redis: bool = True
    restart_postgres: bool = True
    settle_timeout: float = 900.0
    database_url: str = "postgres://root@127.0.0.1:5432/clientwatch_chaos"
    redis_url: str = "redis://127.0.0.1:6379/12"
    out: Path = field(default_factory=lambda: ROOT / "var" / "chaos")


@dataclass(order=True)
class Action:
    at: float
    what: str
    target: str = ""


def main(config: ChaosConfig) -> int:
    started = time.monotonic()
    rng = random.Random(config.seed)
    mail, logs = config.out / "mail", config.out / "logs"
    shutil.rmtree(config.out, ignore_errors=True)
    mail.mkdir(parents=True)
    logs.mkdir(parents=True)
    _fresh_database(config.database_url)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.base",
        "DATABASE_URL": config.database_url,
        "REDIS_URL": config.redis_url,
        "DEBUG": "false",
        "LOG_LEVEL": "INFO",
        "EMAIL_BACKEND": "tests.mailbackends.FileSinkBackend",
        "TEST_MAIL_DIR": str(mail),
        "CH_STREAM_KEY": STREAM_KEY,
        "CH_API_KEY": "",  # backfill off: profiles come from the streams only, so the oracle knows them
        "RECONCILE_EVERY_SECONDS": "10",
        "RECONCILE_EVENT_AFTER_SECONDS": "20",
        "RECONCILE_DELIVERY_AFTER_SECONDS": "30",
        # The provider's answer takes 30 ms to come back (an HTTPS API's round trip): the window
        # in which a worker dies after the provider took an email and before it recorded that.
        # The provider's webhook settles those.
        "TEST_MAIL_AFTER_DELAY": "0.03",
        "ANYMAIL_WEBHOOK_SECRET": f"{WEBHOOK_USER}:{WEBHOOK_PASSWORD}",
    }
    os.environ.update(env)
    manage(["migrate", "--verbosity", "0"], env)

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the provider's every webhook post
    import redis
    from django.db import connections

    from streams.events import DEFAULT_STREAMS
    from streams.models import StreamState
    from streams.simulator.generator import Generator
    from streams.simulator.producers import generate
    from streams.simulator.server import SimConfig
    from tests.streamkit import SimServer

    from . import world

    redis.Redis.from_url(config.redis_url).flushdb()
    practices = world.build(rng, organisations=config.organisations, pool=config.pool)
    connections.close_all()
    print(
        f"chaos: seed {config.seed}; {config.organisations} practices, {practices.lists} lists, "
        f"{practices.entries} entries over {len(practices.watched)} companies; "
        f"{sum(map(len, practices.members.values()))} people"
    )

    streams = list(DEFAULT_STREAMS)
    sim = SimServer(SimConfig(stream_key=STREAM_KEY, heartbeat=1.0, retention=10_000_000))
    generator = Generator(
        seed=config.seed,
        companies=20_000,
        watched=practices.watched,
        watched_share=0.05,
        duplicate_share=0.03,
        noop_share=0.15,
    )
    sim.sim.background.append(
        generate(sim.sim, generator, streams, rate=config.rate, count=config.events, malformed_every=4_999)
    )
    sim.start()
    for stream in streams:  # read every stream from its first event
        StreamState.objects.create(stream=stream, timepoint=sim.sim.feeds[stream].first_timepoint)
    connections.close_all()
    env["CH_STREAM_URL"] = sim.url
    web_port = free_port()
    provider = Provider(mail, f"http://127.0.0.1:{web_port}", config.seed)

    processes = {"listener": Process("listener", ["runstreams"], env, logs)}
    for n in range(1, config.workers + 1):
        processes[f"worker-{n}"] = Process(
            f"worker-{n}",
            ["rqworker", "default", "--with-scheduler", "--worker-class", "notifications.worker.WarmWorker"],
            env,
            logs,
        )
    processes["scheduler"] = Process("scheduler", ["rqscheduler", "--interval", "5"], env, logs)
    # The web process takes the provider's webhooks (the feed is not audited here: it is
    # best-effort by design, and the feed's own tests cover catch-up).
    processes["web"] = Process(
        "web",
        ["-m", "uvicorn", "project.asgi:application", "--port", str(web_port), "--no-access-log"],
        env,
        logs,
        python_module=True,
    )
    manage(["registerschedules"], env | {"LOG_LEVEL": "WARNING"})
    try:
        return _run(config, rng, sim, streams, processes, provider, practices, mail, logs, started)
    finally:  # whatever happened, leave nothing running
        provider.stop()
        for process in processes.values():
            process.stop()
        sim.stop()


def _run(config, rng, sim, streams, processes, provider, practices, mail, logs, started) -> int:
    from . import oracle

    for process in processes.values():
        process.start()
    provider.start()

    generating = config.events / (config.rate * len(streams))
    actions = _plan(rng, config, generating)
    done: list[Action] = []
    died = 0
    print(f"chaos: generating for about {generating:.0f} s; {len(actions)} disruptions planned")
    begin = time.monotonic()
    last_report = 0.0
    while actions:
        now = time.monotonic() - begin
        while actions and actions[0].at <= now:
            action = actions.pop(0)
            _act(action, processes, config, rng, actions, now)
            done.append(Action(round(now, 1), action.what, action.target))
        for process in processes.values():
            code = process.exited()
            if code is not None:  # a crash of its own: a supervisor would restart it, and so do we
                died += 1
                print(f"chaos: {process.name} exited by itself with {code}; restarting it")
                process.popen = None
                process.start()
        if now - last_report >= 10:
            last_report = now
            _progress(sim, streams, mail, now)
        time.sleep(0.2)

    settled = _settle(config, sim, streams, mail, processes, begin, provider)
    provider.stop()
    for process in processes.values():
        process.stop()
    settled_by_webhook = _count_in_log(logs / "web.log", "our record showed unsent are sent")

    feeds = {s: sim.sim.feeds[s].events() for s in streams}
    expected = oracle.expected_from(feeds, practices.watchers, practices.members)
    found_emails, unattributed = oracle.sent_emails(mail)
    tallies = [
        oracle.tally("stored facts", expected.facts, oracle.stored_facts()),
        oracle.tally("notifications", expected.notifications, oracle.stored_notifications()),
        oracle.tally("emails", expected.emails, found_emails, unattributed),
    ]
    generated = sum(len(events) for events in feeds.values())
    report = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "generated_events": generated,
        "watched_events": expected.watched_events,
        "resends_of_known_facts": expected.resends,
        "silent_profile_facts": expected.silent,
        "disruptions": [asdict(a) for a in done],
        "died_by_themselves": died,
        "deliveries_settled_by_the_providers_webhook": settled_by_webhook,
        "webhook_posts_retried": provider.failures,
        "settled": settled,
        "seconds": round(time.monotonic() - started, 1),
        "tallies": [asdict(t) for t in tallies],
        "ok": settled and all(t.ok for t in tallies),
    }
    (config.out / "report.json").write_text(json.dumps(report, indent=2))
    _print_report(report, tallies)
    return 0 if report["ok"] else 1


def _plan(rng: random.Random, config: ChaosConfig, generating: float) -> list[Action]:
    def moments(n: int, until: float = 0.95) -> list[float]:
        return [rng.uniform(0.08, until) * generating for _ in range(n)]

    actions = [Action(t, "kill", "listener") for t in moments(config.listener_kills)]
    workers = [f"worker-{n}" for n in range(1, config.workers + 1)]
    # Each worker in turn, so that every one of them dies at least once; into the time after the
    # streams go quiet too, when the workers are busiest (sending the emails).
    actions += [
        Action(t, "kill", workers[i % len(workers)]) for i, t in enumerate(moments(config.worker_kills, 2.5))
    ]
    actions += [Action(t, "kill", "scheduler") for t in moments(config.scheduler_kills)]
    if config.flush_redis:
        actions.append(Action(moments(1)[0], "flush-redis"))
    if config.restart_postgres:
        actions.append(Action(moments(1)[0], "restart-postgresql"))
    return sorted(actions)


def _act(action: Action, processes, config: ChaosConfig, rng, actions: list[Action], now: float) -> None:
    import redis
    from django.db import connections

    print(f"chaos: {now:6.1f} s  {action.what} {action.target}".rstrip())
    if action.what == "kill":
        processes[action.target].kill()
        # Back after a moment, as a supervisor would bring it back.
        actions.append(Action(now + rng.uniform(0.5, 4.0), "start", action.target))
        actions.sort()
    elif action.what == "start":
        if processes[action.target].popen is None:
            processes[action.target].start()
    elif action.what == "flush-redis":
        redis.Redis.from_url(config.redis_url).flushdb()
    elif action.what == "restart-postgresql":
        connections.close_all()
        cluster = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"],
            check=True,
            capture_output=True,
        )


def _settle(config: ChaosConfig, sim, streams, mail: Path, processes, begin: float, provider) -> bool:
    """Wait until the listener has read every stream to its head, every event is fanned out, no
    delivery is left to send, and the sink has received nothing new for a while."""
    from django.db import OperationalError, connections
    from django.db.utils import InterfaceError

    from notifications.models import Delivery
    from streams.models import Event, StreamState

    deadline = time.monotonic() + config.settle_timeout
    quiet_since, last_count, last_report = None, -1, 0.0
    while time.monotonic() < deadline:
        now = time.monotonic() - begin
        if now - last_report >= 10:
            last_report = now
            _progress(sim, streams, mail, now)
        for process in processes.values():
            if process.exited() is not None:
                print(f"chaos: {process.name} exited by itself; restarting it")
                process.popen = None
                process.start()
        try:
            heads = {s: sim.sim.feeds[s].head for s in streams}
            checkpoints = dict(StreamState.objects.values_list("stream", "timepoint"))
            read_all = all(checkpoints.get(s) == heads[s] for s in streams)
            unfanned = Event.objects.filter(fanned_out_at=None).count()
            unsent = Delivery.objects.filter(
                status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
            ).count()
        except (OperationalError, InterfaceError):
            connections.close_all()
            time.sleep(1)
            continue
        count = len(list(mail.glob("*.eml")))
        reported = count == len(provider.reported)
        idle = read_all and not unfanned and not unsent and reported
        if idle and count == last_count:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 15:
                return True
        else:
            quiet_since = None
        last_count = count
        time.sleep(1)
    print("chaos: did not settle before the timeout")
    return False


def _progress(sim, streams, mail: Path, now: float) -> None:
    from django.db import OperationalError, connections
    from django.db.utils import InterfaceError

    from notifications.models import Delivery, Notification
    from streams.models import Event

    generated = sum(sim.sim.feeds[s].head - sim.sim.feeds[s].first_timepoint + 1 for s in streams)
    try:
        line = (
            f"{Event.objects.count()} facts stored, {Notification.objects.count()} notifications, "
            f"{Delivery.objects.filter(sent_at__isnull=False).count()} deliveries sent"
        )
    except (OperationalError, InterfaceError):
        connections.close_all()
        line = "database unavailable"
    mails = len(list(mail.glob("*.eml")))
    print(f"chaos: {now:6.1f} s  {generated} events generated; {line}; {mails} emails in the sink")


def _print_report(report: dict, tallies) -> None:
    print()
    print(
        f"{report['generated_events']} events generated, {report['watched_events']} about watched "
        f"companies ({report['resends_of_known_facts']} re-sends or follow-ups of a known fact, "
        f"{report['silent_profile_facts']} profile events that change nothing people are told)"
    )
    kinds = {}
    for action in report["disruptions"]:
        if action["what"] != "start":
            kinds[f"{action['what']} {action['target']}".strip()] = (
                kinds.get(f"{action['what']} {action['target']}".strip(), 0) + 1
            )
    print("disruptions: " + ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())))
    print(f"processes that died by themselves: {report['died_by_themselves']}")
    print(
        "deliveries a worker died after handing to the provider, settled by its webhook: "
        f"{report['deliveries_settled_by_the_providers_webhook']}"
    )
    print()
    print(f"{'':16}{'expected':>10}{'found':>10}{'missing':>10}{'duplicated':>12}{'unexpected':>12}")
    for t in tallies:
        print(f"{t.name:16}{t.expected:>10}{t.found:>10}{t.missing:>10}{t.duplicated:>12}{t.unexpected:>12}")
    print()
    verdict = "PASS" if report["ok"] else "FAIL"
    print(f"{verdict}: settled={report['settled']} in {report['seconds']} s (report: var/chaos/report.json)")


def _count_in_log(path: Path, text: str) -> int:
    return sum(line.count(text) for line in path.read_text(errors="replace").splitlines())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
