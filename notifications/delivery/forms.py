"""The email settings form of the preferences page."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from notifications.content.categories import DEFAULT_EMAIL_MODES, Category, EmailMode
from notifications.models import UserPreferences


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
