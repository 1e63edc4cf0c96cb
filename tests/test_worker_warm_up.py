"""The worker loads before forking what each job would otherwise load again in its work-horse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
django.setup()
from notifications.content.words import _psc_short
from notifications.content.filing_text import _descriptions
from notifications.worker import warm_up
from streams.enumerations import load
before = [f.cache_info().currsize for f in (load, _psc_short, _descriptions)]
warm_up()
after = [f.cache_info().currsize for f in (load, _psc_short, _descriptions)]
print(json.dumps([before, after]))
"""


def test_warm_up_loads_chs_enumeration_files_before_the_worker_forks():
    # In a fresh process: the suite's own process has long loaded them.
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "project.settings.base", "PATH": "/usr/bin:/bin"},
    )
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == [0, 0, 0]  # lazily loaded: a forked work-horse would pay for each (0.6 s)
    assert after == [3, 1, 1]  # CH's three files, and what is made of them
