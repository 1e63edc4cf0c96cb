"""Stand-in for processes a later issue builds: says so, then idles until it is told to stop.

It must keep running, because honcho stops every process when one exits.
"""

from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger(__name__)


def idle_until_signalled(process: str, issue: str) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.warning("%s: not built yet (%s); this process does nothing until then", process, issue)
    stop.wait()
    log.info("%s: stopped", process)
