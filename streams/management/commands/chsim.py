from __future__ import annotations

from django.core.management.base import BaseCommand

from streams.placeholder import idle_until_signalled


class Command(BaseCommand):
    help = "Run the local Companies House simulator (not built yet: issue 3)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, **options):
        idle_until_signalled("chsim", "issue 3: the Companies House simulator")
