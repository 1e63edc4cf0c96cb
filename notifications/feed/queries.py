"""The feed's queries: what one member of one organisation sees, filtered, and their read state.

Everything here starts from the member's own UserNotification rows, so nobody can see another
organisation's notifications whatever they put in a URL (README, Guarantees, 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from notifications.content.categories import Category, Severity
from notifications.models import ClientList, ClientListEntry, Membership, Organisation, UserNotification
from streams.models import Company

PAGE_SIZE = 25
API_LIMIT = 200


def feed_url(notification_id: int | None = None, organisation_id: int | None = None) -> str:
    """An absolute address for emails: the notification's own page, or the feed."""
    if notification_id and organisation_id:
        return settings.SITE_URL + reverse("feed_item", args=[organisation_id, notification_id])
    return settings.SITE_URL + (
        reverse("feed", args=[organisation_id]) if organisation_id else reverse("feed_home")
    )


def organisations_for(user) -> list[Organisation]:
    if not user.is_authenticated:
        return []
    return list(Organisation.objects.filter(memberships__user=user).order_by("name"))


def is_member(user, organisation_id: int) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(user=user, organisation_id=organisation_id).exists()
    )


# What the feed shows of the practice's work: open by default (what still needs someone).
SHOW = {
    "open": "Open",
    "mine": "Assigned to me",
    "unassigned": "Open, unassigned",
    "done": "Done",
    "all": "Everything",
}


@dataclass(frozen=True)
class Filters:
    category: str = ""
    severity: str = ""
    client_list: int | None = None
    company: str = ""  # a search: client reference, company name (current or earlier), number, title
    unread: bool = False
    show: str = "open"

    @classmethod
    def from_query(cls, query) -> Filters:
        category = query.get("category", "")
        severity = query.get("severity", "")
        try:
            client_list = int(query.get("list") or 0) or None
        except ValueError:
            client_list = None
        show = query.get("show", "open")
        return cls(
            category=category if category in Category.values else "",
            severity=severity if severity in Severity.values else "",
            client_list=client_list,
            company=(query.get("q") or query.get("company", "")).strip()[:100],
            unread=query.get("unread") in ("1", "on", "true"),
            show=show if show in SHOW else "open",
        )

    def as_query(self) -> dict[str, str]:
        values = {
            "category": self.category,
            "severity": self.severity,
            "list": str(self.client_list or ""),
            "q": self.company,
            "unread": "1" if self.unread else "",
            "show": self.show if self.show != "open" else "",
        }
        return {k: v for k, v in values.items() if v}


def items(user, organisation_id: int, filters: Filters = Filters()) -> QuerySet[UserNotification]:
    """The member's notifications in one organisation, newest first."""
    rows = UserNotification.objects.filter(user=user, organisation_id=organisation_id).select_related(
        "notification", "notification__work", "notification__work__assignee"
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
        rows = rows.filter(_search(organisation_id, filters.company))
    if filters.unread:
        rows = rows.filter(read_at=None)
    if filters.show == "open":
        rows = rows.filter(Q(notification__work__isnull=True) | Q(notification__work__done_at=None))
    elif filters.show == "done":
        rows = rows.filter(notification__work__done_at__isnull=False)
    elif filters.show == "mine":
        rows = rows.filter(notification__work__assignee=user, notification__work__done_at=None)
    elif filters.show == "unassigned":
        rows = rows.filter(
            Q(notification__work__isnull=True)
            | Q(notification__work__assignee=None, notification__work__done_at=None)
        )
    return rows.order_by("-notification_id")


@dataclass(frozen=True)
class FeedPage:
    """One page of the feed, with as much of Django's `Page` as the feed's template uses, but no
    total: counting a member's rows (100,000 in a busy practice) on every load cost more than
    everything else the page does, so a page knows only whether there is an older one.
    `paginator.num_pages` is the last page's number once it is known, "many" before."""

    object_list: list
    number: int
    more: bool

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def paginator(self) -> FeedPage:
        return self

    @property
    def num_pages(self) -> int | str:
        return "many" if self.more else self.number

    def __len__(self) -> int:
        return len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)


def page_of(rows: QuerySet, asked: str | None, size: int = PAGE_SIZE) -> FeedPage:
    """Page `asked` of `rows` (page 1 if it is not a number): one more row than a page is fetched,
    to know whether an older page exists. Past the end (an old link), the last page, as Django's
    `Paginator.get_page` gives: only then are the rows counted."""
    try:
        number = max(1, int(asked or 1))
    except ValueError:
        number = 1
    found = list(rows[(number - 1) * size : number * size + 1])
    if not found and number > 1:
        number = max(1, -(-rows.count() // size))
        found = list(rows[(number - 1) * size : number * size + 1])
    return FeedPage(found[:size], number, len(found) > size)


def _search(organisation_id: int, text: str) -> Q:
    """What accountants search by: their own client reference, the company's name (now or before),
    its number, or words of the title."""
    number = text.upper().replace(" ", "")
    # The practice's own companies that match, as lists (a few, of one practice's lists): as
    # subqueries inside the OR, PostgreSQL can only test each row against them, and it then
    # walked every row of the member's (100,000 in a busy practice) to find a rare client's.
    referenced = ClientListEntry.objects.filter(
        client_list__organisation_id=organisation_id, client_reference__icontains=text
    ).values_list("company_id", flat=True)
    renamed = Company.objects.filter(
        entries__client_list__organisation_id=organisation_id,
        profile__previous_company_names__icontains=text,
    ).values_list("company_number", flat=True)
    numbers = sorted({number, *referenced, *renamed})
    return (
        Q(notification__company__in=numbers)
        | Q(notification__company_name__icontains=text)
        | Q(notification__title__icontains=text)
    )


def client_lists(organisation_id: int) -> list[ClientList]:
    return list(ClientList.objects.filter(organisation_id=organisation_id).order_by("name"))


def unread_count(user, organisation_id: int) -> int:
    return UserNotification.objects.filter(user=user, organisation_id=organisation_id, read_at=None).count()


def mark_read(user, organisation_id: int, notification_ids=None) -> int:
    rows = UserNotification.objects.filter(user=user, organisation_id=organisation_id, read_at=None)
    if notification_ids is not None:
        rows = rows.filter(notification_id__in=notification_ids)
    return rows.update(read_at=timezone.now())


def mark_all_read(user, organisation_id: int, filters: Filters, upto: int) -> int:
    """What the page showed: the rows matching its filters, none newer than the newest it had."""
    ids = items(user, organisation_id, filters).filter(read_at=None, notification_id__lte=upto)
    rows = UserNotification.objects.filter(pk__in=ids.order_by().values("pk"))
    return rows.update(read_at=timezone.now())


def mark_unread(user, organisation_id: int, notification_id: int) -> int:
    rows = UserNotification.objects.filter(
        user=user, organisation_id=organisation_id, notification_id=notification_id
    )
    return rows.update(read_at=None)


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
        **work_json(n),
        "url": reverse("feed_item", args=[n.organisation_id, n.id]),
        "client_url": reverse("feed_client", args=[n.organisation_id, n.company_id]),
    }


def work_json(n) -> dict:
    """The practice's state of the item, for the page's script."""
    work = getattr(n, "work", None) if _has_work(n) else None
    assignee = work.assignee if work is not None else None
    return {
        "done": bool(work and work.done_at),
        "done_by": work.done_by_name if work and work.done_at else "",
        "assignee": (assignee.get_full_name() or assignee.get_username()) if assignee else "",
        "assignee_id": assignee.pk if assignee else None,
    }


def _has_work(n) -> bool:
    try:
        return n.work is not None
    except ObjectDoesNotExist:
        return False
