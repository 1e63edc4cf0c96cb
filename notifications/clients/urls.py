from __future__ import annotations

from notifications.clients.views import urlpatterns as urlpatterns  # (the room's pages)
