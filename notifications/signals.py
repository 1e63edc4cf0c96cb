"""Tell the stream listener when a company joins or leaves a client list (see streams.watch_index),
and queue backfill of a company that joins one (see streams/backfill.py); note each login's
session (notifications/practices/people.py).

Saves and deletes through the ORM, the admin included, pass here; bulk imports call
record_watch_changes and queue_backfill themselves (bulk_create sends no signals).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from notifications.models import ClientListEntry
from notifications.practices.client_lists import queue_backfill
from notifications.practices.people import remember_session
from streams.watch_index import record_watch_changes


@receiver(pre_save, sender=ClientListEntry)
def remember_previous_company(sender, instance: ClientListEntry, **kwargs) -> None:
    instance._previous_company_id = (
        ClientListEntry.objects.filter(pk=instance.pk).values_list("company_id", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=ClientListEntry)
def entry_saved(sender, instance: ClientListEntry, **kwargs) -> None:
    previous = getattr(instance, "_previous_company_id", None)
    if previous != instance.company_id:
        record_watch_changes([n for n in (previous, instance.company_id) if n])
        queue_backfill([instance.company_id])


@receiver(post_delete, sender=ClientListEntry)
def entry_deleted(sender, instance: ClientListEntry, **kwargs) -> None:
    record_watch_changes([instance.company_id])


# Each login's session, so that removing a member from a practice can end their sessions.
user_logged_in.connect(remember_session, dispatch_uid="clientwatch-remember-session")
