from __future__ import annotations

from django.urls import path

from notifications.deadlines import views

urlpatterns = [
    path("deadlines/<int:organisation_id>/", views.deadlines_page, name="deadlines"),
]
