"""The processes of the chaos run, each in a session of its own so that a SIGKILL takes the whole
of it (an RQ worker and the work-horse it forked), as a host dying would."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Process:
    def __init__(
        self, name: str, args: list[str], env: dict[str, str], logs: Path, *, python_module: bool = False
    ) -> None:
        self.name, self.args, self.env, self.logs = name, args, env, logs
        self.command = [sys.executable, *args] if python_module else [sys.executable, "manage.py", *args]
        self.popen: subprocess.Popen | None = None
        self.kills = 0
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"{self.name}.log").open("ab")
        log.write(f"\n=== start {self.starts} ===\n".encode())
        log.flush()
        self.popen = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL, no warning: nothing gets to finish or clean up."""
        if self.popen is None:
            return
        self.kills += 1
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)
        self.popen = None

    def stop(self) -> None:
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        self.popen = None

    def exited(self) -> int | None:
        """The exit code if it died on its own (it should not)."""
        return None if self.popen is None else self.popen.poll()


def manage(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
