"""The listener's database work, on one worker thread.

Django's ORM is synchronous, so the listener hands it to an executor; one thread keeps one
connection and commits in stream order, for SQLite (make run) and PostgreSQL alike. A worker
*process* was tried so that commits would not share the GIL with the reader: on this 2-core
machine it was no faster (the simulator and PostgreSQL need the other core) and its copy of the
watch index doubled the memory, so it was dropped (BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

log = logging.getLogger(__name__)


class Database:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="listener-db")

    async def run(self, func: Callable, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    def close(self) -> None:
        self._executor.submit(connections.close_all).result()
        self._executor.shutdown(wait=True)
