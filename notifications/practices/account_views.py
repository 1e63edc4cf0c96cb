"""A member's own account page (name, email address, password, their practices, a link to their
email settings) and the emailed link that confirms a new address.

The page acts on request.user and takes no ids. A new address takes effect only when the link
sent to it is followed, which proves the mailbox is the member's; the old address is told first,
so a change asked for by someone else who knows the password can be stopped: the notice says to
reset the password, and a change of password (by any route) voids every change of address asked
for before it, because the confirmation row keeps a fingerprint of the password it was asked
under. Asking again voids the earlier link. The link's page asks for one click, and only that POST
changes the address: mail filters fetch the links in an email before the person reads it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from notifications.models import EmailConfirmation, Membership, PeopleEvent
from notifications.practices.account_forms import (
    AccountPasswordChangeForm,
    EmailChangeForm,
    NameForm,
    address_taken,
)
from notifications.practices.mail import send_account_email
from notifications.practices.people import display_name, record, remember_session
from notifications.practices.tokens import new_token, token_hash

log = logging.getLogger(__name__)

EMAIL_CHANGE = EmailConfirmation.EMAIL_CHANGE
FORMS = ("name", "email", "password")  # the hidden `form` field of each form on the page

NOT_VALID = (
    "This link is not valid: it may have been cut short, or a newer link replaced it. "
    "Copy the whole address from the latest email, or ask for a new link from your account page.\n"
)


# --- the account page -------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    posted = request.POST.get("form") if request.method == "POST" else None
    if request.method == "POST" and posted not in FORMS:
        return redirect("account")
    name_form = NameForm(request.POST if posted == "name" else None, user=user)
    email_form = EmailChangeForm(request.POST if posted == "email" else None, user=user)
    password_form = AccountPasswordChangeForm(user, request.POST if posted == "password" else None)

    if posted == "name" and name_form.is_valid():
        name_form.save()
        messages.success(request, "Your name is saved.")
        return redirect("account")
    if posted == "email" and email_form.is_valid():
        new_email = email_form.cleaned_data["new_email"]
        if ask_for_email_change(user, new_email):
            told = f" We told {user.email} too." if user.email else ""
            messages.success(
                request,
                f"We sent a link to {new_email}. Your address changes when you follow it, within "
                f"{settings.EMAIL_CONFIRMATION_HOURS} hours.{told}",
            )
            return redirect("account")
        email_form.add_error(
            "new_email", "We could not send the confirmation email just now. Try again in a few minutes."
        )
    if posted == "password" and password_form.is_valid():
        password_form.save()
        # The password is part of the session's hash: without this the change would log this
        # session out along with every other.
        update_session_auth_hash(request, password_form.user)
        # That gave the session a new key: note it, so removal from a practice can still end it.
        remember_session(None, request, password_form.user)
        messages.success(request, "Your password is changed. Your other sessions are logged out.")
        return redirect("account")

    return render(
        request,
        "notifications/account.html",
        {
            "name_form": name_form,
            "email_form": email_form,
            "password_form": password_form,
            "pending": pending_email_change(user),
            "memberships": Membership.objects.filter(user=user)
            .select_related("organisation")
            .order_by("organisation__name"),
            "confirmation_hours": settings.EMAIL_CONFIRMATION_HOURS,
        },
    )


# --- a change of email address ----------------------------------------------------------------


def password_mark(user) -> str:
    """A fingerprint of the user's current password (an HMAC of its hash, so the row holds
    nothing a password could be guessed from): what a confirmation remembers it was asked under."""
    return salted_hmac("notifications.practices.email_change", user.password, algorithm="sha256").hexdigest()


def _asked_under_current_password(confirmation: EmailConfirmation) -> bool:
    mark = (confirmation.payload or {}).get("password_mark", "")
    return bool(mark) and constant_time_compare(mark, password_mark(confirmation.user))


def pending_email_change(user) -> EmailConfirmation | None:
    """The change of address the user asked for and has not confirmed yet, if it still can be."""
    pending = (
        EmailConfirmation.objects.select_related("user")
        .filter(purpose=EMAIL_CHANGE, user=user, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return pending if pending is not None and _asked_under_current_password(pending) else None


def ask_for_email_change(user, new_email: str) -> bool:
    """Store a confirmation and email its link to `new_email`, after telling the old address.
    False (and no link left working) when the emails could not be sent."""
    token, hashed = new_token()
    now = timezone.now()
    with transaction.atomic():
        # Only the latest request stands: an earlier link, to this address or another, dies.
        EmailConfirmation.objects.filter(purpose=EMAIL_CHANGE, user=user, used_at__isnull=True).delete()
        confirmation = EmailConfirmation.objects.create(
            purpose=EMAIL_CHANGE,
            user=user,
            email=new_email,
            token_hash=hashed,
            created_at=now,
            expires_at=now + timedelta(hours=settings.EMAIL_CONFIRMATION_HOURS),
            payload={"password_mark": password_mark(user)},
        )
    context = {
        "name": display_name(user),
        "username": user.get_username(),
        "old_email": user.email,
        "new_email": new_email,
        "hours": settings.EMAIL_CONFIRMATION_HOURS,
    }
    try:
        # The old address first: a link to the new one never works without its owner having been
        # told (if this fails, nothing is sent to the new address).
        if user.email:
            send_account_email(
                user.email,
                "Your Client Watch email address is being changed",
                "email_change_notice",
                {
                    **context,
                    "action_url": settings.SITE_URL + reverse("password_reset"),
                    "action_label": "Reset your password",
                },
            )
        send_account_email(
            new_email,
            "Confirm your new email address for Client Watch",
            "email_change_confirm",
            {
                **context,
                "action_url": settings.SITE_URL + reverse("email_change_confirm", args=[token]),
                "action_label": "Confirm this address",
            },
        )
    except Exception:
        # Any backend's failure (anymail's, smtplib's, a socket's): the member is told to try
        # again, and a link that may not have arrived is not left working.
        log.exception("could not send the emails of a change of address for user %s", user.pk)
        confirmation.delete()
        return False
    return True


def change_detail(old: str, new: str) -> str:
    """The audit trail's words: "from a@x.com to b@y.com" (read aloud as it is written)."""
    return f"from {old or 'no address'} to {new}"


def confirm_email_change(confirmation: EmailConfirmation) -> str | None:
    """Spend the link and set the address; the old address, or None if the link was spent by a
    request that got there first. An EmailSuppression stays with the address it names: a blocked
    old address stays blocked, and nothing blocks the new one unless it was already."""
    now = timezone.now()
    with transaction.atomic():
        # Claimed by a conditional update: of two clicks at once, one changes the address.
        if not EmailConfirmation.objects.filter(pk=confirmation.pk, used_at__isnull=True).update(used_at=now):
            return None
        user = get_user_model().objects.select_for_update().get(pk=confirmation.user_id)
        old, new = user.email, confirmation.email
        user.email = new
        fields = ["email"]
        # Accounts made by sign-up or invitation log in with their address: the login follows it
        # (where it fits a username: 150 characters to an address's 254).
        if old and user.get_username().lower() == old.lower() and len(new) <= 150:
            user.username = new.lower()
            fields.append("username")
        user.save(update_fields=fields)
        for membership in Membership.objects.filter(user=user).select_related("organisation"):
            record(
                membership.organisation,
                PeopleEvent.Action.EMAIL_CHANGED,
                user,
                subject=user,
                detail=change_detail(old, new),
            )
    return old


def _problem(request: HttpRequest, confirmation: EmailConfirmation) -> tuple[str, int] | None:
    """Why this link cannot change the address now, and the status to answer with."""
    if request.user.is_authenticated and request.user.pk != confirmation.user_id:
        return "other_user", 403
    if confirmation.used_at is not None:
        return "used", 410
    if confirmation.expires_at <= timezone.now():
        return "expired", 410
    if not _asked_under_current_password(confirmation):
        return "password_changed", 410
    if address_taken(confirmation.email, by_other_than=confirmation.user):
        return "taken", 409
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email: its token alone says whose address changes (no login needed, and
    another user's login is refused)."""
    confirmation = (
        EmailConfirmation.objects.select_related("user")
        .filter(token_hash=token_hash(token), purpose=EMAIL_CHANGE, user__isnull=False)
        .first()
    )
    if confirmation is None:
        return HttpResponseNotFound(NOT_VALID, content_type="text/plain; charset=utf-8")
    problem = _problem(request, confirmation)
    if problem is None and request.method == "POST":
        old = confirm_email_change(confirmation)
        if old is not None:
            confirmation.user.refresh_from_db()
            return render(
                request,
                "notifications/account_email_changed.html",
                {"changed_user": confirmation.user, "new_email": confirmation.email},
            )
        problem = ("used", 410)
    if problem is not None:
        reason, status = problem
        return render(
            request,
            "notifications/account_email_problem.html",
            {"problem": reason, "new_email": confirmation.email},
            status=status,
        )
    return render(request, "notifications/account_email_confirm.html", {"new_email": confirmation.email})


urlpatterns = [
    path("accounts/me/", account, name="account"),
    path("accounts/email/confirm/<str:token>/", email_change_confirm, name="email_change_confirm"),
]
