from __future__ import annotations

from django import forms
from django.contrib import admin

from notifications.admin.scoping import ScopedModelAdmin, ScopedPermissions
from notifications.content.categories import Category
from notifications.models import Membership, Organisation


class MembershipInline(ScopedPermissions, admin.TabularInline):
    model = Membership
    organisation_path = "pk"  # the parent is the Organisation itself
    autocomplete_fields = ["user"]
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]
    extra = 1

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class OrganisationForm(forms.ModelForm):
    muted_categories = forms.TypedMultipleChoiceField(
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Categories this practice does not want to hear about",
        help_text="Ticked categories make no notification at all: not in the feed, not by email.",
    )

    class Meta:
        model = Organisation
        fields = ["name", "time_zone", "muted_categories"]


@admin.register(Organisation)
class OrganisationAdmin(ScopedModelAdmin):
    """Superusers manage practices and their members; a practice's admins may look at theirs and
    choose which categories of news it gets."""

    organisation_path = "pk"
    form = OrganisationForm
    inlines = [MembershipInline]
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return self.may_touch(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["name"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="Members")
    def member_count(self, organisation: Organisation) -> int:
        return organisation.memberships.count()
