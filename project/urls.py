from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from notifications import views as notification_views

urlpatterns = [
    path("admin/", admin.site.urls),
    # Provider webhooks: /anymail/<esp>/tracking/, basic auth from ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("preferences/", notification_views.preferences, name="preferences"),
    path("preferences/resume-email/", notification_views.resume_email, name="resume_email"),
    path("email/unsubscribe/<str:token>/", notification_views.unsubscribe, name="unsubscribe"),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
