"""The listener's database work, in a process of its own.

Django's ORM is synchronous, so the listener hands it to an executor. A thread would share the
GIL with the reader, which is CPU-bound at full speed: commits then wait for the GIL and fall
behind (measured in BENCHMARKS.md). One worker *process* keeps one connection, commits in stream
order, and leaves the reader its core. Every function sent here is module-level and its
arguments plain data, because they cross the process boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from django.db import connections

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _start_worker(database: dict) -> None:
    """Runs first in the worker: Django, the parent's database (tests use a test database), and
    no signals of its own: the parent stops it, and it dies with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # Linux: die with the listener, however it dies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    import django

    django.setup()
    connections["default"].settings_dict.update(database)


class DatabaseGone(Exception):
    """The worker process died; a new one is started for the next call."""


class Database:
    def __init__(self, *, in_process: bool = True) -> None:
        self.in_process = in_process
        self._executor = self._new_executor()

    def _new_executor(self):
        if not self.in_process:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="listener-db")
        settings_dict = {
            k: v
            for k, v in connections["default"].settings_dict.items()
            if k in ("NAME", "USER", "HOST", "PORT")
        }
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),  # no copy of the parent's loop or sockets
            initializer=_start_worker,
            initargs=(settings_dict,),
        )

    async def run(self, func: Callable, *args):
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)
        except BrokenProcessPool:
            log.error("the listener's database process died; starting another")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()
            raise DatabaseGone("the database worker process died") from None

    def close(self) -> None:
        try:
            self._executor.submit(connections.close_all).result(timeout=10)
        except Exception:  # closing is best effort: the worker may be gone already
            log.debug("closing the database worker's connections failed", exc_info=True)
        self._executor.shutdown(wait=True, cancel_futures=True)
