"""The sign-up form of a new practice: its name, its first admin's name, address and password.

It checks what can be said to anyone who asks (the practice name is taken, the password is weak);
whether the address already has an account is the view's business, and is never shown here.
"""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from notifications.models import Organisation


def refuse_control_characters(value: str) -> None:
    """A name goes into pages, the admin and emails' text: no line breaks or other control
    characters (a line break in a header would stop the email being sent at all)."""
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise ValidationError("Use letters, numbers and punctuation only, on one line.", code="control")


class SignupForm(forms.Form):
    practice = forms.CharField(
        label="Practice name",
        max_length=Organisation._meta.get_field("name").max_length,
        validators=[refuse_control_characters],
        help_text="As your clients and colleagues know it, e.g. Ashford & Co Chartered Accountants.",
    )
    first_name = forms.CharField(label="First name", max_length=150, validators=[refuse_control_characters])
    last_name = forms.CharField(label="Last name", max_length=150, validators=[refuse_control_characters])
    # 150, not the 254 an address may have: the address, lower-cased, becomes the username.
    email = forms.EmailField(label="Email address", max_length=150, help_text="You log in with it.")
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_practice(self) -> str:
        name = self.cleaned_data["practice"]
        if Organisation.objects.filter(name__iexact=name).exists():
            raise ValidationError(
                "A practice of that name already uses Client Watch. If it is yours, ask its admin to "
                "invite you; otherwise add something that tells yours apart, such as the town.",
                code="taken",
            )
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", ValidationError("The two passwords differ.", code="mismatch"))
        if password:
            # Against the user they would become, so a password like their name or address is refused.
            email = cleaned.get("email") or ""
            would_be = get_user_model()(
                username=email.lower(),
                email=email,
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
            try:
                password_validation.validate_password(password, would_be)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned
