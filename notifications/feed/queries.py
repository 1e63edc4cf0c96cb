"""The feed's queries: what one member of one organisation sees, filtered, and their read state.

Everything here starts from the member's own UserNotification rows, so nobody can see another
organisation's notifications whatever they put in a URL (README, Guarantees, 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from notifications.content.categories import Category, Severity
from notifications.models import ClientList, Membership, Organisation, UserNotification

PAGE_SIZE = 25
API_LIMIT = 200


def feed_url(notification_id: int | None = None, organisation_id: int | None = None) -> str:
    """The feed's absolute address (for emails): the notification's organisation, at the item."""

    url = settings.SITE_URL + (
        reverse("feed", args=[organisation_id]) if organisation_id else reverse("feed_home")
    )
    return f"{url}#n{notification_id}" if notification_id else url


def organisations_for(user) -> list[Organisation]:
    if not user.is_authenticated:
        return []
    return list(Organisation.objects.filter(memberships__user=user).order_by("name"))


def is_member(user, organisation_id: int) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(user=user, organisation_id=organisation_id).exists()
    )


@dataclass(frozen=True)
class Filters:
    category: str = ""
    severity: str = ""
    client_list: int | None = None
    company: str = ""
    unread: bool = False

    @classmethod
    def from_query(cls, query) -> Filters:
        category = query.get("category", "")
        severity = query.get("severity", "")
        try:
            client_list = int(query.get("list") or 0) or None
        except ValueError:
            client_list = None
        return cls(
            category=category if category in Category.values else "",
            severity=severity if severity in Severity.values else "",
            client_list=client_list,
            company=query.get("company", "").strip()[:100],
            unread=query.get("unread") in ("1", "on", "true"),
        )

    def as_query(self) -> dict[str, str]:
        values = {
            "category": self.category,
            "severity": self.severity,
            "list": str(self.client_list or ""),
            "company": self.company,
            "unread": "1" if self.unread else "",
        }
        return {k: v for k, v in values.items() if v}


def items(user, organisation_id: int, filters: Filters = Filters()) -> QuerySet[UserNotification]:
    """The member's notifications in one organisation, newest first."""
    rows = UserNotification.objects.filter(user=user, organisation_id=organisation_id).select_related(
        "notification"
    )
    if filters.category:
        rows = rows.filter(notification__category=filters.category)
    if filters.severity:
        rows = rows.filter(notification__severity=filters.severity)
    if filters.client_list:
        rows = rows.filter(
            notification__company__entries__client_list_id=filters.client_list,
            notification__company__entries__client_list__organisation_id=organisation_id,
        )
    if filters.company:
        number = filters.company.upper().replace(" ", "")
        rows = rows.filter(
            Q(notification__company=number) | Q(notification__company_name__icontains=filters.company)
        )
    if filters.unread:
        rows = rows.filter(read_at=None)
    return rows.order_by("-notification_id")


def client_lists(organisation_id: int) -> list[ClientList]:
    return list(ClientList.objects.filter(organisation_id=organisation_id).order_by("name"))


def unread_count(user, organisation_id: int) -> int:
    return UserNotification.objects.filter(user=user, organisation_id=organisation_id, read_at=None).count()


def mark_read(user, organisation_id: int, notification_ids=None) -> int:
    rows = UserNotification.objects.filter(user=user, organisation_id=organisation_id, read_at=None)
    if notification_ids is not None:
        rows = rows.filter(notification_id__in=notification_ids)
    return rows.update(read_at=timezone.now())


def as_json(row: UserNotification) -> dict:
    """One item for the page's script, which writes every value as text (never as markup)."""
    n = row.notification
    published = timezone.localtime(n.published_at) if n.published_at else None
    return {
        "id": n.id,
        "title": n.title,
        "body": n.body,
        "category": n.category,
        "category_label": Category(n.category).label if n.category in Category.values else n.category,
        "severity": n.severity,
        "company_number": n.company_id,
        "company_name": n.company_name,
        "client_references": n.client_references,
        "published_at": published.isoformat() if published else None,
        "published_display": date_format(published, "j F Y, H:i") if published else "",
        "late_by": n.reached_us_late_by,
        "links": [link for link in n.links if str(link.get("url", "")).startswith("https://")],
        "read": row.read_at is not None,
    }
