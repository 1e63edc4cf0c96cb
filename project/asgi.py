"""ASGI entry point: HTTP (Django) and the live feed's WebSockets (Channels)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from notifications.feed.consumer import FeedConsumer  # noqa: E402

http_app = django_asgi_app
if settings.DEBUG:
    # uvicorn does not serve static files; in development Django does it, as runserver would.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

websocket_urls = [path("ws/feed/<int:organisation_id>/", FeedConsumer.as_asgi())]

application = ProtocolTypeRouter(
    {
        "http": http_app,
        # Origin checked against ALLOWED_HOSTS (a page on another site cannot open our socket with
        # the user's cookies); the session identifies the user.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urls))),
    }
)
