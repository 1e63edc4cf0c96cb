from __future__ import annotations

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from streams.events import DEFAULT_STREAMS, STREAM_KINDS
from streams.gaps import silence_minutes
from streams.listener import ListenerConfig, StreamKeyRejected, run_listener

log = logging.getLogger("streams.listener")


class Command(BaseCommand):
    help = (
        "Listen to the Companies House streams, store events about watched companies and queue "
        "them for fan-out. Resumes from each stream's checkpoint. SIGTERM/SIGINT: commit and exit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stream",
            action="append",
            choices=sorted(STREAM_KINDS),
            dest="streams",
            help=f"a stream to listen to; repeat for several (default: {', '.join(DEFAULT_STREAMS)})",
        )
        parser.add_argument(
            "--stall-timeout",
            type=float,
            default=90.0,
            help="seconds without a byte before the connection is taken for dead (default 90)",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, streams, stall_timeout, batch_size, **options):
        config = ListenerConfig(
            base_url=settings.CH_STREAM_URL,
            key=settings.CH_STREAM_KEY,
            streams=tuple(streams or DEFAULT_STREAMS),
            stall_timeout=stall_timeout,
            batch_size=batch_size,
            gap_timepoints=settings.CH_STREAM_GAP_TIMEPOINTS,
            silence=silence_minutes(settings.CH_STREAM_SILENCE_MINUTES),
        )
        if not config.key:
            raise CommandError(
                "CH_STREAM_KEY is empty: set it to your Companies House streaming key", returncode=2
            )
        try:
            asyncio.run(self._listen(config))
        except StreamKeyRejected as exc:
            raise CommandError(
                f"Companies House rejected the stream key ({exc}). Set CH_STREAM_KEY to a *streaming* "
                f"API key for {config.base_url} (a REST API key is a different key and gets 401).",
                returncode=2,
            ) from None

    async def _listen(self, config: ListenerConfig) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop, stop, signum)
        await run_listener(config, stop)

    @staticmethod
    def _stop(stop: asyncio.Event, signum: int) -> None:
        log.info("received %s: finishing the current batch and committing", signal.Signals(signum).name)
        stop.set()
