"""The login forms of the site and the admin, throttled per username (login_throttle.py)."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from notifications.practices import login_throttle


class ThrottledLogin:
    """Refuses a username's logins for a while after too many failures (login_throttle.py)."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username:
            wait = login_throttle.wait_seconds(username)
            if wait:
                minutes = -(-wait // 60)
                raise ValidationError(
                    f"Too many failed logins for this username. Try again in {minutes} "
                    f"minute{'s' if minutes != 1 else ''}, or ask your practice's admin to reset "
                    "your password.",
                    code="throttled",
                )
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                login_throttle.record_failure(username)
            raise
        login_throttle.clear(username)
        return cleaned


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    pass
