from __future__ import annotations

from django.contrib import admin

from ..models import Company


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    """Every company we know of, across all practices: superusers only (see has_*_permission)."""

    list_display = ["company_number", "name", "status", "profile_timepoint", "updated_at"]
    search_fields = ["company_number", "name"]
    list_filter = ["status"]
    readonly_fields = ["company_number", "name", "status", "profile", "profile_timepoint", "updated_at"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False  # companies appear when added to a list or heard of from CH

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
