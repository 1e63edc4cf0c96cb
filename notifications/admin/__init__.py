"""The Django admin: organisations, client lists (with CSV import/export), companies, queues."""

from __future__ import annotations

from django.contrib import admin

from ..forms import AdminLoginForm
from . import client_lists, companies, notices, organisations, queues  # noqa: F401  (registers)

admin.site.site_header = "Client Watch administration"
admin.site.site_title = "Client Watch admin"
admin.site.index_title = "Practices, client lists and operations"
admin.site.login_form = AdminLoginForm  # failed logins throttled, as on the site's own login page
