from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import uvicorn
from django.core.management.base import BaseCommand, CommandError

from streams.events import DEFAULT_STREAMS, STREAM_KINDS
from streams.simulator.producers import add_replayed, generate, read_replay, replay
from streams.simulator.server import SimConfig, Simulator

log = logging.getLogger("streams.simulator")


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
            help="generated (or replayed) events per second per stream; 0 generates none "
            "unless --count is given (then: as fast as possible)",
        )
        parser.add_argument("--count", type=int, default=0, help="stop generating after this many events")
        parser.add_argument(
            "--companies", type=int, default=20_000, help="size of the generated company universe"
        )
        parser.add_argument(
            "--watched", default="", help="comma-separated company numbers some events are about"
        )
        parser.add_argument("--watched-share", type=float, default=0.05)
        parser.add_argument(
            "--watched-demo",
            action="store_true",
            help="make 30%% of events about the demo practice's clients (make run)",
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
        sim = Simulator(
            SimConfig(
                stream_key=opts["key"],
                api_key=opts["api_key"],
                heartbeat=opts["heartbeat"],
                retention=opts["retention"],
                start_timepoints={s: opts["start_timepoint"] for s in STREAM_KINDS}
                if opts["start_timepoint"]
                else {},
                connection_limit=opts["connection_limit"],
            )
        )
        for status in opts["fail_status"]:
            sim.faults.statuses.append((None, status, 60.0))
        for stream in STREAM_KINDS:
            sim.faults.drops[stream] += opts["drop_mid_line"]
        if opts["stall_seconds"]:
            sim.faults.stalls.append((None, opts["stall_seconds"]))
        streams = list(opts["streams"] or DEFAULT_STREAMS)
        if opts["replay"]:
            if not opts["replay"].exists():
                raise CommandError(f"--replay {opts['replay']}: no such file")
            items = read_replay(sim, opts["replay"])
            if opts["rate"] > 0 or opts["replay_loop"]:
                sim.background.append(replay(sim, items, rate=opts["rate"], loop=opts["replay_loop"]))
            else:
                for item in items:
                    add_replayed(sim, item)
            log.info("chsim: replaying %d lines from %s", len(items), opts["replay"])
        elif opts["rate"] > 0 or opts["count"] > 0:
            from streams.simulator.generator import Generator

            watched = [n.strip() for n in opts["watched"].split(",") if n.strip()]
            share = opts["watched_share"]
            if opts["watched_demo"]:
                from notifications.demo import DEMO_COMPANIES

                watched, share = [number for number, _, _ in DEMO_COMPANIES], 0.3
            generator = Generator(
                opts["seed"],
                companies=opts["companies"],
                watched=watched,
                watched_share=share,
                duplicate_share=opts["duplicate_share"],
                noop_share=opts["noop_share"],
            )
            for number in watched:  # the REST endpoints (backfill) know the watched companies at once
                current = generator.profile(number)
                if current is not None:
                    sim.add_company(current, generator.filing_history(number))
            sim.background.append(
                generate(
                    sim,
                    generator,
                    streams,
                    rate=opts["rate"],
                    count=opts["count"],
                    malformed_every=opts["malformed_every"],
                )
            )
        log.info(
            "chsim: Companies House simulator on http://%s:%d (stream key %r)",
            opts["host"],
            opts["port"],
            opts["key"],
        )
        config = uvicorn.Config(
            sim,
            host=opts["host"],
            port=opts["port"],
            lifespan="on",
            log_level="warning",
            timeout_graceful_shutdown=2,
            access_log=False,
        )
        asyncio.run(_serve(_Server(config)))
        log.info("chsim: stopped")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        # uvicorn re-raises SIGTERM after shutting down (exit status -15); the command handles
        # the signals itself so a stop is a clean exit.
        yield


async def _serve(server: uvicorn.Server) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, setattr, server, "should_exit", True)
    await server.serve()
