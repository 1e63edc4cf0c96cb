"""The signed link in every email: it turns that user's email off, and does nothing else.

Tokens are single-purpose (their own salt) and name one user. The page logs nobody in. POST is
exempt from CSRF because mail clients do RFC 8058 one-click unsubscribe by POSTing
`List-Unsubscribe=One-Click` with no token; the signed token in the URL is what proves the request
came from our email.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.models import UserPreferences

SALT = "notifications.unsubscribe.v1"


def make_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=SALT, compress=False)


def user_id_for(token: str) -> int | None:
    """The user a token was made for, or None if it was not made by us for this purpose."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    user_id = value.get("u") if isinstance(value, dict) else None
    return user_id if isinstance(user_id, int) else None


def unsubscribe_url(user_id: int) -> str:
    return settings.SITE_URL + reverse("unsubscribe", args=[make_token(user_id)])


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
