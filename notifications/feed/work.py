"""The practice's work on its notifications: done or open, the assignee, notes; every change kept
in the item's history (NotificationChange) and pushed to the practice's open feeds (ids only: each
page fetches what its user may see). The views check membership; these check the rest (an
assignee must belong to the practice; a note has text)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifications.feed.live import push_changed
from notifications.models import (
    Membership,
    Notification,
    NotificationChange,
    NotificationNote,
    NotificationWork,
)

NOTE_MAX = 4000


class WorkError(Exception):
    """A change that cannot be made, in words for the person who asked."""


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _changed(notification: Notification, action: str, by, detail: str = "") -> None:
    NotificationChange.objects.create(
        notification=notification, action=action, actor=by, actor_name=_name(by), detail=detail[:300]
    )
    organisation_id, notification_id = notification.organisation_id, notification.pk
    transaction.on_commit(lambda: push_changed({organisation_id: [notification_id]}), robust=True)


def _work(notification: Notification) -> NotificationWork:
    work, _ = NotificationWork.objects.select_for_update().get_or_create(notification=notification)
    return work


@transaction.atomic
def mark_done(notification: Notification, by) -> bool:
    """True if it was open. Done once: a second click (or a colleague's) changes nothing."""
    work = _work(notification)
    if work.done_at is not None:
        return False
    work.done_at, work.done_by, work.done_by_name, work.updated_at = (
        timezone.now(),
        by,
        _name(by),
        timezone.now(),
    )
    work.save()
    _changed(notification, NotificationChange.Action.DONE, by)
    return True


@transaction.atomic
def reopen(notification: Notification, by) -> bool:
    work = _work(notification)
    if work.done_at is None:
        return False
    work.done_at, work.done_by, work.done_by_name, work.updated_at = None, None, "", timezone.now()
    work.save()
    _changed(notification, NotificationChange.Action.REOPENED, by)
    return True


@transaction.atomic
def assign(notification: Notification, assignee, by) -> bool:
    """To a member of the practice, or to nobody (None)."""
    if (
        assignee is not None
        and not Membership.objects.filter(
            organisation_id=notification.organisation_id, user=assignee
        ).exists()
    ):
        raise WorkError("Only a member of the practice can be assigned an item.")
    work = _work(notification)
    if work.assignee_id == (assignee.pk if assignee else None):
        return False
    work.assignee, work.updated_at = assignee, timezone.now()
    work.save()
    if assignee is None:
        _changed(notification, NotificationChange.Action.UNASSIGNED, by)
    else:
        _changed(notification, NotificationChange.Action.ASSIGNED, by, _name(assignee))
    return True


@transaction.atomic
def add_note(notification: Notification, text: str, by) -> NotificationNote:
    text = (text or "").strip()
    if not text:
        raise WorkError("Write the note first.")
    if len(text) > NOTE_MAX:
        raise WorkError(f"A note is at most {NOTE_MAX:,} characters.")
    note = NotificationNote.objects.create(
        notification=notification, author=by, author_name=_name(by), text=text
    )
    _changed(notification, NotificationChange.Action.NOTE, by, text[:80])
    return note


def done_before_sending(notification_id: int | None) -> NotificationWork | None:
    """The state that makes an email about this notification unnecessary: done by someone."""
    if notification_id is None:
        return None
    return NotificationWork.objects.filter(notification_id=notification_id, done_at__isnull=False).first()
