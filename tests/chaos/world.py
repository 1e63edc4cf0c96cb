"""The practices of the chaos run: 200 organisations with overlapping client lists, one or two
members each, every member asking for every category by email at once (so every notification
should become one email per member, and the audit can say which)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from notifications.content.categories import Category, EmailMode
from notifications.models import ClientList, Membership, Organisation, UserPreferences
from notifications.practices.client_csv import ClientRow
from notifications.practices.client_lists import import_rows


@dataclass
class World:
    watched: list[str]  # every company on some list
    watchers: dict[str, set[int]] = field(default_factory=dict)  # company -> organisation ids
    members: dict[int, set[str]] = field(default_factory=dict)  # organisation id -> email addresses
    lists: int = 0
    entries: int = 0


def company_pool(size: int) -> list[str]:
    # Eight digits, England and Wales: canonical CH numbers the generator accepts as "watched".
    return [f"{n:08d}" for n in range(20_000_001, 20_000_001 + size)]


def build(rng: random.Random, *, organisations: int, pool: int) -> World:
    companies = company_pool(pool)
    world = World(watched=[])
    User = get_user_model()
    modes = {str(category): str(EmailMode.IMMEDIATE) for category in Category}
    on_a_list: set[str] = set()
    for index in range(1, organisations + 1):
        org = Organisation.objects.create(name=f"Chaos Practice {index:03d}")
        main = rng.sample(companies, rng.randint(5, 25))
        lists = [main]
        if rng.random() < 0.4:  # a second list, half of it overlapping the first
            lists.append(rng.sample(main, len(main) // 2) + rng.sample(companies, rng.randint(2, 10)))
        for number, numbers in enumerate(lists, 1):
            client_list = ClientList.objects.create(organisation=org, name=f"Clients {number}")
            rows = [
                ClientRow(line, n, f"C{index:03d}-{line}") for line, n in enumerate(dict.fromkeys(numbers), 1)
            ]
            import_rows(client_list, rows, added_by=None)
            world.lists += 1
            world.entries += len(rows)
            for n in numbers:
                world.watchers.setdefault(n, set()).add(org.id)
                on_a_list.add(n)
        world.members[org.id] = set()
        for person in range(1, rng.randint(1, 2) + 1):
            email = f"person{person}@practice{index:03d}.example.test"
            # No password: nobody logs in, and hashing 300 of them took a minute.
            user = User.objects.create_user(f"chaos-{index:03d}-{person}", email, None)
            Membership.objects.create(organisation=org, user=user)
            UserPreferences.objects.create(user=user, modes=modes, urgent_immediately=True)
            world.members[org.id].add(email)
    world.watched = sorted(on_a_list)
    return world
