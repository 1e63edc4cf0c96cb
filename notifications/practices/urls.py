from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from notifications.practices import account_views, people_views, reset_views, signup_views, views
from notifications.practices.forms import LoginForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", views.log_out, name="logout"),
    *people_views.urlpatterns,
    *account_views.urlpatterns,
    *reset_views.urlpatterns,
    *signup_views.urlpatterns,
]
