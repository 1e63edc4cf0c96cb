"""The forms of a member's own account page: their name, a new email address, a new password.

The two forms that ask for the current password count a wrong one as a failed login of that
username (login_throttle.py): a stolen session must not become a way to guess the password
without limit, since the password is what lets the address or the password itself be changed.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from notifications.practices import login_throttle


@sensitive_variables("password")
def check_current_password(user: AbstractBaseUser, password: str) -> None:
    """Raise a ValidationError, for the password's field, unless `password` is the user's."""
    username = user.get_username()
    wait = login_throttle.wait_seconds(username)
    if wait:
        minutes = -(-wait // 60)
        raise ValidationError(
            f"Too many wrong passwords for this account. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.",
            code="throttled",
        )
    if not user.check_password(password):
        login_throttle.record_failure(username)
        raise ValidationError("That is not your current password.", code="password_incorrect")
    login_throttle.clear(username)


class NameForm(forms.Form):
    """Not a ModelForm: an invalid post must not change request.user, which the header shows."""

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["first_name"].initial = user.first_name
        self.fields["last_name"].initial = user.last_name
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def save(self) -> None:
        self.user.first_name = self.cleaned_data["first_name"]
        self.user.last_name = self.cleaned_data["last_name"]
        self.user.save(update_fields=["first_name", "last_name"])


class EmailChangeForm(forms.Form):
    """A new address for the user, confirmed by their password now and by a link sent to it."""

    new_email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    current_password = forms.CharField(
        label="Your current password",
        strip=False,
        help_text="So that nobody else who finds you logged in can take over your account.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_email(self) -> str:
        address = get_user_model().objects.normalize_email(self.cleaned_data["new_email"])
        if address.lower() == (self.user.email or "").strip().lower():
            raise ValidationError("That is already your address.", code="same")
        if address_taken(address, by_other_than=self.user):
            raise ValidationError(
                "Another account uses this address. Each person needs an address of their own.",
                code="taken",
            )
        return address

    @sensitive_variables("password")
    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        check_current_password(self.user, password)
        return password


def address_taken(address: str, *, by_other_than: AbstractBaseUser) -> bool:
    """Whether another account has this address, whatever its case (it is one mailbox), as its
    email or as its username (accounts made by sign-up or invitation log in with their address)."""
    return (
        get_user_model()
        .objects.filter(Q(email__iexact=address) | Q(username__iexact=address))
        .exclude(pk=by_other_than.pk)
        .exists()
    )


class AccountPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the current password throttled as a login is, and no autofocus (the
    password is the third form on the page, not the first thing a visitor came for)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].widget.attrs.pop("autofocus", None)

    @sensitive_variables("password")
    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        check_current_password(self.user, password)
        return password
