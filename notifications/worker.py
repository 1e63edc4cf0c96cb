"""The RQ worker class our `rqworker` processes run (Procfile: --worker-class).

RQ's default worker forks a work-horse per job; whatever the parent has not loaded, every horse
loads again. A job's first `reverse()` imports the URLconf (56-81 ms measured, BENCHMARKS.md) and
its first email renders two templates from disk, and its first description of an event loads CH's
enumeration files (0.6 s: the chaos run found every fan-out job paying it). Loaded once here,
before forking, every horse inherits them.
"""

from __future__ import annotations

import logging

from django.template.loader import get_template
from django.urls import reverse
from rq import Worker

from notifications import fan_out, jobs  # noqa: F401  (the job code itself, imported before forking)
from notifications.content import load_words
from notifications.delivery import sending  # noqa: F401

# RQ writes four lines for every job (taken, "Job OK", completed in, how long its result is kept).
# Under a steady stream of small jobs they bury everything else: each job keeps one line, RQ's
# "Successfully completed <job> in <time>"; failures keep all of theirs.
_TAKEN_OR_OK = "Worker %s: %s: %s (%s)"


class OneLinePerJob(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and record.msg == _TAKEN_OR_OK)


def warm_up() -> None:
    reverse("feed_home")  # imports the URLconf and builds the reverse lookup
    for name in (
        "email/notification.txt",
        "email/notification.html",
        "email/digest.txt",
        "email/digest.html",
    ):
        get_template(name)
    load_words()


class WarmWorker(Worker):
    log_result_lifespan = False

    def work(self, *args, **kwargs):
        if not any(isinstance(f, OneLinePerJob) for f in self.log.filters):
            self.log.addFilter(OneLinePerJob())
        warm_up()
        return super().work(*args, **kwargs)
