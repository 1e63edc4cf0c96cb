"""The admin, per practice: every admin URL walked as a practice admin (and as a staff member who
is no practice admin) with another practice's ids, every foreign-key autocomplete, every
changelist action aimed at another practice's rows; operators' pages for superusers only.

tests/test_admin_scoping.py shows the scoping in use (client lists, entries, organisations);
this proves it for every URL of the audit table in tests/test_security_urls.py.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from notifications.fan_out import fan_out_events
from notifications.models import (
    ClientList,
    ClientListEntry,
    Delivery,
    EmailSuppression,
    Notification,
    Organisation,
    UserPreferences,
)
from tests.notifykit import stored_officer_change
from tests.test_security_urls import ADMIN_SITE, DJANGO_PERMS, OPERATOR, SCOPED, example_url, fill, routes
from tests.test_security_urls import protection_of as protection

pytestmark = pytest.mark.django_db

BAXTER_SECRETS = ("Baxter", "BAX-SECRET", "Byrne Engineering", "NI654321", "bob@example.com")
ASHFORD_SECRETS = ("Ashford clients", "ASH-001", "Green Leaf", "alice@example.com")
ACTIONS = ("delete_selected", "export_csv", "retry")  # every action of our ModelAdmins


@pytest.fixture
def practices(ashford_list, alice, carol, baxter_list, bob) -> dict[str, dict[str, object]]:
    """Each practice's row of every scoped model, by model label, for URL parameters."""
    fan_out_events([stored_officer_change("09876543").id, stored_officer_change("NI654321").id])
    Delivery.objects.filter(user=bob).update(status=Delivery.Status.FAILED, last_error="refused")
    EmailSuppression.objects.create(address="bob@example.com", reason="bounced")
    UserPreferences.objects.create(user=bob, urgent_immediately=False)
    Group.objects.create(name="Baxter staff")

    def rows(organisation: Organisation, client_list: ClientList, user) -> dict[str, object]:
        return {
            "notifications.organisation": organisation.pk,
            "notifications.clientlist": client_list.pk,
            "notifications.clientlistentry": client_list.entries.first().pk,
            "notifications.notification": Notification.objects.get(organisation=organisation).pk,
            "notifications.delivery": Delivery.objects.get(user=user).pk,
        }

    return {
        "ashford": rows(ashford_list.organisation, ashford_list, alice),
        "baxter": {
            **rows(baxter_list.organisation, baxter_list, bob),
            "notifications.company": "NI654321",
            "notifications.emailsuppression": EmailSuppression.objects.get().pk,
            "notifications.userpreferences": UserPreferences.objects.get(user=bob).pk,
            "auth.user": bob.pk,
            "auth.group": Group.objects.get().pk,
        },
    }


def baxter_as_it_was(bob) -> tuple:
    """Everything of Baxter's a POST in the walk could have changed."""
    baxter = Organisation.objects.get(name="Baxter Partners")
    return (
        (baxter.name, baxter.time_zone, baxter.muted_categories),
        list(ClientList.objects.filter(organisation=baxter).values_list("name", flat=True)),
        list(
            ClientListEntry.objects.filter(client_list__organisation=baxter).values_list(
                "company", "client_reference"
            )
        ),
        Notification.objects.filter(organisation=baxter).count(),
        list(Delivery.objects.filter(user=bob).values_list("status", flat=True)),
        list(EmailSuppression.objects.values_list("address", flat=True)),
        UserPreferences.objects.get(user=bob).urgent_immediately,
        bob.__class__.objects.get(pk=bob.pk).password,
        Group.objects.count(),
    )


def model_of(route) -> str | None:
    if route.name == "admin:view_on_site":
        return "notifications.clientlist"  # its content type below
    match = re.match(r"admin/(\w+)/(\w+)/", route.route)
    return f"{match[1]}.{match[2]}" if match else None


def url_for(route, rows: dict[str, object], baxter_list, bob) -> str:
    object_id = rows.get(model_of(route), 1)
    return example_url(
        route,
        fill(
            object_id=object_id,
            pk=baxter_list.pk,  # the CSV import and export of a list
            id=bob.pk,  # a user's password
            content_type_id=ContentType.objects.get_for_model(ClientList).pk,
        ),
    )


def leaked(response, secrets) -> list[str]:
    body = response.content.decode(errors="replace")
    return [secret for secret in secrets if secret in body]


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_no_admin_url_shows_or_changes_another_practices_rows(
    client, practices, baxter_list, bob, who, request
):
    """alice administers Ashford; carol is staff and an Ashford member but administers nothing."""
    user = request.getfixturevalue(who)
    secrets = BAXTER_SECRETS + (ASHFORD_SECRETS if who == "carol" else ())
    before = baxter_as_it_was(bob)
    client.force_login(user)
    walked = 0
    for route in routes():
        kind = protection(route)
        if not route.is_admin or kind not in (ADMIN_SITE, SCOPED, OPERATOR, DJANGO_PERMS):
            continue  # login and logout (which would end the walk's session): test_security_urls
        names_an_object = {"object_id", "pk"} & set(route.kwargs)
        url = url_for(route, practices["baxter"], baxter_list, bob)
        # carol has no practice to administer: one check refuses her, whatever the method.
        posts = [{}] if who == "alice" else []
        if kind == SCOPED and who == "alice" and route.name.endswith("_changelist"):
            # Each action on another practice's row: the selection is filtered by the queryset.
            posts = [{"action": a, "_selected_action": practices["baxter"][model_of(route)]} for a in ACTIONS]
        responses = [client.get(url)] + [
            client.post(url, {"post": "yes", "name": "Hijacked", "time_zone": "UTC", **data})
            for data in posts
        ]
        for response in responses:
            assert leaked(response, secrets) == [], (url, response.status_code)
            status = response.status_code
            if not route.name and route.route.endswith("/<path:object_id>/"):  # to the change page
                assert status == 302 and response["Location"].endswith("/change/"), url
                continue
            # Refused; or, for an object outside the user's queryset, "does not exist" (to the index).
            refused = status in (403, 404, 405) or (
                names_an_object and status == 302 and response["Location"] == reverse("admin:index")
            )
            if kind in (OPERATOR, DJANGO_PERMS) or (kind == SCOPED and (who == "carol" or names_an_object)):
                assert refused, (url, status)
        walked += 1
    assert walked > 100
    assert baxter_as_it_was(bob) == before


def test_a_practice_admins_own_pages_offer_none_of_another_practices_rows(client, practices, alice):
    """Change forms, add forms and their foreign-key choices: only the admin's own practice."""
    own = practices["ashford"]
    client.force_login(alice)
    shown = 0
    for route in routes():
        if protection(route) != SCOPED or not route.name or route.name.endswith(("_delete", "_export")):
            continue
        values = fill(object_id=own.get(model_of(route), 1), pk=own["notifications.clientlist"])
        response = client.get(example_url(route, values))
        assert response.status_code in (200, 403), route.key  # 403: adding to a read-only record
        assert leaked(response, BAXTER_SECRETS) == [], route.key
        shown += response.status_code == 200
    assert shown >= 15


def test_every_foreign_key_autocomplete_answers_only_with_the_admins_own_rows(client, practices, alice):
    """Django's autocomplete serves any relation of any model, whatever the form shows: each must
    answer from the target ModelAdmin's scoped queryset, or not at all."""
    client.force_login(alice)
    answered = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete):
                continue
            query = {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field.name,
                "term": "",
            }
            response = client.get(reverse("admin:autocomplete"), query)
            assert response.status_code in (200, 403, 404), query
            assert leaked(response, BAXTER_SECRETS) == [], query
            if response.status_code == 200:
                answered += [item["text"] for item in response.json()["results"]]
    # It answered where alice may look (her practice, lists and notifications), so the walk bites.
    assert "Ashford & Co Chartered Accountants" in answered
    assert any(text.startswith("Ashford clients") for text in answered)


def test_the_notification_filter_names_only_the_admins_own_practices(client, practices, alice, operator):
    """The changelist's organisation filter listed every practice's name (a hole, now closed)."""
    client.force_login(alice)
    page = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert "Ashford &amp; Co" in page and "Baxter" not in page
    baxter = practices["baxter"]["notifications.organisation"]
    filtered = client.get(reverse("admin:notifications_notification_changelist"), {"organisation": baxter})
    assert leaked(filtered, BAXTER_SECRETS) == []
    client.force_login(operator)
    page = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert "Ashford &amp; Co" in page and "Baxter Partners" in page
    narrowed = client.get(reverse("admin:notifications_notification_changelist"), {"organisation": baxter})
    assert "NI654321" in narrowed.content.decode() and "09876543" not in narrowed.content.decode()
