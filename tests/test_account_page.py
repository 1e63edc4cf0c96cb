"""A member's own account page: their name, password and email address (a new one confirmed by a
link sent to it, the old one told), their practices, and the link to their email settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import EmailConfirmation, EmailSuppression, Membership, PeopleEvent
from notifications.practices.tokens import new_token, token_hash
from tests.mailbackends import ScriptedBackend

pytestmark = pytest.mark.django_db

ACCOUNT = "/accounts/me/"
PASSWORD = "correct-horse"  # every fixture user's
LINK = re.compile(r"https://watch\.example\.test(/accounts/email/confirm/[^/\s\"]+/)")


@pytest.fixture(autouse=True)
def _no_failed_logins_left_over(redis_client):
    """Wrong passwords here count as failed logins (in the suite's Redis): each test starts clean."""
    yield


@pytest.fixture
def erin(django_user_model, ashford, baxter):
    """A plain member: not staff, a member of Ashford and (for the roles) an admin of Baxter."""
    user = django_user_model.objects.create_user(
        username="erin",
        password="correct-horse",
        email="erin@example.com",
        first_name="Erin",
        last_name="Ward",
    )
    Membership.objects.create(organisation=ashford, user=user, role=Membership.Role.MEMBER)
    Membership.objects.create(organisation=baxter, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def erins(client, erin) -> Client:
    client.force_login(erin)
    return client


def field_block(page: str, field_id: str) -> str:
    """The `<div class="field">` holding the input `field_id`: its label, help and errors."""
    for chunk in page.split('<div class="field">')[1:]:
        block = chunk.split("</fieldset>")[0]
        if f'id="{field_id}"' in block:
            return block
    raise AssertionError(f"no field {field_id} on the page")


def ask_for(client: Client, new_email: str, password: str = PASSWORD):
    return client.post(ACCOUNT, {"form": "email", "new_email": new_email, "current_password": password})


def sent_to(address: str):
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


def link_in(message) -> str:
    return LINK.search(message.body)[1]


# --- the page -------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_is_changed(client, erin):
    for response in (client.get(ACCOUNT), client.post(ACCOUNT, {"form": "name", "first_name": "Mallory"})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={ACCOUNT}"
    erin.refresh_from_db()
    assert erin.first_name == "Erin"


def test_the_page_lists_erins_practices_with_her_role_in_each_and_links_her_email_settings(erins, erin):
    page = erins.get(reverse("account")).content.decode()

    practices = re.search(r'<ul class="practices" id="practices">(.*?)</ul>', page, re.S)[1]
    assert "Ashford &amp; Co Chartered Accountants</a>: Member" in practices
    assert "Baxter Partners</a>: Admin" in practices
    assert f'href="{reverse("preferences")}"' in page
    assert "erin@example.com" in page
    assert "You log in as <strong>erin</strong>" in page


def test_a_member_of_no_practice_is_told_so(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="zed", password="correct-horse"))

    page = client.get(ACCOUNT).content.decode()

    assert "You belong to no practice yet" in page
    assert "You have no email address" in page


def test_erin_changes_her_name_and_is_told_it_is_saved(erins, erin):
    response = erins.post(
        ACCOUNT, {"form": "name", "first_name": " Erin ", "last_name": "Ward-Hughes"}, follow=True
    )

    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert "Your name is saved." in response.content.decode()
    erin.refresh_from_db()
    assert (erin.first_name, erin.last_name) == ("Erin", "Ward-Hughes")


def test_a_name_too_long_is_refused_next_to_its_field_and_nothing_is_saved(erins, erin):
    response = erins.post(ACCOUNT, {"form": "name", "first_name": "E" * 151, "last_name": "Ward"})

    assert response.status_code == 200
    block = field_block(response.content.decode(), "id_first_name")
    assert "Ensure this value has at most 150 characters" in block
    assert 'aria-invalid="true"' in block
    erin.refresh_from_db()
    assert erin.first_name == "Erin"


def test_a_post_naming_no_form_of_the_page_changes_nothing(erins, erin):
    response = erins.post(ACCOUNT, {"form": "is_staff", "first_name": "Mallory", "is_staff": "on"})

    assert response.status_code == 302
    erin.refresh_from_db()
    assert (erin.first_name, erin.is_staff) == ("Erin", False)


# --- the password ---------------------------------------------------------------------------


def password_form(old: str = "correct-horse", new: str = "battery-staple-9") -> dict[str, str]:
    return {"form": "password", "old_password": old, "new_password1": new, "new_password2": new}


def test_erin_changes_her_password_stays_logged_in_and_the_old_one_no_longer_logs_in(erins, erin):
    response = erins.post(ACCOUNT, password_form(), follow=True)

    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert "Your password is changed." in response.content.decode()
    assert erins.get(ACCOUNT).status_code == 200  # the session survived the new password
    assert erins.session["_auth_user_id"] == str(erin.pk)
    browser = Client()
    refused = browser.post(reverse("login"), {"username": "erin", "password": "correct-horse"})
    assert refused.status_code == 200 and "_auth_user_id" not in browser.session
    accepted = browser.post(reverse("login"), {"username": "erin", "password": "battery-staple-9"})
    assert accepted.status_code == 302


def test_a_password_change_logs_erins_other_sessions_out(erins, erin):
    elsewhere = Client()
    elsewhere.force_login(erin)

    erins.post(ACCOUNT, password_form())

    assert elsewhere.get(ACCOUNT).status_code == 302


def test_a_wrong_current_password_is_refused_next_to_its_field(erins, erin):
    response = erins.post(ACCOUNT, password_form(old="wrong-horse"))

    assert response.status_code == 200
    assert "That is not your current password." in field_block(response.content.decode(), "id_old_password")
    erin.refresh_from_db()
    assert erin.check_password("correct-horse")


def test_a_weak_or_mismatched_new_password_is_refused_next_to_its_field(erins, erin):
    weak = erins.post(ACCOUNT, password_form(new="erin")).content.decode()
    assert "This password is too short" in field_block(weak, "id_new_password2")

    mismatched = {**password_form(), "new_password2": "something-else-9"}
    page = erins.post(ACCOUNT, mismatched).content.decode()
    assert "The two password fields didn" in field_block(page, "id_new_password2")
    erin.refresh_from_db()
    assert erin.check_password("correct-horse")


def test_too_many_wrong_current_passwords_lock_the_form_as_failed_logins_would(erins, erin, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        erins.post(ACCOUNT, password_form(old="guess"))

    page = erins.post(ACCOUNT, password_form()).content.decode()

    assert "Too many wrong passwords for this account" in field_block(page, "id_old_password")
    erin.refresh_from_db()
    assert erin.check_password("correct-horse")


# --- asking for a new address ---------------------------------------------------------------


def test_asking_for_a_new_address_emails_a_link_to_it_and_tells_the_old_address(erins, erin):
    response = ask_for(erins, "erin.ward@newmail.example")

    assert response.status_code == 302
    confirmation = EmailConfirmation.objects.get()
    assert confirmation.purpose == EmailConfirmation.EMAIL_CHANGE
    assert (confirmation.user, confirmation.email, confirmation.used_at) == (
        erin,
        "erin.ward@newmail.example",
        None,
    )
    expected_expiry = timezone.now() + timedelta(hours=settings.EMAIL_CONFIRMATION_HOURS)
    assert abs(confirmation.expires_at - expected_expiry) < timedelta(minutes=1)

    assert len(mail.outbox) == 2
    confirm = sent_to("erin.ward@newmail.example")
    path = link_in(confirm)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert confirmation.token_hash == token_hash(token) and token not in confirmation.token_hash
    assert confirm.subject == "Confirm your new email address for Client Watch"
    notice = sent_to("erin@example.com")
    assert "from erin@example.com to erin.ward@newmail.example" in notice.body
    assert "If it was not you, someone knows your password. Reset your password" in notice.body
    assert f"https://watch.example.test{reverse('password_reset')}" in notice.body
    assert token not in notice.body  # the link goes to the new address only
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"  # nothing changes until the link is followed
    page = erins.get(ACCOUNT).content.decode()
    assert "Waiting for you to confirm <strong>erin.ward@newmail.example</strong>" in page


def test_an_address_another_account_uses_is_refused_next_to_the_field_whatever_its_case(erins, erin, carol):
    page = ask_for(erins, "CAROL@Example.com").content.decode()

    assert "Another account uses this address." in field_block(page, "id_new_email")
    assert not EmailConfirmation.objects.exists()
    assert mail.outbox == []


def test_an_address_another_account_logs_in_with_is_refused(erins, django_user_model):
    django_user_model.objects.create_user(username="gwen@example.com", email="gwen@elsewhere.example")

    page = ask_for(erins, "Gwen@example.com").content.decode()

    assert "Another account uses this address." in field_block(page, "id_new_email")


def test_the_wrong_current_password_refuses_the_change_of_address_and_sends_nothing(erins):
    page = ask_for(erins, "erin.ward@newmail.example", password="wrong-horse").content.decode()

    assert "That is not your current password." in field_block(page, "id_current_password")
    assert not EmailConfirmation.objects.exists()
    assert mail.outbox == []


def test_erins_own_address_or_a_malformed_one_is_refused_next_to_the_field(erins):
    assert "That is already your address." in field_block(
        ask_for(erins, "Erin@Example.com").content.decode(), "id_new_email"
    )
    assert "Enter a valid email address." in field_block(
        ask_for(erins, "erin at example").content.decode(), "id_new_email"
    )
    assert mail.outbox == []


def test_when_the_emails_cannot_be_sent_erin_is_told_and_no_link_is_left_working(erins, erin, settings):
    settings.EMAIL_BACKEND = "tests.mailbackends.ScriptedBackend"
    ScriptedBackend.script = [AnymailAPIError("the provider is down")]
    try:
        response = ask_for(erins, "erin.ward@newmail.example")
    finally:
        ScriptedBackend.script = []

    assert response.status_code == 200
    assert "We could not send the confirmation email just now" in field_block(
        response.content.decode(), "id_new_email"
    )
    assert not EmailConfirmation.objects.exists()


# --- following the link ---------------------------------------------------------------------


@pytest.fixture
def link(erins) -> str:
    """The path of the link Erin was sent to confirm erin.ward@newmail.example."""
    ask_for(erins, "erin.ward@newmail.example")
    return link_in(sent_to("erin.ward@newmail.example"))


def test_opening_the_link_asks_for_a_click_and_changes_nothing_yet(erins, erin, link):
    response = erins.get(link)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post"' in page and "Use this address" in page
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"
    assert EmailConfirmation.objects.get().used_at is None


def test_the_click_sets_the_address_once_and_records_it_in_each_of_erins_practices(
    erins, erin, link, ashford, baxter
):
    response = erins.post(link)

    assert response.status_code == 200
    assert (
        "Client Watch will email you at erin.ward@newmail.example from now on." in response.content.decode()
    )
    erin.refresh_from_db()
    assert erin.email == "erin.ward@newmail.example"
    assert erin.username == "erin"  # a username that is not an address stays
    assert EmailConfirmation.objects.get().used_at is not None
    events = PeopleEvent.objects.filter(action=PeopleEvent.Action.EMAIL_CHANGED).order_by(
        "organisation__name"
    )
    assert [e.organisation for e in events] == [ashford, baxter]
    for event in events:
        assert (event.actor, event.subject) == (erin, erin)
        assert (event.actor_name, event.subject_name) == ("Erin Ward", "Erin Ward")
        assert event.detail == "from erin@example.com to erin.ward@newmail.example"

    for again in (erins.get(link), erins.post(link)):
        assert again.status_code == 410
        assert "This link was already used" in again.content.decode()
    assert PeopleEvent.objects.filter(action=PeopleEvent.Action.EMAIL_CHANGED).count() == 2


def test_the_link_works_without_logging_in(erin, link):
    browser = Client()

    assert browser.get(link).status_code == 200
    response = browser.post(link)

    assert response.status_code == 200
    erin.refresh_from_db()
    assert erin.email == "erin.ward@newmail.example"
    assert "_auth_user_id" not in browser.session  # the link logs nobody in


def test_an_expired_link_changes_nothing_and_says_to_ask_for_a_new_one(erin, link):
    browser = Client()
    later = timezone.now() + timedelta(hours=settings.EMAIL_CONFIRMATION_HOURS, minutes=1)
    with time_machine.travel(later):
        for response in (browser.get(link), browser.post(link)):
            assert response.status_code == 410
            assert (
                "This link has expired: ask for a new one from your account page" in response.content.decode()
            )

    erin.refresh_from_db()
    assert erin.email == "erin@example.com"
    assert EmailConfirmation.objects.get().used_at is None


def test_a_link_opened_by_another_logged_in_user_is_refused(erin, carol, link):
    carols = Client()
    carols.force_login(carol)

    for response in (carols.get(link), carols.post(link)):
        assert response.status_code == 403
        assert "This link is for another account" in response.content.decode()

    erin.refresh_from_db()
    carol.refresh_from_db()
    assert (erin.email, carol.email) == ("erin@example.com", "carol@example.com")
    assert EmailConfirmation.objects.get().used_at is None


def test_a_sign_up_link_is_refused_at_the_email_change_address(client, erin):
    token, hashed = new_token()
    signup = EmailConfirmation.objects.create(
        purpose=EmailConfirmation.SIGNUP,
        user=erin,
        email="erin.ward@newmail.example",
        token_hash=hashed,
        expires_at=timezone.now() + timedelta(hours=1),
        payload={"practice": "Ward & Co"},
    )
    client.force_login(erin)
    url = reverse("email_change_confirm", args=[token])

    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/plain")
        assert "This link is not valid" in response.content.decode()

    erin.refresh_from_db()
    signup.refresh_from_db()
    assert erin.email == "erin@example.com" and signup.used_at is None


def test_a_made_up_link_is_not_valid(client):
    response = client.get(reverse("email_change_confirm", args=["made-up-token"]))

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_asking_again_voids_the_earlier_link(erins, erin, link):
    ask_for(erins, "erin@third.example")

    assert erins.post(link).status_code == 404
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"
    assert erins.post(link_in(sent_to("erin@third.example"))).status_code == 200
    erin.refresh_from_db()
    assert erin.email == "erin@third.example"


def test_a_new_password_cancels_a_change_of_address_asked_for_before_it(erin, link):
    """What the notice to the old address tells its owner to do, if the change was not theirs."""
    erin.set_password("reset-by-the-real-erin-9")
    erin.save()
    browser = Client()

    response = browser.post(link)

    assert response.status_code == 410
    assert "This link was cancelled" in response.content.decode()
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"


def test_an_address_taken_since_the_link_was_sent_is_not_set(erin, link, django_user_model):
    django_user_model.objects.create_user(username="someone", email="Erin.Ward@newmail.example")

    response = Client().post(link)

    assert response.status_code == 409
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"


def test_a_suppression_of_the_old_address_stays_with_it_after_the_change(erins, erin, link):
    EmailSuppression.objects.create(address="erin@example.com", reason=EmailSuppression.Reason.BOUNCED)

    erins.post(link)

    assert list(EmailSuppression.objects.values_list("address", flat=True)) == ["erin@example.com"]
    page = erins.get(reverse("preferences")).content.decode()
    assert "we stopped sending" not in page  # the new address is not blocked


def test_an_account_that_logs_in_with_its_address_logs_in_with_the_new_one(
    client, django_user_model, ashford
):
    frank = django_user_model.objects.create_user(
        username="frank@example.com", email="frank@example.com", password="correct-horse"
    )
    Membership.objects.create(organisation=ashford, user=frank)
    client.force_login(frank)
    ask_for(client, "Frank@NewMail.example")

    page = client.post(link_in(sent_to("Frank@newmail.example"))).content.decode()

    frank.refresh_from_db()
    assert (frank.username, frank.email) == ("frank@newmail.example", "Frank@newmail.example")
    assert "Log in with Frank@newmail.example from now on." in page
    assert PeopleEvent.objects.get().detail == "from frank@example.com to Frank@newmail.example"


def test_a_member_without_an_address_adds_one_and_only_the_new_address_is_emailed(
    client, django_user_model, ashford
):
    gwen = django_user_model.objects.create_user(username="gwen", password="correct-horse")
    Membership.objects.create(organisation=ashford, user=gwen)
    client.force_login(gwen)

    ask_for(client, "gwen@example.com")

    assert [m.to for m in mail.outbox] == [["gwen@example.com"]]
    client.post(link_in(mail.outbox[0]))
    gwen.refresh_from_db()
    assert gwen.email == "gwen@example.com"
    assert PeopleEvent.objects.get().detail == "from no address to gwen@example.com"


# --- emails, CSRF ---------------------------------------------------------------------------


def test_the_html_emails_escape_a_name_and_the_text_emails_keep_it_as_written(erins, erin):
    erin.first_name, erin.last_name = "<b>Eve</b>", ""
    erin.save()

    ask_for(erins, "erin.ward@newmail.example")

    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert "<b>Eve</b>" not in html
        assert "&lt;b&gt;Eve&lt;/b&gt;" in html
        assert "Hello <b>Eve</b>," in message.body
        assert "&lt;" not in message.body


def test_every_form_of_the_page_and_the_links_click_need_the_csrf_token(erin, link):
    client = Client(enforce_csrf_checks=True)
    client.force_login(erin)
    client.get(ACCOUNT)  # the browser has the cookie; a forged form lacks the token
    forged = [
        {"form": "name", "first_name": "Mallory"},
        {"form": "email", "new_email": "mallory@evil.example", "current_password": "correct-horse"},
        password_form(),
    ]
    for data in forged:
        assert client.post(ACCOUNT, data).status_code == 403
    assert client.post(link).status_code == 403

    erin.refresh_from_db()
    assert (erin.first_name, erin.email) == ("Erin", "erin@example.com")
    assert erin.check_password("correct-horse")
    token = client.cookies["csrftoken"].value
    assert (
        client.post(ACCOUNT, {"form": "name", "first_name": "Erin", "csrfmiddlewaretoken": token}).status_code
        == 302
    )


# --- the preferences page points here -------------------------------------------------------


def test_the_preferences_page_sends_a_member_without_an_address_to_their_account_page(erins, erin):
    erin.email = ""
    erin.save()

    page = erins.get(reverse("preferences")).content.decode()

    assert f'<a href="{ACCOUNT}">Add one on your account page</a>' in page
    assert "Ask your practice's admin" not in page


def test_the_preferences_page_sends_a_member_whose_address_bounced_to_their_account_page(erins):
    EmailSuppression.objects.create(address="erin@example.com", reason=EmailSuppression.Reason.BOUNCED)

    page = erins.get(reverse("preferences")).content.decode()

    assert f'<a href="{ACCOUNT}">Change your address on your account page</a>' in page
    assert "ask your practice's admin" not in page
