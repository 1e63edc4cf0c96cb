"""The signed link in every email: it turns that user's email off, and does nothing else.

It logs nobody in. POST is exempt from CSRF because mail clients do RFC 8058 one-click
unsubscribe by POSTing `List-Unsubscribe=One-Click` with no token; the signed token in the
URL is what proves the request came from our email.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..models import UserPreferences
from ..unsubscribe import user_id_for

INVALID = (
    "This unsubscribe link is not valid: it may have been cut short or changed. "
    "Use the link from a recent email from Client Watch, or sign in and change your email settings.\n"
)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user_id = user_id_for(token)
    if user_id is None or not get_user_model().objects.filter(pk=user_id).exists():
        return HttpResponseBadRequest(INVALID, content_type="text/plain; charset=utf-8")
    if request.method == "GET":
        # Link scanners and previews GET links: only a POST changes anything.
        return render(request, "notifications/unsubscribe_confirm.html")
    UserPreferences.objects.update_or_create(user_id=user_id, defaults={"email_enabled": False})
    return render(request, "notifications/unsubscribed.html")
