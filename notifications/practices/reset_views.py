"""Password reset, from the site's login page and the admin's: Django's four views (ask for a link,
"sent", the link's form for a new password, done), with the request form of forms.py (the email in
the product's style, limited per address and per client address) and pages in the site's style.

The "sent" page is the answer whatever the address: one with no account, an inactive one, one
without a usable password, one past its limit, all get it and no email, so the form cannot be asked
who has an account. A link works once (Django's token is bound to the password it replaces) and for
PASSWORD_RESET_TIMEOUT seconds.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import path

from notifications.practices import login_throttle
from notifications.practices.forms import ResetRequestForm


class ResetRequest(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "registration/password_reset_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
        return response


class ResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form):
        # The username's lockout (if any) ends with the old password: the login page's message
        # sends a locked-out person here, and they should be able to use the new one at once.
        response = super().form_valid(form)
        login_throttle.clear(self.user.get_username())
        return response


urlpatterns = [
    path("accounts/password-reset/", ResetRequest.as_view(), name="password_reset"),
    # The admin's login page links to a reset when this name resolves: the same form, the same pages.
    path("accounts/password-reset/from-admin/", ResetRequest.as_view(), name="admin_password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("accounts/reset/<uidb64>/<token>/", ResetConfirm.as_view(), name="password_reset_confirm"),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
