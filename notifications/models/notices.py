from __future__ import annotations

from django.conf import settings
from django.db import models

from notifications.content.categories import Category, Severity
from notifications.models.organisations import Organisation
from streams.models import Company

# CH's events reach consumers 2 to 5 minutes after published_at: past this, the feed says how late.
LATE_MINUTES = 30


class Notification(models.Model):
    """One CH fact told to one organisation: the texts are fixed when it is made, so the feed,
    the emails and the admin say the same, even after the stored event is trimmed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(
        "streams.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    reminder = models.ForeignKey(
        "DeadlineReminder", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )  # for a deadline reminder (no CH event)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="notifications", db_column="company_number"
    )
    company_name = models.CharField(max_length=300, blank=True)
    client_references = models.JSONField(default=list, blank=True)  # the practice's own, per list
    category = models.CharField(max_length=40, choices=Category.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True)  # [{"label": ..., "url": ...}] on CH's site
    stream = models.CharField(max_length=64)
    timepoint = models.BigIntegerField(null=True, blank=True)  # none for a deadline reminder
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "event"], name="notification_once_per_org_event"),
            models.UniqueConstraint(
                fields=["organisation", "reminder"], name="notification_once_per_org_reminder"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-id"], name="notification_org_newest")]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.title}"

    @property
    def reached_us_late_by(self) -> str:
        """How long after CH published it we told the practice, in words, when that was longer
        than CH's usual few minutes (an outage, a replay after a gap); "" otherwise."""
        if self.published_at is None or self.created_at is None:
            return ""
        minutes = (self.created_at - self.published_at).total_seconds() / 60
        if minutes < LATE_MINUTES:
            return ""
        if minutes < 120:
            return f"{minutes:.0f} minutes"
        hours = minutes / 60
        return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


class UserNotification(models.Model):
    """A member's copy of a notification: their read state (one row per member, made at fan-out)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="user_notification_once"),
        ]
        indexes = [
            models.Index(
                fields=["user", "organisation"],
                condition=models.Q(read_at=None),
                name="user_notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.notification_id} for user {self.user_id}"
