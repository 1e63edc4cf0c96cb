"""The login forms of the site and the admin, throttled per username and per client address
(login_throttle.py), and the password reset request, limited per email address and per client
address (throttle.py)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications.practices import login_throttle, throttle
from notifications.practices.mail import send_account_email

log = logging.getLogger(__name__)


class ThrottledLogin:
    """Refuses a username's logins, or a client address's, for a while after too many failures."""

    reset_link = "Forgot your password?"  # the words of the login page's link to a reset

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if "@" in username:
            # Accounts made by invitation or sign-up log in with their address, stored in lower
            # case; people type theirs as they like (usernames themselves are compared exactly).
            username = self.cleaned_data["username"] = username.strip().lower()
        ip = throttle.client_ip(self.request)
        if ip and (wait := login_throttle.ip_wait_seconds(ip)):
            raise ValidationError(
                f"Too many failed logins from your network. Try again in {throttle.minutes(wait)}.",
                code="throttled",
            )
        if username and (wait := login_throttle.wait_seconds(username)):
            raise ValidationError(
                f"Too many failed logins for this username. Try again in {throttle.minutes(wait)}, "
                f"or choose “{self.reset_link}” to set a new password.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                login_throttle.record_failure(username)
            if ip:
                login_throttle.record_ip_failure(ip)
            raise
        if self.get_user() is not None:
            # Only a real success: a post without a password gets here too, never having asked
            # authenticate(), and must not wipe a guesser's failures.
            login_throttle.clear(username)
        return cleaned


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    reset_link = "Forgotten your login credentials?"  # Django's admin login page's words


_RESETS_PER_ADDRESS = throttle.Counter("clientwatch:password-resets", "password reset limit", __name__)
_RESETS_PER_IP = throttle.Counter("clientwatch:password-resets-ip", "password reset limit", __name__)


def _lifetime(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return throttle.minutes(seconds)


class ResetRequestForm(PasswordResetForm):
    """Django's reset request, its email in the product's style (mail.py), and two limits: per
    client address on requests (past it, the form says so: nothing about any account is revealed),
    and per email address on emails sent (past it, the same "sent" page and no email, so the
    limit says nothing of whether the address has an account).

    Whom to email is Django's: active users with a usable password whose address matches."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        ip = throttle.client_ip(self.request)
        if ip and not self.errors:
            counted = _RESETS_PER_IP.hit(
                throttle.network(ip),
                settings.PASSWORD_RESET_WINDOW,
                "count a reset request from a client address",
            )
            if counted and counted[0] > settings.PASSWORD_RESET_MAX_PER_IP:
                raise ValidationError(
                    "Too many password reset requests from your network. "
                    f"Try again in {throttle.minutes(counted[1])}.",
                    code="throttled",
                )
        return cleaned

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        counted = _RESETS_PER_ADDRESS.hit(
            to_email, settings.PASSWORD_RESET_WINDOW, "count a reset email, so this one is not limited"
        )
        if counted and counted[0] > settings.PASSWORD_RESET_MAX_PER_ADDRESS:
            log.info("password reset email not sent: the limit for its address is reached")
            return
        user = context["user"]
        link = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        try:
            send_account_email(
                to_email,
                "Reset your Client Watch password",
                "password_reset",
                {
                    "name": user.get_full_name() or user.get_username(),
                    "username": user.get_username(),
                    "action_url": f"{settings.SITE_URL}{link}",
                    "action_label": "Set a new password",
                    "lifetime": _lifetime(settings.PASSWORD_RESET_TIMEOUT),
                },
            )
        except Exception:
            # As Django's own: a mail provider's failure must not answer differently (an error page)
            # for an address with an account than for one without.
            log.exception("could not send a password reset email to user %s", user.pk)
