from __future__ import annotations

from django.conf import settings
from django.db import models

from notifications.models.organisations import Organisation
from streams.models import Company


class ClientList(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="client_lists")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    companies = models.ManyToManyField(Company, through="ClientListEntry", related_name="client_lists")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="client_list_name_unique_per_org"),
        ]
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class ClientListEntry(models.Model):
    """One company on one client list, with the practice's own reference for it."""

    client_list = models.ForeignKey(ClientList, on_delete=models.CASCADE, related_name="entries")
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="entries", db_column="company_number"
    )
    client_reference = models.CharField(max_length=100, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "company on a client list"
        verbose_name_plural = "companies on client lists"
        constraints = [
            models.UniqueConstraint(fields=["client_list", "company"], name="client_list_entry_unique"),
        ]
        ordering = ["client_list", "company"]

    def __str__(self) -> str:
        return f"{self.company_id} on {self.client_list.name}"
