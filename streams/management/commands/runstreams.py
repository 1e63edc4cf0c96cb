from __future__ import annotations

from django.core.management.base import BaseCommand

from streams.placeholder import idle_until_signalled


class Command(BaseCommand):
    help = "Listen to the Companies House streams (not built yet: issue 3)."

    def handle(self, *args, **options):
        idle_until_signalled("runstreams", "issue 3: the stream listener")
