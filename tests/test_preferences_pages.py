"""A member's email settings page and the one-click unsubscribe link in every email."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from notifications.content.categories import DEFAULT_EMAIL_MODES, Category, EmailMode
from notifications.delivery.forms import mode_field_name
from notifications.delivery.unsubscribe import make_token
from notifications.models import EmailSuppression, UserPreferences

pytestmark = pytest.mark.django_db

PREFERENCES = "/preferences/"


def settings_form(**changes) -> dict[str, str]:
    """The form as a browser posts it with the defaults chosen (unticked boxes are left out)."""
    data = {mode_field_name(c): str(DEFAULT_EMAIL_MODES[c]) for c in Category}
    data.update(email_enabled="on", urgent_immediately="on")
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


# --- the preferences page -------------------------------------------------------------------


def test_the_preferences_page_sends_an_anonymous_visitor_to_log_in(client):
    response = client.get(PREFERENCES)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={PREFERENCES}"


def test_posting_preferences_without_logging_in_saves_nothing(client, alice):
    response = client.post(PREFERENCES, settings_form(email_enabled=None))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert not UserPreferences.objects.exists()


def test_logging_in_on_the_login_page_leads_to_the_feed(client, alice):
    page = client.get(reverse("login")).content.decode()
    assert 'name="username"' in page

    response = client.post(reverse("login"), {"username": "alice", "password": "correct-horse"})

    assert response.status_code == 302
    assert response["Location"] == reverse("feed_home")


def test_a_user_without_saved_preferences_sees_the_defaults(client, alice):
    client.force_login(alice)
    response = client.get(PREFERENCES)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["email_enabled"].value() is True
    assert form["urgent_immediately"].value() is True
    for category in Category:
        assert form[mode_field_name(category)].value() == DEFAULT_EMAIL_MODES[category]
    page = response.content.decode()
    assert "Client Watch" in page
    assert "Registered office address" in page
    assert "In the daily digest" in page


def test_saving_creates_the_users_preferences_and_redirects_with_a_message(client, alice):
    client.force_login(alice)
    data = settings_form(
        urgent_immediately=None,
        **{mode_field_name(Category.ACCOUNTS): "off", mode_field_name(Category.OFFICERS): "digest"},
    )

    response = client.post(PREFERENCES, data, follow=True)

    assert response.redirect_chain == [(PREFERENCES, 302)]
    assert "Your email settings are saved." in response.content.decode()
    preferences = UserPreferences.objects.get(user=alice)
    assert preferences.email_enabled is True
    assert preferences.urgent_immediately is False
    assert preferences.modes[Category.ACCOUNTS] == EmailMode.OFF
    assert preferences.modes[Category.OFFICERS] == EmailMode.DIGEST
    assert preferences.modes[Category.ADDRESS] == EmailMode.IMMEDIATE


def test_saving_again_updates_the_same_row_and_the_page_shows_the_saved_choice(client, alice):
    UserPreferences.objects.create(user=alice, email_enabled=False)
    client.force_login(alice)

    client.post(PREFERENCES, settings_form(**{mode_field_name(Category.GAZETTE): "off"}))

    preferences = UserPreferences.objects.get(user=alice)
    assert preferences.email_enabled is True
    assert preferences.modes[Category.GAZETTE] == "off"
    form = client.get(PREFERENCES).context["form"]
    assert form[mode_field_name(Category.GAZETTE)].value() == "off"


def test_a_user_sees_and_saves_only_their_own_preferences(client, alice, bob):
    UserPreferences.objects.create(user=bob, urgent_immediately=False, modes={"accounts": "immediate"})
    client.force_login(alice)

    form = client.get(PREFERENCES).context["form"]
    assert form["urgent_immediately"].value() is True
    assert form[mode_field_name(Category.ACCOUNTS)].value() == "digest"

    client.post(
        PREFERENCES, {**settings_form(email_enabled=None), "user": str(bob.pk), "user_id": str(bob.pk)}
    )

    assert UserPreferences.objects.get(user=alice).email_enabled is False
    bobs = UserPreferences.objects.get(user=bob)
    assert bobs.email_enabled is True
    assert bobs.urgent_immediately is False
    assert bobs.modes == {"accounts": "immediate"}


def test_an_invalid_mode_is_refused_and_saves_nothing(client, alice):
    client.force_login(alice)

    response = client.post(PREFERENCES, settings_form(**{mode_field_name(Category.OFFICERS): "hourly"}))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not UserPreferences.objects.exists()


def test_saving_preferences_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(PREFERENCES, settings_form(email_enabled=None))

    assert response.status_code == 403
    assert not UserPreferences.objects.exists()


def test_saving_preferences_with_the_pages_csrf_token_works(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(PREFERENCES)
    token = client.cookies["csrftoken"].value

    response = client.post(PREFERENCES, {**settings_form(email_enabled=None), "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert UserPreferences.objects.get(user=alice).email_enabled is False


def test_the_page_warns_when_the_users_address_bounced_and_masks_it(client, alice):
    EmailSuppression.objects.create(address="alice@example.com", reason="bounced", detail="550 no such user")
    client.force_login(alice)

    page = client.get(PREFERENCES).content.decode()

    assert "Email to a***@example.com" in page
    assert "bounced on" in page
    assert "we stopped sending" in page
    assert "Resume email to this address" in page
    assert "550 no such user" in page
    assert "alice@example.com" not in page


def test_the_page_shows_no_warning_when_the_address_is_not_suppressed(client, alice):
    EmailSuppression.objects.create(address="someone-else@example.com", reason="bounced")
    client.force_login(alice)

    page = client.get(PREFERENCES).content.decode()

    assert "we stopped sending" not in page
    assert "Resume email to this address" not in page


def test_the_resume_button_clears_the_users_suppression_only(client, alice):
    EmailSuppression.objects.create(address="alice@example.com", reason="complained")
    EmailSuppression.objects.create(address="bob@example.com", reason="bounced")
    client.force_login(alice)

    response = client.post(reverse("resume_email"), follow=True)

    assert response.redirect_chain == [(PREFERENCES, 302)]
    assert "We will send email to a***@example.com again." in response.content.decode()
    assert list(EmailSuppression.objects.values_list("address", flat=True)) == ["bob@example.com"]


def test_resuming_email_needs_a_post(client, alice):
    EmailSuppression.objects.create(address="alice@example.com", reason="bounced")
    client.force_login(alice)

    assert client.get(reverse("resume_email")).status_code == 405
    assert EmailSuppression.objects.filter(address="alice@example.com").exists()


def test_the_page_warns_a_user_who_has_no_email_address(client, alice):
    alice.email = ""
    alice.save()
    client.force_login(alice)

    page = client.get(PREFERENCES).content.decode()

    assert "You have no email address" in page


def test_text_from_the_database_is_escaped(client, alice):
    alice.first_name = "<script>alert('name')</script>"
    alice.save()
    EmailSuppression.objects.create(
        address="alice@example.com", reason="bounced", detail="<img src=x onerror=alert('detail')>"
    )
    client.force_login(alice)

    page = client.get(PREFERENCES).content.decode()

    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(&#x27;detail&#x27;)&gt;" in page


# --- the unsubscribe link -------------------------------------------------------------------


def unsubscribe(token: str) -> str:
    return reverse("unsubscribe", args=[token])


def test_opening_the_unsubscribe_link_shows_a_form_and_changes_nothing(client, alice):
    response = client.get(unsubscribe(make_token(alice.pk)))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "Unsubscribe from all email" in page
    assert not UserPreferences.objects.exists()


def test_posting_the_unsubscribe_form_turns_email_off_and_keeps_other_settings(client, alice):
    UserPreferences.objects.create(user=alice, urgent_immediately=False, modes={"accounts": "off"})

    response = client.post(unsubscribe(make_token(alice.pk)))

    assert response.status_code == 200
    page = response.content.decode()
    assert "You will receive no more email from Client Watch" in page
    assert f'href="{PREFERENCES}"' in page
    preferences = UserPreferences.objects.get(user=alice)
    assert preferences.email_enabled is False
    assert preferences.urgent_immediately is False
    assert preferences.modes == {"accounts": "off"}


def test_one_click_unsubscribe_works_without_a_csrf_token_and_logs_nobody_in(alice, bob):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        unsubscribe(make_token(alice.pk)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert UserPreferences.objects.get(user=alice).email_enabled is False
    assert not UserPreferences.objects.filter(user=bob).exists()
    assert "_auth_user_id" not in client.session
    assert client.get(PREFERENCES).status_code == 302


def test_a_tampered_unsubscribe_token_is_refused(client, alice, bob):
    token = make_token(alice.pk)
    forged = signing.dumps({"u": bob.pk}, salt="notifications.unsubscribe.v1", key="not-our-secret-key")
    for bad in [token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"]:
        for method in (client.get, client.post):
            response = method(unsubscribe(bad))
            assert response.status_code == 400
            assert response["Content-Type"].startswith("text/plain")
            assert "This unsubscribe link is not valid" in response.content.decode()
    assert not UserPreferences.objects.exists()


def test_a_token_signed_with_another_salt_is_refused(client, alice):
    token = signing.dumps({"u": alice.pk}, salt="some.other.purpose", compress=False)

    response = client.post(unsubscribe(token))

    assert response.status_code == 400
    assert not UserPreferences.objects.exists()


def test_a_token_for_a_user_who_no_longer_exists_is_refused(client, alice):
    token = make_token(alice.pk)
    alice.delete()

    response = client.post(unsubscribe(token))

    assert response.status_code == 400
    assert not UserPreferences.objects.exists()
