from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html

from notifications.admin import csv_views
from notifications.admin.csv_views import warn_if_backfill_off
from notifications.admin.scoping import ScopedModelAdmin, ScopedPermissions, administered_organisation_ids
from notifications.models import ClientList, ClientListEntry, Organisation
from notifications.practices.client_lists import ensure_companies
from streams.company_numbers import InvalidCompanyNumber, normalise_company_number

INLINE_LIMIT = 200  # companies a list's page shows inline


class ClientListEntryForm(forms.ModelForm):
    """Companies are typed by number; the Company row is made on save if it is new to us."""

    company_number = forms.CharField(max_length=20, help_text="e.g. 09876543, SC123456")

    class Meta:
        model = ClientListEntry
        fields = ["company_number", "client_reference"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["company_number"].initial = self.instance.company_id

    def clean_company_number(self) -> str:
        try:
            return normalise_company_number(self.cleaned_data["company_number"])
        except InvalidCompanyNumber as exc:
            raise forms.ValidationError(str(exc)) from None

    def save(self, commit: bool = True):
        number = self.cleaned_data["company_number"]
        ensure_companies({number: ""})
        self.instance.company_id = number
        return super().save(commit=commit)


class ClientListEntryFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: dict[str, int] = {}
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            number = form.cleaned_data.get("company_number")
            if not number:
                continue
            if number in seen:
                form.add_error("company_number", f"{number} is already on this list (row {seen[number] + 1})")
            else:
                seen[number] = index


class ClientListEntryInline(ScopedPermissions, admin.TabularInline):
    model = ClientListEntry
    verbose_name = "company on this list"
    verbose_name_plural = "companies on this list"
    form = ClientListEntryForm
    formset = ClientListEntryFormSet
    organisation_path = "organisation"  # from the parent ClientList
    fields = ["company_number", "company_name", "client_reference", "added_by", "added_at"]
    readonly_fields = ["company_name", "added_by", "added_at"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company", "added_by")

    @admin.display(description="Company name")
    def company_name(self, entry: ClientListEntry) -> str:
        return entry.company.name if entry.pk else ""


def _scoped_organisations(request):
    if request.user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(pk__in=administered_organisation_ids(request))


@admin.register(ClientList)
class ClientListAdmin(ScopedModelAdmin):
    organisation_path = "organisation"
    change_form_template = "admin/notifications/clientlist/change_form.html"
    inlines = [ClientListEntryInline]
    list_display = ["name", "organisation", "company_count", "created_at", "csv_links"]
    list_filter = [("organisation", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "name",
        "entries__company__company_number",
        "entries__company__name",
        "entries__client_reference",
    ]
    actions = ["export_csv"]

    def get_inlines(self, request, obj):
        # Thousands of inline forms make a page that takes seconds to load and save; a long list
        # is browsed, searched and edited in the paginated "companies on client lists" instead.
        if obj is not None and obj.entries.count() > INLINE_LIMIT:
            return []
        return self.inlines

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "inline_limit": INLINE_LIMIT}
        if request.method == "GET":
            warn_if_backfill_off(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("organisation")
            .annotate(company_total=Count("entries", distinct=True))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = _scoped_organisations(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change):
        for entry in formset.save(commit=False):
            if entry.added_by_id is None and entry._state.adding:
                entry.added_by = request.user
            entry.save()
        for entry in formset.deleted_objects:
            entry.delete()
        formset.save_m2m()

    @admin.display(description="Companies", ordering="company_total")
    def company_count(self, client_list: ClientList) -> int:
        return client_list.company_total

    @admin.display(description="CSV")
    def csv_links(self, client_list: ClientList) -> str:
        return format_html(
            '<a href="{}">Import</a> · <a href="{}">Export</a>',
            reverse("admin:notifications_clientlist_import", args=[client_list.pk]),
            reverse("admin:notifications_clientlist_export", args=[client_list.pk]),
        )

    @admin.action(description="Export selected lists as CSV")
    def export_csv(self, request, queryset):
        return csv_views.export_response(
            ClientListEntry.objects.filter(client_list__in=queryset), "client-lists.csv"
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/import/",
                view(csv_views.ImportView.as_view(model_admin=self)),
                name="notifications_clientlist_import",
            ),
            path(
                "<int:pk>/export/",
                view(csv_views.ExportView.as_view(model_admin=self)),
                name="notifications_clientlist_export",
            ),
            *super().get_urls(),
        ]


class ClientListEntryAdminForm(ClientListEntryForm):
    class Meta(ClientListEntryForm.Meta):
        fields = ["client_list", "company_number", "client_reference"]

    def clean(self):
        cleaned = super().clean()
        client_list, number = cleaned.get("client_list"), cleaned.get("company_number")
        if client_list and number:
            others = ClientListEntry.objects.filter(client_list=client_list, company_id=number)
            if others.exclude(pk=self.instance.pk).exists():
                self.add_error("company_number", f"{number} is already on {client_list.name}")
        return cleaned


@admin.register(ClientListEntry)
class ClientListEntryAdmin(ScopedModelAdmin):
    organisation_path = "client_list__organisation"
    form = ClientListEntryAdminForm
    fields = ["client_list", "company_number", "client_reference"]
    list_display = [
        "company_number",
        "company_name",
        "company_status",
        "client_reference",
        "client_list",
        "added_by",
        "added_at",
    ]
    list_select_related = ["company", "client_list__organisation", "added_by"]
    # RelatedOnly offers only lists present in the (scoped) queryset: no other practice's names.
    list_filter = [("client_list", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["company__company_number", "company__name", "client_reference"]
    actions = ["export_csv"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "client_list":
            kwargs["queryset"] = ClientList.objects.filter(organisation__in=_scoped_organisations(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Company number", ordering="company__company_number")
    def company_number(self, entry: ClientListEntry) -> str:
        return entry.company_id

    @admin.display(description="Company name", ordering="company__name")
    def company_name(self, entry: ClientListEntry) -> str:
        return entry.company.name

    @admin.display(description="Status", ordering="company__status")
    def company_status(self, entry: ClientListEntry) -> str:
        return entry.company.status

    @admin.action(description="Export selected companies as CSV")
    def export_csv(self, request, queryset):
        return csv_views.export_response(queryset, "client-companies.csv")
