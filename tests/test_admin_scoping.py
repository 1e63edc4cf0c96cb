"""A practice admin sees and edits only their own practices' lists, wherever they look."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import ClientList, ClientListEntry

pytestmark = pytest.mark.django_db


def changelist(model: str) -> str:
    return reverse(f"admin:notifications_{model}_changelist")


def change(model: str, pk) -> str:
    return reverse(f"admin:notifications_{model}_change", args=[pk])


def test_the_client_list_changelist_shows_only_the_admins_own_lists(client, alice, ashford_list, baxter_list):
    client.force_login(alice)
    page = client.get(changelist("clientlist")).content.decode()
    assert "Ashford clients" in page
    assert "Baxter" not in page  # neither the list nor, in the filter, the organisation


def test_searching_another_practices_client_reference_finds_nothing(client, alice, ashford_list, baxter_list):
    client.force_login(alice)
    page = client.get(changelist("clientlist"), {"q": "BAX-SECRET"}).content.decode()
    assert "Baxter secret clients" not in page
    assert "0 client lists" in page


def test_search_finds_a_list_by_company_number_name_and_client_reference(client, alice, ashford_list):
    client.force_login(alice)
    for query in ["SC123456", "McLeod", "ASH-002"]:
        assert "Ashford clients" in client.get(changelist("clientlist"), {"q": query}).content.decode()


def test_another_practices_list_change_page_is_not_found(client, alice, baxter_list):
    client.force_login(alice)
    response = client.get(change("clientlist", baxter_list.pk))
    # The admin redirects to its index with "doesn't exist" for objects outside the queryset.
    assert response.status_code == 302
    assert "BAX-SECRET" not in client.get(response.url).content.decode()


def test_another_practices_list_cannot_be_changed_or_deleted_by_post(client, alice, baxter_list):
    client.force_login(alice)
    client.post(
        change("clientlist", baxter_list.pk),
        {"name": "Hijacked", "organisation": baxter_list.organisation_id},
    )
    client.post(reverse("admin:notifications_clientlist_delete", args=[baxter_list.pk]), {"post": "yes"})
    baxter_list.refresh_from_db()
    assert baxter_list.name == "Baxter secret clients"


def test_a_new_list_can_only_be_put_in_the_admins_own_practice(client, alice, ashford, baxter):
    client.force_login(alice)
    add_url = reverse("admin:notifications_clientlist_add")
    form = client.get(add_url).content.decode()
    assert ashford.name.replace("&", "&amp;") in form
    assert baxter.name not in form
    response = client.post(
        add_url,
        {
            "organisation": baxter.pk,
            "name": "Sneaky",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form error page
    assert not ClientList.objects.filter(name="Sneaky").exists()


def test_companies_on_lists_are_scoped_and_their_list_filter_names_no_other_list(
    client, alice, ashford_list, baxter_list
):
    client.force_login(alice)
    page = client.get(changelist("clientlistentry")).content.decode()
    assert "SC123456" in page
    assert "NI654321" not in page
    assert "Baxter secret clients" not in page
    other = ClientListEntry.objects.get(client_list=baxter_list)
    assert client.get(change("clientlistentry", other.pk)).status_code == 302


def test_an_entry_cannot_be_added_to_another_practices_list(client, alice, baxter_list):
    client.force_login(alice)
    response = client.post(
        reverse("admin:notifications_clientlistentry_add"),
        {"client_list": baxter_list.pk, "company_number": "12345678", "client_reference": "X"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not baxter_list.entries.filter(company_id="12345678").exists()


def test_the_inline_adds_a_company_by_number_normalised_and_refuses_duplicates(client, alice, ashford_list):
    client.force_login(alice)
    existing = list(ashford_list.entries.order_by("pk"))
    data = {
        "organisation": ashford_list.organisation_id,
        "name": ashford_list.name,
        "description": "",
        "entries-TOTAL_FORMS": "3",
        "entries-INITIAL_FORMS": "2",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
    }
    for i, entry in enumerate(existing):
        data |= {
            f"entries-{i}-id": entry.pk,
            f"entries-{i}-client_list": ashford_list.pk,
            f"entries-{i}-company_number": entry.company_id,
            f"entries-{i}-client_reference": entry.client_reference,
        }
    data |= {"entries-2-client_list": ashford_list.pk, "entries-2-company_number": "sc123456"}
    response = client.post(change("clientlist", ashford_list.pk), data)
    assert response.status_code == 200
    assert "SC123456 is already on this list" in response.content.decode()

    data |= {"entries-2-company_number": "ni 1234", "entries-2-client_reference": "ASH-003"}
    assert client.post(change("clientlist", ashford_list.pk), data).status_code == 302
    added = ashford_list.entries.get(company_id="NI001234")
    assert (added.client_reference, added.added_by) == ("ASH-003", alice)


def test_the_inline_rejects_an_invalid_company_number_with_the_reason(client, alice, ashford):
    client.force_login(alice)
    response = client.post(
        reverse("admin:notifications_clientlist_add"),
        {
            "organisation": ashford.pk,
            "name": "New list",
            "entries-TOTAL_FORMS": "1",
            "entries-INITIAL_FORMS": "0",
            "entries-0-company_number": "S1234567",
        },
    )
    assert "a prefix has two letters" in response.content.decode()
    assert not ClientList.objects.filter(name="New list").exists()


def test_a_plain_member_who_is_staff_sees_no_client_lists(client, carol, ashford_list):
    client.force_login(carol)
    assert client.get(changelist("clientlist")).status_code == 403
    assert "Client lists" not in client.get(reverse("admin:index")).content.decode()


def test_an_org_admin_may_choose_their_practices_categories_but_not_rename_it_or_see_others(
    client, alice, ashford, baxter
):
    client.force_login(alice)
    page = client.get(changelist("organisation")).content.decode()
    assert "Ashford" in page and "Baxter" not in page
    view = client.get(change("organisation", ashford.pk))
    assert view.status_code == 200
    assert 'name="name"' not in view.content.decode()  # read only
    assert 'name="muted_categories"' in view.content.decode()
    membership = ashford.memberships.get()
    members = {  # the members inline, which alice sees read-only
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": str(membership.pk),
        "memberships-0-organisation": str(ashford.pk),
    }
    saved = client.post(
        change("organisation", ashford.pk),
        {"name": "Renamed", "time_zone": "Europe/Dublin", "muted_categories": ["other"], **members},
    )
    assert saved.status_code == 302
    ashford.refresh_from_db()
    assert (ashford.name, ashford.time_zone, ashford.muted_categories) == (
        "Ashford & Co Chartered Accountants",
        "Europe/Dublin",
        ["other"],
    )
    assert client.get(change("organisation", baxter.pk)).status_code == 302
    client.post(
        change("organisation", baxter.pk), {"time_zone": "UTC", "muted_categories": ["accounts"], **members}
    )
    baxter.refresh_from_db()
    assert baxter.muted_categories == []


def test_a_superuser_sees_every_practice_and_list(client, operator, ashford_list, baxter_list):
    client.force_login(operator)
    page = client.get(changelist("clientlist")).content.decode()
    assert "Ashford clients" in page and "Baxter secret clients" in page
    assert client.get(change("clientlist", baxter_list.pk)).status_code == 200


def test_a_long_list_links_to_its_paginated_companies_instead_of_inlining_them(
    client, alice, ashford_list, monkeypatch
):
    from notifications.admin import client_lists

    client.force_login(alice)
    assert 'id="long-list-note"' not in client.get(change("clientlist", ashford_list.pk)).content.decode()
    monkeypatch.setattr(client_lists, "INLINE_LIMIT", 1)
    page = client.get(change("clientlist", ashford_list.pk)).content.decode()
    assert "This list has 2 companies, more than the 1 this page shows." in page
    assert f"?client_list__id__exact={ashford_list.pk}" in page
    assert 'name="entries-TOTAL_FORMS"' not in page
    # Saving the list's own fields still works without the inline.
    response = client.post(
        change("clientlist", ashford_list.pk),
        {"organisation": ashford_list.organisation_id, "name": "Renamed", "description": ""},
    )
    assert response.status_code == 302
    assert ashford_list.entries.count() == 2


def test_a_time_zone_that_does_not_exist_is_refused_with_the_reason(client, operator, ashford):
    client.force_login(operator)
    page = client.post(
        change("organisation", ashford.pk),
        {
            "name": ashford.name,
            "time_zone": "Mars/Olympus_Mons",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert page.status_code == 200
    assert "is not a time zone name such as Europe/London" in page.content.decode()
    ashford.refresh_from_db()
    assert ashford.time_zone == "Europe/London"
