"""Organisation scoping for the admin.

Superusers see everything. A staff user who is an *admin member* of organisations sees and
edits only rows that belong to those organisations; Django's per-model permissions are not
consulted for these models, because the membership role is what grants access. Every other
user (staff or not) sees none of them.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Membership


def administered_organisation_ids(request: HttpRequest) -> frozenset[int]:
    """Ids of the organisations the user is an admin of; cached on the request."""
    cached = getattr(request, "_administered_organisation_ids", None)
    if cached is None:
        user = request.user
        if not (user.is_active and user.is_staff):
            cached = frozenset()
        else:
            cached = frozenset(
                Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values_list(
                    "organisation_id", flat=True
                )
            )
        request._administered_organisation_ids = cached
    return cached


class ScopedPermissions:
    """Permission checks shared by scoped ModelAdmins and inlines.

    `organisation_path` is the lookup from the object to its Organisation, e.g.
    "client_list__organisation". Inline permission checks receive the parent object, so an
    inline's path starts from the parent.
    """

    organisation_path = "organisation"

    def organisation_id_of(self, obj) -> int | None:
        value = obj
        for part in self.organisation_path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return getattr(value, "pk", value)

    def may_touch(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_active and request.user.is_superuser:
            return True
        organisations = administered_organisation_ids(request)
        if not organisations:
            return False
        return obj is None or self.organisation_id_of(obj) in organisations

    def has_module_permission(self, request):
        return self.may_touch(request)

    def has_view_permission(self, request, obj=None):
        return self.may_touch(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.may_touch(request, obj)

    def has_add_permission(self, request, *args):
        return self.may_touch(request)

    def has_delete_permission(self, request, obj=None):
        return self.may_touch(request, obj)


class ScopedModelAdmin(ScopedPermissions, admin.ModelAdmin):
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.organisation_path}__in": administered_organisation_ids(request)})
