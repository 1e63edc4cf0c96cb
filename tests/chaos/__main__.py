"""python -m tests.chaos [--events N] [--seed S] ...: see run.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .run import ChaosConfig, main


def parse(argv: list[str]) -> ChaosConfig:
    default = ChaosConfig()
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__)
    parser.add_argument("--seed", type=int, default=default.seed)
    parser.add_argument("--events", type=int, default=default.events)
    parser.add_argument("--rate", type=float, default=default.rate, help="events a second per stream")
    parser.add_argument("--organisations", type=int, default=default.organisations)
    parser.add_argument("--workers", type=int, default=default.workers)
    parser.add_argument("--listener-kills", type=int, default=default.listener_kills)
    parser.add_argument("--worker-kills", type=int, default=default.worker_kills)
    parser.add_argument("--scheduler-kills", type=int, default=default.scheduler_kills)
    parser.add_argument("--no-redis-flush", dest="flush_redis", action="store_false")
    parser.add_argument(
        "--no-postgresql-restart",
        dest="restart_postgres",
        action="store_false",
        help="leave PostgreSQL running (it is the machine's: a restart drops everyone's connections)",
    )
    parser.add_argument("--settle-timeout", type=float, default=default.settle_timeout)
    parser.add_argument("--database-url", default=default.database_url)
    parser.add_argument("--redis-url", default=default.redis_url)
    parser.add_argument("--out", type=Path, default=default.out)
    return ChaosConfig(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main(parse(sys.argv[1:])))
