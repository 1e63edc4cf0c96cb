"""The header's links on every page (a context processor): the feed, deadlines, client lists (the
admin, for those who may use it), People (a practice's admins), the account page and log out.

The practice they point at is the one in the address when the user belongs to it, else the
user's first: a member of two practices moves between them from the feed."""

from __future__ import annotations

from django.http import HttpRequest

from notifications.models import Membership


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(
        Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")
    )
    match = getattr(request, "resolver_match", None)
    wanted = match.kwargs.get("organisation_id") if match else None
    current = next((m for m in memberships if m.organisation_id == wanted), None)
    current = current or (memberships[0] if memberships else None)
    return {
        "nav": {
            "organisation": current.organisation if current else None,
            "is_admin": bool(current and current.role == Membership.Role.ADMIN) or user.is_superuser,
            "client_lists": user.is_staff,
            "section": match.url_name if match else "",
        }
    }
