"""The development mailbox: the emails notifications.delivery.devmail kept, listed and shown.

Only for superusers, and only when DEBUG or DEV_MAILBOX is on: otherwise every page is a 404, as
if it did not exist (an anonymous visitor is sent to log in first, as everywhere on the site). The
messages are every practice's email, so no practice member may read them.

An email's HTML is shown in a sandboxed iframe that runs no script and has an origin of its own, so
nothing in a message can act on this page or the session; the page also forbids scripts outright.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from notifications.delivery import devmail

PAGE_SIZE = 50
# Inherited by the srcdoc iframe too: a second lock on the email's HTML besides the sandbox.
POLICY = "script-src 'none'; object-src 'none'"


def mailbox_enabled() -> bool:
    return bool(settings.DEBUG or getattr(settings, "DEV_MAILBOX", False))


def _mailbox_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @require_GET
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (mailbox_enabled() and request.user.is_superuser):
            raise Http404("No such page")
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = POLICY
        return response

    return guarded


@_mailbox_view
def mailbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(devmail.names(), PAGE_SIZE).get_page(request.GET.get("page"))
    directory = devmail.mail_dir()
    emails = []
    for name in page.object_list:
        try:
            emails.append(devmail.summary(name, directory))
        except FileNotFoundError:
            continue  # deleted since the folder was read
    return render(
        request,
        "notifications/mailbox.html",
        {"page": page, "emails": emails, "directory": directory},
    )


@_mailbox_view
def mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    shown = devmail.show(name)
    if shown is None:
        raise Http404("No such message")
    return render(
        request,
        "notifications/mailbox_message.html",
        {"message": shown, "srcdoc": links_in_new_tabs(shown.html) if shown.html is not None else None},
    )


@_mailbox_view
def mailbox_raw(request: HttpRequest, name: str) -> HttpResponse:
    path = devmail.find(name)
    if path is None:
        raise Http404("No such message")
    # Read whole: an email is kilobytes, and no file is left open when the response is dropped.
    response = HttpResponse(path.read_bytes(), content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
_BASE = '<base target="_blank">'


def links_in_new_tabs(html: str) -> str:
    """The email's HTML with its links opening in a new tab: a link followed inside the small frame
    would leave the mailbox page behind it."""
    head = _HEAD.search(html)
    if head is None:
        return _BASE + html
    return html[: head.end()] + _BASE + html[head.end() :]


urlpatterns = [
    path("", mailbox, name="dev_mailbox"),
    path("<str:name>/", mailbox_message, name="dev_mailbox_message"),
    path("<str:name>/raw/", mailbox_raw, name="dev_mailbox_raw"),
]
