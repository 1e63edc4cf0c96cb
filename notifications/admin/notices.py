"""Notifications and deliveries in the admin: read-only records, scoped per organisation, with
"retry" for failed deliveries; suppressed addresses and preferences for superusers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction

from notifications import queueing
from notifications.admin.scoping import ScopedModelAdmin, administered_organisation_ids
from notifications.delivery.sending import retry_failed
from notifications.models import Delivery, EmailSuppression, Notification, Organisation, UserPreferences
from project.operators import OperatorOnly, ReadOnly


class OrganisationFilter(admin.SimpleListFilter):
    """The practices the user administers (every one for superusers). Django's own filter on a
    foreign key offers every organisation's name, other practices' included."""

    title = "organisation"
    parameter_name = "organisation"

    def lookups(self, request, model_admin):
        organisations = Organisation.objects.order_by("name")
        if not request.user.is_superuser:
            organisations = organisations.filter(pk__in=administered_organisation_ids(request))
        return [(str(o.pk), o.name) for o in organisations]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(organisation_id=int(value)) if value and value.isdigit() else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnly, ScopedModelAdmin):
    list_display = [
        "id",
        "created_at",
        "organisation",
        "company_id",
        "company_name",
        "severity",
        "category",
        "title",
    ]
    list_filter = ["severity", "category", OrganisationFilter]
    search_fields = ["company__company_number", "company_name", "title"]
    list_select_related = ["organisation"]
    date_hierarchy = "created_at"
    show_full_result_count = False


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Delivery.Status.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, ScopedModelAdmin):
    """Every email sent or tried; "failed" lists what needs a look, with a retry action."""

    organisation_path = "notification__organisation"
    list_display = [
        "id",
        "created_at",
        "user",
        "channel",
        "status",
        "attempts",
        "what",
        "last_error_short",
        "sent_at",
        "provider_message_id",
    ]
    list_filter = [DeliveryStatusFilter, "channel"]
    search_fields = ["user__username", "user__email", "provider_message_id", "notification__company_name"]
    list_select_related = ["user", "notification"]
    actions = ["retry"]
    show_full_result_count = False

    @admin.display(description="about")
    def what(self, delivery: Delivery) -> str:
        if delivery.notification_id:
            return str(delivery.notification)[:80]
        return f"daily digest of {delivery.digest_date}"

    @admin.display(description="last error")
    def last_error_short(self, delivery: Delivery) -> str:
        return delivery.last_error[:120]

    def has_change_permission(self, request, obj=None):
        return self.may_touch(request, obj)  # (for the action; every field is read-only)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Delivery._meta.fields]

    @admin.action(description="Retry the selected failed deliveries")
    def retry(self, request, queryset):
        with transaction.atomic():
            ids = retry_failed(queryset.values_list("id", flat=True))
            if ids:
                queueing.after_commit(queueing.enqueue_deliveries, ids)
        skipped = queryset.count() - len(ids)
        self.message_user(request, f"{len(ids)} deliveries queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} were not failed (sent or on their way) and were left alone.",
                messages.WARNING,
            )


@admin.register(EmailSuppression)
class EmailSuppressionAdmin(OperatorOnly, admin.ModelAdmin):
    """Addresses we stopped emailing after a hard bounce or complaint; delete one to resume."""

    list_display = ["address", "reason", "created_at", "detail"]
    list_filter = ["reason"]
    search_fields = ["address"]


@admin.register(UserPreferences)
class UserPreferencesAdmin(OperatorOnly, admin.ModelAdmin):
    list_display = ["user", "email_enabled", "urgent_immediately", "updated_at"]
    search_fields = ["user__username", "user__email"]
