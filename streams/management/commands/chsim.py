from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from streams.events import STREAM_KINDS
from streams.simulator.run import SimulatorError, run_simulator


class Command(BaseCommand):
    help = (
        "Run the local Companies House simulator: the streaming API (Basic auth with --key), "
        "the REST endpoints backfill uses (--api-key), and a control API under /_sim/."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--key", default="simulator-stream-key", help="the stream key it accepts")
        parser.add_argument("--api-key", default="simulator-api-key", help="the REST API key it accepts")
        parser.add_argument(
            "--stream",
            action="append",
            choices=sorted(STREAM_KINDS),
            dest="streams",
            help="streams the generator feeds (default: the six main ones)",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--rate",
            type=float,
            default=0.0,
            help="generated events per second in all, split between the streams as --mix says "
            "(replayed: lines per second); 0 generates none unless --count is given (then: as "
            "fast as possible). CH itself averages about 2",
        )
        parser.add_argument(
            "--mix",
            choices=["ch", "even"],
            default="ch",
            help="ch: each event on a stream chosen in CH's proportions (filings 56%%, companies "
            "29%%, officers 7%%, PSC 6.5%%, charges and insolvency 1%% each); even: --rate events "
            "per second on every stream",
        )
        parser.add_argument("--count", type=int, default=0, help="stop generating after this many events")
        parser.add_argument(
            "--companies", type=int, default=20_000, help="size of the generated company universe"
        )
        parser.add_argument(
            "--watched", default="", help="comma-separated company numbers some events are about"
        )
        parser.add_argument(
            "--watched-share",
            type=float,
            help="share of events about the --watched companies (default 0.05; with "
            "--watched-demo, enough for the demo clients' events to come at the same pace "
            "whatever --rate is)",
        )
        parser.add_argument(
            "--watched-demo",
            action="store_true",
            help="make the demo practice's clients (make run) go about their business: a few "
            "notifications a minute for the demo practice",
        )
        parser.add_argument("--duplicate-share", type=float, default=0.02)
        parser.add_argument("--noop-share", type=float, default=0.05)
        parser.add_argument(
            "--replay", type=Path, help="NDJSON file of CH events to serve instead of generating"
        )
        parser.add_argument("--replay-loop", action="store_true", help="replay the file again and again")
        parser.add_argument(
            "--heartbeat", type=float, default=30.0, help="seconds of quiet before a blank line"
        )
        parser.add_argument(
            "--retention", type=int, default=1_000_000, help="lines kept per stream (older: 416)"
        )
        parser.add_argument(
            "--start-timepoint", type=int, help="first timepoint of every stream (default: from the clock)"
        )
        parser.add_argument("--connection-limit", type=int, default=2, help="connections per key and stream")
        parser.add_argument(
            "--malformed-every", type=int, default=0, help="send a broken line every N events"
        )
        parser.add_argument(
            "--fail-status",
            type=int,
            choices=[401, 416, 429, 503],
            action="append",
            default=[],
            help="answer the next connection with this status (repeatable)",
        )
        parser.add_argument(
            "--drop-mid-line", type=int, default=0, help="drop this many connections mid-line"
        )
        parser.add_argument(
            "--stall-seconds", type=float, default=0, help="stall the next connection this long"
        )

    def handle(self, *args, **opts):
        try:
            run_simulator(opts)
        except SimulatorError as exc:
            raise CommandError(str(exc)) from None
