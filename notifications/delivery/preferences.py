"""A member's own email settings; nothing here takes a user id from the request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from notifications.delivery.forms import PreferencesForm
from notifications.models import EmailSuppression


def shown_address(address: str) -> str:
    """The address as the warning shows it: "a***@example.com"."""
    local, at, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


def _suppression(user) -> EmailSuppression | None:
    address = EmailSuppression.normalise(user.email)
    return EmailSuppression.objects.filter(address=address).first() if address else None


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your email settings are saved.")
        return redirect("preferences")
    suppression = _suppression(request.user)
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "has_address": bool(request.user.email.strip()),
            "suppression": suppression,
            "shown_address": shown_address(suppression.address) if suppression else "",
        },
    )


@login_required
@require_POST
def resume_email(request: HttpRequest) -> HttpResponse:
    """Clear the block on the user's own current address (they say it works again)."""
    suppression = _suppression(request.user)
    if suppression is not None:
        suppression.delete()
        messages.success(request, f"We will send email to {shown_address(suppression.address)} again.")
    return redirect("preferences")
