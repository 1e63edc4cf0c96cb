from __future__ import annotations

from django.contrib import admin

from project.operators import OperatorReadOnly
from streams.models import Company


@admin.register(Company)
class CompanyAdmin(OperatorReadOnly, admin.ModelAdmin):
    """Every company we know of, across all practices: the operator's only. Companies appear when
    added to a list or heard of from CH, never by hand."""

    list_display = ["company_number", "name", "status", "profile_timepoint", "updated_at"]
    search_fields = ["company_number", "name"]
    list_filter = ["status"]
    readonly_fields = ["company_number", "name", "status", "profile", "profile_timepoint", "updated_at"]
