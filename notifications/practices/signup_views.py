"""Sign-up of a new practice, when settings.SIGNUP is "open": the form, "check your email", and
the emailed link that creates the practice.

Nothing exists until the link is followed: the form stores one EmailConfirmation (the practice
name, the person's name and their password's hash, never the password) and emails its link. The
link's page asks for one click, and only that POST creates the user (staff, so they can manage
client lists in the admin), the practice, their admin membership and the audit event, in one
transaction, then logs them in. The click is there because mail filters fetch the links in an
email before the person reads it: a GET that spent the single-use token would greet the person
with "already used".

The form never tells whether an address has an account: for one that has, it creates nothing and
emails that address a pointer to the login and the password reset instead, and the page that
follows is the same.

With SIGNUP "invite-only" every page here is a 404, decided per request (the operator creates
practices in the admin and invites their first admin).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from notifications.models import EmailConfirmation, Membership, Organisation, PeopleEvent
from notifications.practices import throttle
from notifications.practices.mail import send_account_email
from notifications.practices.signup_forms import SignupForm
from notifications.practices.tokens import new_token, token_hash

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
log = logging.getLogger(__name__)

# The form emails any address it is given: at most this many sign-up emails to one address, and
# sign-ups from one client address (where CLIENT_IP_HEADER says how to know it), in the window.
SIGNUP_MAX_PER_ADDRESS = 3
SIGNUP_MAX_PER_IP = 20
SIGNUP_WINDOW = 3600  # seconds
_SIGNUPS_PER_ADDRESS = throttle.Counter("clientwatch:signups", "sign-up limit", __name__)
_SIGNUPS_PER_IP = throttle.Counter("clientwatch:signups-ip", "sign-up limit", __name__)


def signup_is_open() -> bool:
    return settings.SIGNUP == "open"


def signup_context(request: HttpRequest) -> dict[str, bool]:
    """Context processor: `signup_open`, so the login page offers sign-up only when there is one."""
    return {"signup_open": signup_is_open()}


def only_when_open(view):
    """404 unless SIGNUP is open, read at each request (not at import) so a change of setting
    takes effect without a new URLconf."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not signup_is_open():
            raise Http404("Sign-up is by invitation only")
        return view(request, *args, **kwargs)

    return guarded


def _account_of(email: str):
    """The user with this address, if any. Usernames are addresses lower-cased for people who
    signed up, but not for everyone (the operator's users): either column may hold it."""
    return get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()


# --- the form and "check your email" -----------------------------------------------------------


@only_when_open
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return render(request, "registration/signup.html", {"form": form})
    ip = throttle.client_ip(request)
    if ip:
        counted = _SIGNUPS_PER_IP.hit(throttle.network(ip), SIGNUP_WINDOW, "count a sign-up from an address")
        if counted and counted[0] > SIGNUP_MAX_PER_IP:
            form.add_error(
                None, f"Too many sign-ups from your network. Try again in {throttle.minutes(counted[1])}."
            )
            return render(request, "registration/signup.html", {"form": form}, status=429)
    data = form.cleaned_data
    # Hashed before the branch below, whichever way it goes, so the time the answer takes does
    # not tell an address with an account (no hash needed) from one without.
    password_hash = make_password(data["password"])
    counted = _SIGNUPS_PER_ADDRESS.hit(data["email"], SIGNUP_WINDOW, "count a sign-up email")
    if counted and counted[0] > SIGNUP_MAX_PER_ADDRESS:
        # The same page and no email, whether or not the address has an account.
        log.info("sign-up email not sent: the limit for its address is reached")
        return redirect("signup_sent")
    try:
        _send_signup_email(data, password_hash)
    except Exception:
        # Either branch sends an email, so this answer is the same for an address with an account.
        log.exception("could not send a sign-up email")
        form.add_error(None, "We could not send you the email just now. Try again in a few minutes.")
        return render(request, "registration/signup.html", {"form": form}, status=503)
    return redirect("signup_sent")


def _send_signup_email(data: dict, password_hash: str) -> None:
    """The confirmation link, or, to an address that has an account, a pointer to the login and
    the password reset."""
    account = _account_of(data["email"])
    if account:
        send_account_email(
            data["email"],
            "You already have a Client Watch account",
            "signup_existing",
            {
                # The account's own name: what the form was given is perhaps a stranger's.
                "first_name": account.first_name,
                "login_url": settings.SITE_URL + reverse("login"),
                "reset_url": settings.SITE_URL + reverse("password_reset"),
            },
        )
        return
    token, hashed = new_token()
    # The row goes if the email cannot be sent: no link would ever reach it.
    with transaction.atomic():
        EmailConfirmation.objects.create(
            purpose=EmailConfirmation.SIGNUP,
            token_hash=hashed,
            email=data["email"],
            payload={
                "practice": data["practice"],
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "password": password_hash,
            },
            expires_at=timezone.now() + timedelta(hours=settings.EMAIL_CONFIRMATION_HOURS),
        )
        send_account_email(
            data["email"],
            "Confirm your email address to create your practice",
            "signup_confirm",
            {
                "practice": data["practice"],
                "first_name": data["first_name"],
                "hours": settings.EMAIL_CONFIRMATION_HOURS,
                "action_url": settings.SITE_URL + reverse("signup_confirm", args=[token]),
                "action_label": "Create my practice",
            },
        )


@only_when_open
@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_sent.html", {"hours": settings.EMAIL_CONFIRMATION_HOURS})


# --- the emailed link ----------------------------------------------------------------------------

INVALID, USED, EXPIRED, NAME_TAKEN, HAS_ACCOUNT = "invalid", "used", "expired", "name_taken", "has_account"
# What each refusal answers: 404 for a link that never was one of ours (or is for another purpose).
PROBLEM_STATUS = {INVALID: 404, USED: 410, EXPIRED: 410, NAME_TAKEN: 409, HAS_ACCOUNT: 409}


def _problem(request: HttpRequest, problem: str, confirmation: EmailConfirmation | None = None):
    context = {"problem": problem, "practice": confirmation.payload.get("practice") if confirmation else ""}
    return render(request, "registration/signup_problem.html", context, status=PROBLEM_STATUS[problem])


def _check(confirmation: EmailConfirmation | None) -> str | None:
    """Why this link cannot create a practice now; None if it can."""
    if confirmation is None or confirmation.purpose != EmailConfirmation.SIGNUP:
        return INVALID
    if confirmation.used_at:
        return USED
    if confirmation.expires_at <= timezone.now():
        return EXPIRED
    if Organisation.objects.filter(name__iexact=confirmation.payload["practice"]).exists():
        return NAME_TAKEN  # someone else's sign-up, or the operator, took it since
    if _account_of(confirmation.email):
        return HAS_ACCOUNT
    return None


class _Refused(Exception):
    def __init__(self, problem: str) -> None:
        self.problem = problem


def create_practice(confirmation_id: int):
    """Spend the confirmation and create what it describes, all or nothing; the new user.

    Raises _Refused when the link cannot be used (any more): the row is locked first, so two
    clicks at once create one practice, and the second is told the link was used."""
    with transaction.atomic():
        confirmation = EmailConfirmation.objects.select_for_update().filter(pk=confirmation_id).first()
        problem = _check(confirmation)
        if problem:
            raise _Refused(problem)
        payload = confirmation.payload
        user = get_user_model().objects.create(
            username=confirmation.email.lower(),
            email=confirmation.email,
            first_name=payload["first_name"],
            last_name=payload["last_name"],
            password=payload["password"],
            is_staff=True,  # a practice admin manages its client lists in the admin
        )
        organisation = Organisation.objects.create(name=payload["practice"])
        Membership.objects.create(organisation=organisation, user=user, role=Membership.Role.ADMIN)
        name = user.get_full_name() or user.email
        PeopleEvent.objects.create(
            organisation=organisation,
            action=PeopleEvent.Action.PRACTICE_CREATED,
            actor=user,
            actor_name=name,
            subject=user,
            subject_name=name,
            detail="by signing up",  # not by the operator, in the admin
        )
        confirmation.used_at = timezone.now()
        # The password's hash now lives on the user; the spent row need not keep a copy.
        confirmation.payload = {key: value for key, value in payload.items() if key != "password"}
        confirmation.save(update_fields=["used_at", "payload"])
    return user, organisation


@only_when_open
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    confirmation = EmailConfirmation.objects.filter(token_hash=token_hash(token)).first()
    problem = _check(confirmation)
    if problem:
        return _problem(request, problem, confirmation)
    if request.method == "GET":
        return render(
            request,
            "registration/signup_confirm.html",
            {"practice": confirmation.payload["practice"], "email": confirmation.email},
        )
    try:
        user, organisation = create_practice(confirmation.pk)
    except _Refused as refused:
        return _problem(request, refused.problem, confirmation)
    except IntegrityError:
        # A practice of the same name in other letter case, or the same address, created between
        # the check and the insert: the unique constraints held, and the check now says which.
        confirmation.refresh_from_db()
        return _problem(request, _check(confirmation) or NAME_TAKEN, confirmation)
    login(request, user, backend=MODEL_BACKEND)
    messages.success(
        request,
        format_html(
            "Your practice {} is ready. To watch your clients, add a client list in the "
            '<a href="{}">admin</a>, by hand or from a CSV file: their Companies House news '
            "appears here.",
            organisation.name,
            reverse("admin:notifications_clientlist_changelist"),
        ),
    )
    return redirect("feed", organisation_id=organisation.id)


urlpatterns = [
    path("accounts/signup/", signup, name="signup"),
    path("accounts/signup/sent/", signup_sent, name="signup_sent"),
    path("accounts/signup/confirm/<str:token>/", signup_confirm, name="signup_confirm"),
]
