from __future__ import annotations

from django.db import models

from streams.models import Company


class DeadlineReminder(models.Model):
    """One reminder sent about one deadline of one company: at most once per stage (30, 7, 1 days
    before, and when it becomes overdue), whatever runs the job twice."""

    class Kind(models.TextChoices):
        ACCOUNTS = "accounts", "Accounts"
        CONFIRMATION_STATEMENT = "confirmation-statement", "Confirmation statement"

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="deadline_reminders", db_column="company_number"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    due_date = models.DateField()
    stage = models.CharField(
        max_length=10, help_text='days before the due date ("30", "7", "1") or "overdue"'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "due_date", "stage"], name="deadline_reminder_once_per_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.kind} due {self.due_date}: {self.stage}"
