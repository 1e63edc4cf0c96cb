from __future__ import annotations

from django.conf import settings
from django.db import models

from notifications.models.notices import Notification


class Delivery(models.Model):
    """One message to one user on one channel: a notification at once, or a day's digest.

    Created at fan-out (or digest time), claimed by the job that sends it with a conditional
    update (pending -> sending), so a job run twice sends nothing twice; every attempt counts.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        SUPPRESSED = "suppressed", "Not sent: address blocked"
        SKIPPED = "skipped", "Not sent: dealt with already"

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    digest_date = models.DateField(null=True, blank=True, help_text="for a daily digest: its day")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    address = models.CharField(max_length=254, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(
        null=True, blank=True, help_text="after a transient failure: not before (exponential back-off)"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "user", "channel"],
                condition=models.Q(notification__isnull=False),
                name="delivery_once_per_notification_user_channel",
            ),
            models.UniqueConstraint(
                fields=["digest_date", "user", "channel"],
                condition=models.Q(digest_date__isnull=False),
                name="delivery_one_digest_per_user_day",
            ),
            models.CheckConstraint(
                condition=models.Q(notification__isnull=True) ^ models.Q(digest_date__isnull=True),
                name="delivery_notification_or_digest",
            ),
        ]
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="delivery_unfinished",
            ),
        ]

    def __str__(self) -> str:
        what = (
            f"notification {self.notification_id}" if self.notification_id else f"digest {self.digest_date}"
        )
        return f"{self.get_channel_display()} of {what} to {self.user} ({self.status})"
