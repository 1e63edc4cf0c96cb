"""The People page of a practice (its admins invite, change roles, remove, see the trail) and the
invitation link a colleague follows. Who may is checked here; what happens is in people.py.

A practice another user does not belong to answers 404 (nothing says it exists); a member who is
not an admin gets 403 with a sentence saying who can help.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, password_validation
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from notifications.models import Invitation, Membership, Organisation, PeopleEvent
from notifications.practices import people

HISTORY_PAGE = 200


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        help_text="Admins invite and remove people and manage client lists; members see the feed.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class JoinForm(forms.Form):
    """A new account from an invitation: the address is the invitation's."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="The password again", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same.")
        elif first:
            would_be = get_user_model()(
                username=self.email, email=self.email, first_name=cleaned.get("first_name", "")
            )
            try:
                password_validation.validate_password(first, would_be)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def _organisation_for_admin(request: HttpRequest, organisation_id: int) -> Organisation | HttpResponse:
    """The practice if the user administers it; 404 if they do not belong; a 403 page if a member."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    user = request.user
    if organisation is None:
        raise Http404
    if user.is_superuser:
        return organisation
    role = (
        Membership.objects.filter(user=user, organisation=organisation).values_list("role", flat=True).first()
    )
    if role is None:
        raise Http404
    if role != Membership.Role.ADMIN:
        return render(
            request, "notifications/people_not_admin.html", {"organisation": organisation}, status=403
        )
    return organisation


def _page(request, organisation: Organisation, invite_form: InviteForm | None = None, status: int = 200):
    invitations = [
        i
        for i in organisation.invitations.select_related("invited_by").order_by("-sent_at")[:100]
        if i.state in (Invitation.PENDING, Invitation.EXPIRED)
    ]
    context = {
        "organisation": organisation,
        "members": people.people_of(organisation),
        "invitations": invitations,
        "invite_form": invite_form or InviteForm(),
        "roles": Membership.Role.choices,
        "invitation_days": settings.INVITATION_DAYS,
    }
    return render(request, "notifications/people.html", context, status=status)


def practice_admin(view):
    """A view of the People page's: login, then the practice from the address if the user
    administers it (else 404 or the 403 page, as _organisation_for_admin says), passed on."""

    @login_required
    @wraps(view)
    def checked(request: HttpRequest, organisation_id: int, **kwargs) -> HttpResponse:
        organisation = _organisation_for_admin(request, organisation_id)
        if isinstance(organisation, HttpResponse):
            return organisation
        return view(request, organisation, **kwargs)

    return checked


def _back_to_people(request, organisation: Organisation, step, said) -> HttpResponse:
    """Run `step`; say what it did (`said()`, after it) or why it could not; back to the page."""
    try:
        step()
    except people.PeopleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, said())
    return redirect("people", organisation_id=organisation.pk)


@never_cache
@practice_admin
def people_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    return _page(request, organisation)


@practice_admin
@require_POST
def invite(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, organisation, form, status=400)
    try:
        invitation = people.invite(
            organisation, form.cleaned_data["email"], form.cleaned_data["role"], request.user
        )
    except people.PeopleError as exc:
        form.add_error("email", str(exc))
        return _page(request, organisation, form, status=400)
    messages.success(
        request, f"Invitation sent to {invitation.email}. It works for {settings.INVITATION_DAYS} days."
    )
    return redirect("people", organisation_id=organisation.pk)


def _membership(organisation: Organisation, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"), pk=membership_id, organisation=organisation
    )


def _invitation(organisation: Organisation, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("organisation"), pk=invitation_id, organisation=organisation
    )


@practice_admin
@require_POST
def change_role(request: HttpRequest, organisation: Organisation, membership_id: int) -> HttpResponse:
    membership = _membership(organisation, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose admin or member.")
        return redirect("people", organisation_id=organisation.pk)
    return _back_to_people(
        request,
        organisation,
        lambda: people.change_role(membership, form.cleaned_data["role"], request.user),
        lambda: f"{people.display_name(membership.user)} is now {membership.get_role_display().lower()}.",
    )


@practice_admin
@require_POST
def remove(request: HttpRequest, organisation: Organisation, membership_id: int) -> HttpResponse:
    membership = _membership(organisation, membership_id)
    name, removing_self = people.display_name(membership.user), membership.user_id == request.user.pk
    try:
        people.remove(membership, request.user)
    except people.PeopleError as exc:
        messages.error(request, str(exc))
        return redirect("people", organisation_id=organisation.pk)
    if removing_self:  # their own sessions have just ended
        return redirect("login")
    messages.success(request, f"{name} no longer belongs to {organisation}.")
    return redirect("people", organisation_id=organisation.pk)


@practice_admin
@require_POST
def resend_invitation(request: HttpRequest, organisation: Organisation, invitation_id: int) -> HttpResponse:
    invitation = _invitation(organisation, invitation_id)
    return _back_to_people(
        request,
        organisation,
        lambda: people.resend(invitation, request.user),
        lambda: f"A new invitation link went to {invitation.email}; the old one no longer works.",
    )


@practice_admin
@require_POST
def revoke_invitation(request: HttpRequest, organisation: Organisation, invitation_id: int) -> HttpResponse:
    invitation = _invitation(organisation, invitation_id)
    return _back_to_people(
        request,
        organisation,
        lambda: people.revoke(invitation, request.user),
        lambda: f"The invitation to {invitation.email} is withdrawn: its link no longer works.",
    )


@never_cache
@practice_admin
def history(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    events = PeopleEvent.objects.filter(organisation=organisation).select_related("actor", "subject")
    return render(
        request,
        "notifications/people_history.html",
        {"organisation": organisation, "events": events[:HISTORY_PAGE]},
    )


# --- following an invitation -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def follow_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join a practice from an invitation's link: a new account (the address is the invitation's),
    or, for an address that has one, that account once logged in as it."""
    invitation = people.invitation_for(token)
    if invitation is None:
        return _invitation_closed(request, None, "This invitation link is not valid.", 404)
    organisation, state = invitation.organisation, invitation.state
    inviter = people.display_name(invitation.invited_by) or f"an admin of {organisation}"
    if state == Invitation.REVOKED:
        return _invitation_closed(
            request,
            invitation,
            f"This invitation was withdrawn. Ask {inviter} for a new one if you still need it.",
            410,
        )
    if state == Invitation.EXPIRED:
        return _invitation_closed(
            request,
            invitation,
            f"This invitation expired on {_day(invitation.expires_at)}. Ask {inviter} to send you a new one.",
            410,
        )
    if state == Invitation.ACCEPTED:
        return _invitation_closed(
            request, invitation, "This invitation has been accepted already: log in to use it.", 410
        )
    existing = people.account_for(invitation.email)
    context = {"invitation": invitation, "organisation": organisation, "inviter": inviter}
    if existing is not None:
        if not request.user.is_authenticated:
            context["login_url"] = f"{reverse('login')}?next={request.path}"
            return render(request, "notifications/invitation_log_in.html", context)
        if request.user.pk != existing.pk:
            context["other_user"] = request.user
            return render(request, "notifications/invitation_log_in.html", context, status=403)
        if request.method == "POST":
            return _joined(request, invitation, existing)
        return render(request, "notifications/invitation_join.html", context)
    if request.user.is_authenticated:  # someone else's invitation, opened while logged in as themselves
        context["other_user"] = request.user
        return render(request, "notifications/invitation_log_in.html", context, status=403)
    form = JoinForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = people.new_account(
            invitation.email,
            form.cleaned_data["first_name"],
            form.cleaned_data["last_name"],
            form.cleaned_data["password1"],
        )
        return _joined(request, invitation, user, log_in=True)
    context["form"] = form
    return render(
        request, "notifications/invitation_new_account.html", context, status=400 if form.errors else 200
    )


def _joined(request, invitation: Invitation, user, *, log_in: bool = False) -> HttpResponse:
    try:
        people.accept(invitation, user)
    except people.PeopleError as exc:
        return _invitation_closed(request, invitation, str(exc), 410)
    if log_in:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome to {invitation.organisation}. Here is the last month of its news.")
    return redirect("feed", organisation_id=invitation.organisation_id)


def _day(moment) -> str:
    local = moment.astimezone(timezone.get_current_timezone())
    return f"{local.day} {local:%B %Y}"


def _invitation_closed(request, invitation: Invitation | None, sentence: str, status: int) -> HttpResponse:
    return render(
        request,
        "notifications/invitation_closed.html",
        {"invitation": invitation, "sentence": sentence},
        status=status,
    )


urlpatterns = [
    path("practice/<int:organisation_id>/people/", people_page, name="people"),
    path("practice/<int:organisation_id>/people/invite/", invite, name="people_invite"),
    path("practice/<int:organisation_id>/people/history/", history, name="people_history"),
    path("practice/<int:organisation_id>/people/<int:membership_id>/role/", change_role, name="people_role"),
    path("practice/<int:organisation_id>/people/<int:membership_id>/remove/", remove, name="people_remove"),
    path(
        "practice/<int:organisation_id>/invitations/<int:invitation_id>/resend/",
        resend_invitation,
        name="invitation_resend",
    ),
    path(
        "practice/<int:organisation_id>/invitations/<int:invitation_id>/revoke/",
        revoke_invitation,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", follow_invitation, name="invitation"),
]
