from __future__ import annotations

from django.urls import path

from notifications.feed import item_views, views

urlpatterns = [
    path("feed/", views.feed_home, name="feed_home"),
    path("feed/<int:organisation_id>/", views.feed_page, name="feed"),
    path("feed/<int:organisation_id>/api/", views.feed_api, name="feed_api"),
    path("feed/<int:organisation_id>/read-all/", views.mark_all_read, name="feed_read_all"),
    path("feed/<int:organisation_id>/read/<int:notification_id>/", views.mark_read, name="feed_read"),
    *item_views.urlpatterns,
]
