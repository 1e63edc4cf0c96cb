"""One client's page, the evidence an accountant keeps for the client's file: everything Companies
House published about the company that the practice was told (newest first, by category), its
deadlines, its profile as CH last described it (name, status, registered office, officers), the
practice's references and lists, and the notes on its items; the timeline also as CSV, and the
page prints cleanly (its own print stylesheet).

The address names the organisation, which must be one of the user's, and a company number. The
company must be on one of that practice's client lists now, or the practice must have been told
about it before (a client it has since taken off its lists keeps its history): else 404, as for
a number that is not a company number at all, so no URL tells one practice about another's."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from notifications.content.categories import Category
from notifications.content.describe import company_links
from notifications.deadlines.page import ClientDeadline
from notifications.deadlines.profiles import company_deadlines, local_today
from notifications.feed.views import organisation_of
from notifications.models import ClientListEntry, Notification, NotificationNote, Organisation
from notifications.practices.client_csv import spreadsheet_safe as guard_formula
from streams.company_numbers import InvalidCompanyNumber, normalise_company_number
from streams.models import Company, Officer

PAGE_SIZE = 50
NOTES_SHOWN = 200  # the newest; the CSV carries every note with its item
OFFICERS_SHOWN = 100
CSV_COLUMNS = ["date", "category", "severity", "title", "body", "done by", "done at", "assignee", "notes"]
# CH's registered_office_address, in the order an address is written on an envelope.
ADDRESS_LINES = (("premises", "address_line_1"), ("address_line_2",), ("locality",), ("region",))
ADDRESS_TAIL = ("postal_code", "country")


@dataclass(frozen=True)
class Client:
    organisation: Organisation
    company: Company
    entries: list[ClientListEntry]  # empty: no longer on any of the practice's lists

    @property
    def number(self) -> str:
        return self.company.company_number


def _client(request: HttpRequest, organisation_id: int, company_number: str) -> Client:
    """The client named by the address, or 404 (see the module's docstring)."""
    organisation = organisation_of(request, organisation_id)
    try:
        number = normalise_company_number(company_number)
    except InvalidCompanyNumber:
        raise Http404("No such client") from None
    entries = list(
        ClientListEntry.objects.filter(client_list__organisation=organisation, company_id=number)
        .select_related("client_list")
        .order_by("client_list__name")
    )
    if not entries and not Notification.objects.filter(organisation=organisation, company_id=number).exists():
        raise Http404("No such client")
    # Either one means the row exists (both keep it with PROTECT); the filings list is not shown.
    company = Company.objects.defer("recent_filings").get(pk=number)
    return Client(organisation, company, entries)


def _category(request: HttpRequest) -> str:
    chosen = request.GET.get("category", "")
    return chosen if chosen in Category.values else ""


def timeline(organisation: Organisation, number: str, category: str = "") -> QuerySet[Notification]:
    """The practice's notifications about one company, newest first, with the work on each: the
    organisation leads the filter so PostgreSQL can walk the (organisation, -id) index."""
    items = Notification.objects.filter(organisation=organisation, company_id=number)
    if category:
        items = items.filter(category=category)
    return items.select_related("work", "work__assignee").order_by("-id")


def _profile(client: Client) -> dict:
    """What the page shows of CH's profile: CH's own words first, our columns when it has none."""
    profile = client.company.profile if isinstance(client.company.profile, dict) else {}
    office = profile.get("registered_office_address")
    office = office if isinstance(office, dict) else {}
    lines = [" ".join(str(office[k]) for k in keys if office.get(k)) for keys in ADDRESS_LINES]
    lines.append(" ".join(str(office[k]) for k in ADDRESS_TAIL if office.get(k)))
    status = str(profile.get("company_status") or client.company.status or "")
    return {
        "known": bool(profile),
        "name": profile.get("company_name") or client.company.name or client.number,
        "status": status.replace("-", " ").capitalize(),
        "type": str(profile.get("type") or "").replace("-", " "),
        "created": profile.get("date_of_creation") or "",
        "office": [line for line in lines if line],
    }


def _officers(number: str) -> list[dict]:
    """Officers CH's REST API listed for the company and not resigned (only the parts shown: the
    stored resource is larger)."""
    rows = (
        Officer.objects.filter(company_number=number, resigned_on__isnull=True)
        .order_by("name")
        .values_list("name", "data__officer_role", "data__appointed_on")[:OFFICERS_SHOWN]
    )
    return [
        {"name": name, "role": str(role or "").replace("-", " "), "appointed_on": appointed or ""}
        for name, role, appointed in rows
    ]


def _deadlines(client: Client) -> list[ClientDeadline]:
    """The deadlines page's rows for this one company, days left counted in the practice's zone."""
    today = local_today(client.organisation.time_zone)
    profile = client.company.profile
    references = tuple(e.client_reference for e in client.entries if e.client_reference)
    name = client.company.name
    return [
        ClientDeadline(client.number, name, references, d, True) for d in company_deadlines(profile, today)
    ]


@login_required
@require_GET
def client_page(request: HttpRequest, organisation_id: int, company_number: str) -> HttpResponse:
    client = _client(request, organisation_id, company_number)
    if client.number != company_number:  # "9876543" or "sc123456": one address per client
        target = reverse("feed_client", args=[client.organisation.id, client.number])
        return redirect(target + ("?" + request.GET.urlencode() if request.GET else ""))
    category = _category(request)
    items = timeline(client.organisation, client.number, category)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    notes = (
        NotificationNote.objects.filter(notification__in=items.values("id"))
        .select_related("notification")
        .only("author_name", "text", "created_at", "notification__id", "notification__title")
        .order_by("-created_at", "-id")[:NOTES_SHOWN]
    )
    return render(
        request,
        "notifications/client.html",
        {
            "organisation": client.organisation,
            "client": client,
            "profile": _profile(client),
            "officers": _officers(client.number),
            "deadlines": _deadlines(client),
            "today": local_today(client.organisation.time_zone),
            "page": page,
            "category": category,
            "categories": Category.choices,
            "query": urlencode({"category": category}) if category else "",
            "notes": notes,
            "notes_shown": NOTES_SHOWN,
            "ch_url": company_links(client.number, "")[0]["url"],
            "page_url": request.build_absolute_uri(),
        },
    )


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def timeline_rows(items: QuerySet[Notification]):
    """The CSV's rows, in CSV_COLUMNS order, for the timeline `items` (notes fetched in batches)."""
    notes = Prefetch("notes", queryset=NotificationNote.objects.order_by("created_at", "id"))
    for n in items.prefetch_related(notes).iterator(chunk_size=500):
        work = getattr(n, "work", None)
        assignee = work.assignee if work is not None else None
        yield [
            _when(n.published_at or n.created_at),
            n.get_category_display(),
            n.get_severity_display(),
            n.title,
            n.body,
            work.done_by_name if work is not None and work.done_at else "",
            _when(work.done_at) if work is not None else "",
            (assignee.get_full_name() or assignee.get_username()) if assignee else "",
            "\n".join(
                f"{note.author_name or 'Someone'}, {_when(note.created_at)}: {note.text}"
                for note in n.notes.all()
            ),
        ]


@login_required
@require_GET
def client_csv(request: HttpRequest, organisation_id: int, company_number: str) -> HttpResponse:
    client = _client(request, organisation_id, company_number)
    items = timeline(client.organisation, client.number, _category(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="client-{client.number}-timeline.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    # CH's texts and the practice's notes are not ours: a cell that a spreadsheet would run as a
    # formula is written as text, as the client list export does.
    writer.writerows([guard_formula(cell) for cell in row] for row in timeline_rows(items))
    return response


urlpatterns = [
    path("feed/<int:organisation_id>/c/<str:company_number>/", client_page, name="feed_client"),
    path("feed/<int:organisation_id>/c/<str:company_number>/csv/", client_csv, name="feed_client_csv"),
]
