from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods


@never_cache
@require_http_methods(["GET", "POST"])
def log_out(request: HttpRequest) -> HttpResponse:
    """Log out, by the header's link (GET) or a form (POST), and say so.

    Django 5's LogoutView takes POST only, so that another site cannot log a visitor out with a
    link. That costs the visitor a login at most, while a plain "Log out" link that answers 405
    fails every person who follows one from a bookmark or an email: GET logs out too."""
    logout(request)
    return render(request, "registration/logged_out.html")
