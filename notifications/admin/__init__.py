"""The Django admin: organisations, client lists (with CSV import/export), companies, queues."""

from __future__ import annotations

from django.contrib import admin

from notifications.admin import (  # noqa: F401  (each registers its admins)
    client_lists,
    companies,
    events,
    notices,
    operations,
    organisations,
    queues,
)
from notifications.practices.forms import AdminLoginForm

admin.site.site_header = "Client Watch administration"
admin.site.site_title = "Client Watch admin"
admin.site.index_title = "Practices, client lists and operations"
admin.site.login_form = AdminLoginForm  # failed logins throttled, as on the site's own login page
