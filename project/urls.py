from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from project import favicon, health, metrics

urlpatterns = [
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # Each room's own pages (notifications/<room>/urls.py).
    path("", include("notifications.practices.urls")),
    path("", include("notifications.feed.urls")),
    path("", include("notifications.clients.urls")),
    path("", include("notifications.deadlines.urls")),
    path("", include("notifications.delivery.urls")),
    path("", RedirectView.as_view(pattern_name="feed_home", permanent=False)),
]
