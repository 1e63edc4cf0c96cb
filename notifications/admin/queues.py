"""django-rq's queue dashboard inside the admin, for superusers only.

django-rq's own registration lets any staff user open the dashboard by URL, and the dashboard
can delete and requeue jobs: an operator's tool, not a practice admin's.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern
from django_rq.admin import QueueAdmin
from django_rq.models import Dashboard
from django_rq.urls import get_admin_urlpatterns, get_api_urlpatterns

from project.operators import OperatorOnly, is_operator


@admin.register(Dashboard)
class OperatorQueueAdmin(OperatorOnly, QueueAdmin):
    def has_add_permission(self, request, *args):
        return False  # as django-rq's own: queues are not added by hand

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not is_operator(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        def wrap(view):
            @wraps(view)
            def operator_only(request, *args, **kwargs):
                request.current_app = self.admin_site.name
                if not is_operator(request):
                    raise PermissionDenied
                return view(request, *args, **kwargs)

            return self.admin_site.admin_view(operator_only)

        # django-rq leaves its stats/metrics URLs open to any staff user or an API token; here
        # they are operator-only like the rest (the numbers are on /metrics).
        api = [
            URLPattern(pattern.pattern, wrap(pattern.callback), name=pattern.name)
            for pattern in get_api_urlpatterns(name_prefix="django_rq_")
        ]
        admin_urls = get_admin_urlpatterns(name_prefix="django_rq_", view_wrapper=wrap)
        # Of the ModelAdmin's own views only the list (the dashboard's entry): Dashboard has no
        # table, so its add, change, history and delete pages could only fail.
        own = [p for p in super(QueueAdmin, self).get_urls() if p.name and p.name.endswith("_changelist")]
        return api + admin_urls + own
