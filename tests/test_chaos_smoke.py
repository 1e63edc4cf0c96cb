"""`make chaos` in small, in every test run: the script keeps working, and the guarantees hold
under SIGKILLs of the listener, the workers and the scheduler and a Redis flush. (The full run, by
hand, also restarts PostgreSQL, which this suite's own connections share.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "test-artefacts" / "chaos"

pytestmark = pytest.mark.slow


def test_a_small_chaos_run_loses_nothing_and_sends_nothing_twice():
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}_chaos"
    )
    args = [
        *("--events", "3000", "--rate", "60", "--organisations", "30", "--workers", "2"),
        *("--listener-kills", "2", "--worker-kills", "2", "--scheduler-kills", "1"),
        "--no-postgresql-restart",
        *("--database-url", database_url, "--redis-url", settings.REDIS_URL),
        *("--out", str(OUT), "--settle-timeout", "240"),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "tests.chaos", *args], cwd=ROOT, capture_output=True, text=True, timeout=420
    )
    report = json.loads((OUT / "report.json").read_text())
    tallies = {t["name"]: t for t in report["tallies"]}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert report["settled"] and report["ok"]
    kills = [d for d in report["disruptions"] if d["what"] == "kill"]
    assert len(kills) == 5 and any(d["what"] == "flush-redis" for d in report["disruptions"])
    for name in ("stored facts", "notifications", "emails"):
        t = tallies[name]
        assert t["expected"] > 20, f"too few {name} to mean anything"
        assert (t["found"], t["missing"], t["duplicated"], t["unexpected"]) == (t["expected"], 0, 0, 0)
