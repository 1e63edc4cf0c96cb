from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from notifications import views as notification_views
from notifications.forms import LoginForm
from notifications.webhooks import webhook_urls
from project import favicon, health, metrics

urlpatterns = [
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # Provider webhooks: /anymail/<esp>/tracking/, basic auth from ANYMAIL_WEBHOOK_SECRET (refused
    # without one: anymail alone would take anybody's posts).
    path("anymail/", include(webhook_urls())),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", notification_views.log_out, name="logout"),
    path("feed/", notification_views.feed_home, name="feed_home"),
    path("feed/<int:organisation_id>/", notification_views.feed_page, name="feed"),
    path("feed/<int:organisation_id>/api/", notification_views.feed_api, name="feed_api"),
    path("feed/<int:organisation_id>/read-all/", notification_views.mark_all_read, name="feed_read_all"),
    path(
        "feed/<int:organisation_id>/read/<int:notification_id>/",
        notification_views.mark_read,
        name="feed_read",
    ),
    path("deadlines/<int:organisation_id>/", notification_views.deadlines_page, name="deadlines"),
    path("preferences/", notification_views.preferences, name="preferences"),
    path("preferences/resume-email/", notification_views.resume_email, name="resume_email"),
    path("email/unsubscribe/<str:token>/", notification_views.unsubscribe, name="unsubscribe"),
    path("dev/mailbox/", include("notifications.views.mailbox")),  # superusers; DEBUG or DEV_MAILBOX only
    path("", RedirectView.as_view(pattern_name="feed_home", permanent=False)),
]
