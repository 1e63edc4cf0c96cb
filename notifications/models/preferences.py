from __future__ import annotations

from django.conf import settings
from django.db import models

from notifications.content.categories import DEFAULT_EMAIL_MODES, EmailMode


def default_modes() -> dict[str, str]:
    return {str(k): str(v) for k, v in DEFAULT_EMAIL_MODES.items()}


class UserPreferences(models.Model):
    """A user's email settings: per category at once, in the daily digest, or not at all."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    email_enabled = models.BooleanField(
        default=True, help_text="Off: no email at all (the one-click unsubscribe turns this off)."
    )
    urgent_immediately = models.BooleanField(
        default=True, help_text="Urgent news is emailed at once, whatever its category's setting."
    )
    modes = models.JSONField(default=default_modes, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "user preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    def mode_for(self, category: str, severity: str) -> str:
        if not self.email_enabled:
            return EmailMode.OFF
        if self.urgent_immediately and severity == "urgent":
            return EmailMode.IMMEDIATE
        return self.modes.get(category) or DEFAULT_EMAIL_MODES.get(category, EmailMode.OFF)

    @classmethod
    def for_users(cls, user_ids) -> dict[int, UserPreferences]:
        """Everyone's preferences, defaults (unsaved) for those who never chose."""
        found = {p.user_id: p for p in cls.objects.filter(user_id__in=user_ids)}
        return {uid: found.get(uid) or cls(user_id=uid) for uid in user_ids}


class EmailSuppression(models.Model):
    """An address the provider told us not to send to (hard bounce, complaint). Email to it stops
    until the user changes their address or clears it on their preferences page."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "Hard bounce"
        COMPLAINED = "complained", "Marked as spam"
        REJECTED = "rejected", "Rejected by the provider"

    address = models.CharField(max_length=254, unique=True)  # lower-cased
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"

    @staticmethod
    def normalise(address: str) -> str:
        return (address or "").strip().lower()
