"""The practice's work on a notification, beside each member's own read state: whether it is
dealt with (by whom, when), who it is assigned to, the notes on it, and the history of each
change. One practice's, shared by all its members; no row means open and unassigned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from notifications.models.notices import Notification


class NotificationWork(models.Model):
    notification = models.OneToOneField(
        Notification, primary_key=True, on_delete=models.CASCADE, related_name="work"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_by_name = models.CharField(max_length=300, blank=True)  # kept after the account goes
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "notification's state"
        indexes = [
            models.Index(
                fields=["assignee"], condition=models.Q(assignee__isnull=False), name="work_assigned"
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.notification_id}: {'done' if self.done_at else 'open'}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class NotificationNote(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=300, blank=True)
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note by {self.author_name} on notification {self.notification_id}"


class NotificationChange(models.Model):
    """One change to the practice's work on a notification: the item's history."""

    class Action(models.TextChoices):
        DONE = "done", "marked it done"
        REOPENED = "reopened", "opened it again"
        ASSIGNED = "assigned", "assigned it to"
        UNASSIGNED = "unassigned", "took the assignment off"
        NOTE = "note", "added a note"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_action_display()} {self.detail}".strip()
