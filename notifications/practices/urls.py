from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from notifications.practices import views
from notifications.practices.forms import LoginForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", views.log_out, name="logout"),
]
