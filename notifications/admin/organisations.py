from __future__ import annotations

from django.contrib import admin

from ..models import Membership, Organisation
from .scoping import ScopedModelAdmin, ScopedPermissions


class MembershipInline(ScopedPermissions, admin.TabularInline):
    model = Membership
    organisation_path = "pk"  # the parent is the Organisation itself
    autocomplete_fields = ["user"]
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]
    extra = 1

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Organisation)
class OrganisationAdmin(ScopedModelAdmin):
    """Superusers manage practices and their members; a practice's admins may look at theirs."""

    organisation_path = "pk"
    inlines = [MembershipInline]
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="Members")
    def member_count(self, organisation: Organisation) -> int:
        return organisation.memberships.count()
