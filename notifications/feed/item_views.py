"""One notification's page (the full text, the client, the practice's work on it and its history)
and the actions on it: done, open again, assign, a note, read or unread. Each action is a plain
form (no JavaScript needed) that returns to where it came from; asked for JSON (the feed's
script), it answers with the item as the feed shows it, and the page stays where it is.

Every URL starts from the organisation in it, which must be one of the user's (else 404), and the
notification must be that organisation's (else 404, as for no notification)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from notifications.content.describe import CH_SITE
from notifications.feed import queries as feed
from notifications.feed import work
from notifications.feed.views import organisation_of
from notifications.models import ClientListEntry, Membership, Notification, UserNotification

OTHER_ITEMS = 10


def _notification(request: HttpRequest, organisation_id: int, notification_id: int):
    organisation = organisation_of(request, organisation_id)
    notification = get_object_or_404(
        Notification.objects.select_related("company", "event"), pk=notification_id, organisation=organisation
    )
    return organisation, notification


@login_required
@require_GET
def item_page(request: HttpRequest, organisation_id: int, notification_id: int) -> HttpResponse:
    organisation, n = _notification(request, organisation_id, notification_id)
    feed.mark_read(request.user, organisation.id, [n.id])  # opened: read, for this member
    entries = ClientListEntry.objects.filter(
        client_list__organisation=organisation, company_id=n.company_id
    ).select_related("client_list")
    others = (
        Notification.objects.filter(organisation=organisation, company_id=n.company_id)
        .exclude(pk=n.pk)
        .order_by("-id")[:OTHER_ITEMS]
    )
    state = feed.work_json(n)
    members = Membership.objects.filter(organisation=organisation).select_related("user")
    return render(
        request,
        "notifications/item.html",
        {
            "organisation": organisation,
            "n": n,
            "state": state,
            "entries": entries,
            "others": others,
            "notes": n.notes.all(),
            "changes": n.changes.all(),
            "members": sorted(
                members, key=lambda m: (m.user.get_full_name() or m.user.get_username()).lower()
            ),
            "links": [link for link in n.links if str(link.get("url", "")).startswith("https://")]
            + document_link(n),
        },
    )


def document_link(n: Notification) -> list[dict]:
    """The filing's document on CH, once CH has one: the stored event as it is now (a later event
    of the same filing, when the document arrives, updates it), not as it was when we told."""
    event = n.event if n.event_id else None
    if event is None or event.resource_kind != "filing-history" or not isinstance(event.data, dict):
        return []
    links, transaction_id = event.data.get("links"), event.data.get("transaction_id")
    if not (isinstance(links, dict) and links.get("document_metadata") and isinstance(transaction_id, str)):
        return []
    url = f"{CH_SITE}/company/{n.company_id}/filing-history/{transaction_id}/document?format=pdf&download=0"
    return [{"label": "The filing's document (PDF) on Companies House", "url": url}]


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _answer(request: HttpRequest, organisation_id: int, n: Notification) -> HttpResponse:
    if request.headers.get("Accept", "").startswith("application/json"):
        row = (
            UserNotification.objects.filter(user=request.user, notification=n)
            .select_related("notification", "notification__work", "notification__work__assignee")
            .first()
        )
        item = feed.as_json(row) if row is not None else {"id": n.id, **feed.work_json(n)}
        return JsonResponse({"item": item, "unread": feed.unread_count(request.user, organisation_id)})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("feed_item", args=[organisation_id, n.id])
    return redirect(target)


def _refused(request: HttpRequest, organisation_id: int, n: Notification, exc: work.WorkError):
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"error": str(exc)}, status=400)
    messages.error(request, str(exc))
    return redirect("feed_item", organisation_id, n.id)


@login_required
@require_POST
def mark_done(request, organisation_id: int, notification_id: int) -> HttpResponse:
    organisation, n = _notification(request, organisation_id, notification_id)
    work.mark_done(n, request.user)
    feed.mark_read(request.user, organisation.id, [n.id])
    return _answer(request, organisation.id, n)


@login_required
@require_POST
def reopen(request, organisation_id: int, notification_id: int) -> HttpResponse:
    organisation, n = _notification(request, organisation_id, notification_id)
    work.reopen(n, request.user)
    return _answer(request, organisation.id, n)


@login_required
@require_POST
def assign(request, organisation_id: int, notification_id: int) -> HttpResponse:
    organisation, n = _notification(request, organisation_id, notification_id)
    chosen = request.POST.get("assignee", "")
    assignee = None
    if chosen:
        assignee = (
            get_user_model()
            .objects.filter(pk=int(chosen) if chosen.isdigit() else 0, memberships__organisation=organisation)
            .first()
        )
        if assignee is None:
            return _refused(request, organisation.id, n, work.WorkError("Choose a member of the practice."))
    try:
        work.assign(n, assignee, request.user)
    except work.WorkError as exc:
        return _refused(request, organisation.id, n, exc)
    return _answer(request, organisation.id, n)


@login_required
@require_POST
def add_note(request, organisation_id: int, notification_id: int) -> HttpResponse:
    organisation, n = _notification(request, organisation_id, notification_id)
    try:
        work.add_note(n, request.POST.get("text", ""), request.user)
    except work.WorkError as exc:
        return _refused(request, organisation.id, n, exc)
    return _answer(request, organisation.id, n)


@login_required
@require_POST
def mark_unread(request, organisation_id: int, notification_id: int) -> HttpResponse:
    organisation, n = _notification(request, organisation_id, notification_id)
    feed.mark_unread(request.user, organisation.id, n.id)
    return _answer(request, organisation.id, n)


urlpatterns = [
    path("feed/<int:organisation_id>/n/<int:notification_id>/", item_page, name="feed_item"),
    path("feed/<int:organisation_id>/n/<int:notification_id>/done/", mark_done, name="feed_done"),
    path("feed/<int:organisation_id>/n/<int:notification_id>/reopen/", reopen, name="feed_reopen"),
    path("feed/<int:organisation_id>/n/<int:notification_id>/assign/", assign, name="feed_assign"),
    path("feed/<int:organisation_id>/n/<int:notification_id>/note/", add_note, name="feed_note"),
    path("feed/<int:organisation_id>/n/<int:notification_id>/unread/", mark_unread, name="feed_unread"),
]
