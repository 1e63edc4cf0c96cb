"""The feed: a member's notifications for one organisation, server-rendered (works without
JavaScript) and made live by static/notifications/feed.js over the WebSocket."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from notifications.content.categories import Category, Severity
from notifications.feed import queries as feed
from notifications.feed.coverage import coverage_notices

SESSION_KEY = "feed_organisation_id"


def organisation_of(request: HttpRequest, organisation_id: int, organisations=None):
    """The organisation, if the user is a member; 404 otherwise (not even "it exists")."""
    for organisation in organisations if organisations is not None else feed.organisations_for(request.user):
        if organisation.id == organisation_id:
            return organisation
    raise Http404("No such organisation")


@login_required
@require_GET
def feed_home(request: HttpRequest) -> HttpResponse:
    organisations = feed.organisations_for(request.user)
    if not organisations:
        return render(request, "notifications/no_organisation.html", status=200)
    remembered = request.session.get(SESSION_KEY)
    chosen = next((o for o in organisations if o.id == remembered), organisations[0])
    return redirect("feed", organisation_id=chosen.id)


@login_required
@require_GET
def feed_page(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisations = feed.organisations_for(request.user)
    organisation = organisation_of(request, organisation_id, organisations)
    if request.session.get(SESSION_KEY) != organisation.id:  # else no session write on each load
        request.session[SESSION_KEY] = organisation.id
    filters = feed.Filters.from_query(request.GET)
    page = feed.page_of(feed.items(request.user, organisation.id, filters), request.GET.get("page"))
    query = filters.as_query()
    newest = page.object_list[0].notification_id if page.number == 1 and page.object_list else 0
    # "Mark all read" marks what this view holds now, never what arrives after it was loaded.
    upto = (
        feed.items(request.user, organisation.id, filters).values_list("notification_id", flat=True).first()
        or 0
    )
    return render(
        request,
        "notifications/feed.html",
        {
            "organisation": organisation,
            "organisations": organisations,
            "page": page,
            "filters": filters,
            "query": urlencode(query),
            "coverage": coverage_notices(organisation),
            "client_lists": feed.client_lists(organisation.id),
            "categories": Category.choices,
            "severities": Severity.choices,
            "unread": feed.unread_count(request.user, organisation.id),
            "live": page.number == 1,  # new items arrive at the top of the first page only
            "newest_id": newest,
            "upto": upto,
            "shows": feed.SHOW.items(),
            "api_url": reverse("feed_api", args=[organisation.id])
            + ("?" + urlencode(query) if query else ""),
            "ws_path": f"/ws/feed/{organisation.id}/",
        },
    )


@login_required
@require_GET
def feed_api(request: HttpRequest, organisation_id: int) -> JsonResponse:
    """Everything after `after` (oldest first, at most API_LIMIT): the page's catch-up after a
    reconnect and its way to fetch what a push announced; or, with `ids`, those items as they are
    now (a push said their state changed)."""
    organisation = organisation_of(request, organisation_id)
    try:
        after = max(0, int(request.GET.get("after") or 0))
    except ValueError:
        after = 0
    filters = feed.Filters.from_query(request.GET)
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][: feed.API_LIMIT]
    if ids:  # items whose state changed (a push named them): as they are now, whatever the filter
        rows = feed.items(request.user, organisation.id, feed.Filters(show="all")).filter(
            notification_id__in=ids
        )
    else:
        rows = (
            feed.items(request.user, organisation.id, filters)
            .filter(notification_id__gt=after)
            .order_by("notification_id")[: feed.API_LIMIT]
        )
    return JsonResponse(
        {
            "items": [feed.as_json(row) for row in rows],
            "unread": feed.unread_count(request.user, organisation.id),
            "coverage": [notice.as_json() for notice in coverage_notices(organisation)],
            "limit": feed.API_LIMIT,
        }
    )


def _back(request: HttpRequest, organisation_id: int) -> HttpResponse:
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"unread": feed.unread_count(request.user, organisation_id)})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("feed", args=[organisation_id])
    return redirect(target)


@login_required
@require_POST
def mark_read(request: HttpRequest, organisation_id: int, notification_id: int) -> HttpResponse:
    organisation = organisation_of(request, organisation_id)
    feed.mark_read(request.user, organisation.id, [notification_id])
    return _back(request, organisation.id)


@login_required
@require_POST
def mark_all_read(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Only what the page held: its filters (sent back with the form) and nothing newer than the
    newest it showed (`upto`); back to the same filtered view."""
    organisation = organisation_of(request, organisation_id)
    filters = feed.Filters.from_query(request.POST)
    try:
        upto = max(0, int(request.POST.get("upto") or 0))
    except ValueError:
        upto = 0
    feed.mark_all_read(request.user, organisation.id, filters, upto)
    return _back(request, organisation.id)
