"""Forms of the pages members use themselves (the admin has its own)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from . import login_throttle
from .categories import DEFAULT_EMAIL_MODES, Category, EmailMode
from .models import UserPreferences


def mode_field_name(category: str) -> str:
    return "mode_" + category.replace("-", "_")


class PreferencesForm(forms.Form):
    """One user's email settings: on/off, urgent at once, and a mode per category."""

    email_enabled = forms.BooleanField(
        required=False,
        label="Send me email",
        help_text="Off: Client Watch sends you no email at all; the feed still shows everything.",
    )
    urgent_immediately = forms.BooleanField(
        required=False,
        label="Urgent news always by email at once",
        help_text=(
            "Director and address changes, insolvency, strike-off: by email at once, "
            "whatever their category's setting below."
        ),
    )

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        current = UserPreferences.objects.filter(user=user).first() or UserPreferences(user=user)
        self.fields["email_enabled"].initial = current.email_enabled
        self.fields["urgent_immediately"].initial = current.urgent_immediately
        for category in Category:
            self.fields[mode_field_name(category)] = forms.ChoiceField(
                label=category.label,
                choices=EmailMode.choices,
                initial=current.modes.get(category) or DEFAULT_EMAIL_MODES.get(category, EmailMode.OFF),
            )
        self._modes = dict(current.modes)

    def switch_fields(self) -> list[forms.BoundField]:
        return [self["email_enabled"], self["urgent_immediately"]]

    def category_fields(self) -> list[forms.BoundField]:
        return [self[mode_field_name(category)] for category in Category]

    def save(self) -> UserPreferences:
        """Create or update the user's preferences (update_or_create: the unsubscribe link may
        have created them meanwhile)."""
        modes = {**self._modes, **{c.value: self.cleaned_data[mode_field_name(c)] for c in Category}}
        preferences, _ = UserPreferences.objects.update_or_create(
            user=self.user,
            defaults={
                "email_enabled": self.cleaned_data["email_enabled"],
                "urgent_immediately": self.cleaned_data["urgent_immediately"],
                "modes": modes,
            },
        )
        return preferences


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
