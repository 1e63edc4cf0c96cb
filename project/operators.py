"""Who runs the system, and the admin's one copy of the rules for pages only they may use.

The operator is a superuser: streams, queues, companies and deliveries of every practice. Both
apps' admins use these mixins (streams/admin.py and notifications/admin/), so this module imports
nothing of either.
"""

from __future__ import annotations

from django.http import HttpRequest


def is_operator(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


class ReadOnly:
    """Rows nobody adds, changes or deletes in the admin: the system writes them."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OperatorOnly:
    """The operator may do everything Django's admin offers; anyone else sees nothing of it."""

    def has_module_permission(self, request):
        return is_operator(request)

    def has_view_permission(self, request, obj=None):
        return is_operator(request)

    def has_add_permission(self, request, *args):
        return is_operator(request)

    def has_change_permission(self, request, obj=None):
        return is_operator(request)

    def has_delete_permission(self, request, obj=None):
        return is_operator(request)


class OperatorReadOnly(ReadOnly, OperatorOnly):
    """The operator looks; nobody changes."""
