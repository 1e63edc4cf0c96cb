from __future__ import annotations

from django.urls import include, path

from notifications.delivery import preferences, unsubscribe
from notifications.delivery.webhooks import webhook_urls

urlpatterns = [
    path("preferences/", preferences.preferences, name="preferences"),
    path("preferences/resume-email/", preferences.resume_email, name="resume_email"),
    path("email/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    # Provider webhooks: /anymail/<esp>/tracking/, basic auth from ANYMAIL_WEBHOOK_SECRET (refused
    # without one: anymail alone would take anybody's posts).
    path("anymail/", include(webhook_urls())),
    path("dev/mailbox/", include("notifications.delivery.mailbox")),  # superusers; DEBUG or DEV_MAILBOX only
]
