"""An organisation's filing deadlines: its clients' next accounts and confirmation statement due
dates from their CH profiles, overdue first, filterable by client list (members only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from notifications.deadlines import page as deadlines
from notifications.deadlines.profiles import local_today
from notifications.feed import queries as feed
from notifications.feed.views import organisation_of as _organisation


@login_required
@require_GET
def deadlines_page(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = _organisation(request, organisation_id)
    try:
        client_list = int(request.GET.get("list") or 0) or None
    except ValueError:
        client_list = None
    rows = deadlines.deadlines_for(organisation.id, client_list)
    return render(
        request,
        "notifications/deadlines.html",
        {
            "organisation": organisation,
            "organisations": feed.organisations_for(request.user),
            "rows": rows,
            "overdue": sum(1 for row in rows if row.overdue),
            "client_lists": feed.client_lists(organisation.id),
            "client_list": client_list,
            "today": local_today(organisation.time_zone),
        },
    )
