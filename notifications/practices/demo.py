"""Demo data for `make run`: one practice, its users and a client list that the simulator's
sample events touch, so a fresh install shows something at once. Safe to run again."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from notifications.models import ClientList, Membership, Organisation
from notifications.practices.client_csv import ClientRow
from notifications.practices.client_lists import import_rows, queue_backfill
from streams.simulator.demo import DEMO_COMPANIES

DEMO_ORGANISATION = "Demo Accountants LLP"
DEMO_LIST = "Limited company clients"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


@transaction.atomic
def create_demo(*, password: str, admin_password: str) -> list[DemoLogin]:
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@example.com"})
    admin.is_staff = admin.is_superuser = True
    admin.set_password(admin_password)
    admin.save()

    demo, _ = User.objects.get_or_create(
        username="demo", defaults={"email": "demo@example.com", "first_name": "Dana", "last_name": "Demo"}
    )
    demo.is_staff = True  # an organisation admin manages client lists in the admin
    demo.set_password(password)
    demo.save()

    organisation, _ = Organisation.objects.get_or_create(name=DEMO_ORGANISATION)
    Membership.objects.update_or_create(
        organisation=organisation, user=demo, defaults={"role": Membership.Role.ADMIN}
    )
    client_list, _ = ClientList.objects.get_or_create(
        organisation=organisation, name=DEMO_LIST, defaults={"description": "Demo data from make run"}
    )
    rows = [ClientRow(i, number, ref, name) for i, (number, ref, name) in enumerate(DEMO_COMPANIES, 1)]
    plan = import_rows(client_list, rows, added_by=demo)  # queues backfill of the new ones
    # A run stopped before the worker took its backfill (the embedded Redis keeps nothing) queues
    # it again; companies already backfilled are left out.
    new = {row.company_number for row in plan.new}
    queue_backfill(number for number, _, _ in DEMO_COMPANIES if number not in new)
    return [
        DemoLogin("demo", password, f"admin of {DEMO_ORGANISATION} (sees only its client lists)"),
        DemoLogin("admin", admin_password, "superuser (operator)"),
    ]
