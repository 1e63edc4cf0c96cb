from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications.practices.demo import create_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo practice, its users and client list, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="password for the user 'demo'")
        parser.add_argument("--admin-password", default="admin", help="password for the superuser 'admin'")
        parser.add_argument("--url", default="", help="the site's URL, printed with the logins")

    def handle(self, *args, password: str, admin_password: str, url: str, **options):
        logins = create_demo(password=password, admin_password=admin_password)
        if options["verbosity"] < 1:
            return
        if url:
            self.stdout.write(self.style.SUCCESS(f"Client Watch is starting at {url}"))
        for login in logins:
            self.stdout.write(f"  login: {login.username} / {login.password}   ({login.role})")
