"""A practice runs itself: its admins invite colleagues (a single-use link that expires), change
roles and remove people from its People page, and see who changed what; a colleague who joins
finds the last month of the practice's news. End to end with the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import (
    EmailSuppression,
    Invitation,
    Membership,
    Notification,
    PeopleEvent,
    UserNotification,
)
from notifications.practices import people
from streams.models import Company

pytestmark = pytest.mark.django_db
STRONG = "a-long-Pass-phrase-42"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def link_in(message) -> str:
    return re.search(r"(/invitations/[\w-]+/)", message.body).group(1)


def invite(client: Client, organisation, email: str, role: str = "member"):
    return client.post(reverse("people_invite", args=[organisation.pk]), {"email": email, "role": role})


def notification(organisation, days_ago: float, title: str) -> Notification:
    company, _ = Company.objects.get_or_create(
        company_number="09876543", defaults={"name": "Green Leaf Cafe Ltd"}
    )
    made = Notification.objects.create(
        organisation=organisation,
        company=company,
        category="accounts",
        severity="routine",
        title=title,
        stream="filings",
    )
    Notification.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return made


def test_an_admin_invites_a_colleague_who_chooses_a_password_and_lands_on_the_last_month_of_news(
    alice, ashford
):
    recent = notification(ashford, 10, "Accounts filed last week")
    notification(ashford, 40, "Accounts filed long ago")
    admin = logged_in(alice)

    response = invite(admin, ashford, "Dana@Example.com")
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["dana@example.com"]
    assert "Join Ashford & Co Chartered Accountants" in message.subject
    assert "alice" in message.body.lower()

    colleague = Client()
    page = colleague.get(link_in(message))
    assert page.status_code == 200 and b"Choose a password" in page.content
    weak = colleague.post(
        link_in(message), {"first_name": "Dana", "password1": "short", "password2": "short"}
    )
    assert weak.status_code == 400 and b"too short" in weak.content

    joined = colleague.post(
        link_in(message),
        {"first_name": "Dana", "last_name": "Scully", "password1": STRONG, "password2": STRONG},
    )
    assert joined.status_code == 302 and joined.url == reverse("feed", args=[ashford.pk])
    dana = get_user_model().objects.get(email="dana@example.com")
    assert (dana.username, dana.get_full_name(), dana.is_staff) == ("dana@example.com", "Dana Scully", False)
    assert Membership.objects.get(user=dana).organisation == ashford
    feed = colleague.get(joined.url)
    assert b"Accounts filed last week" in feed.content and b"Accounts filed long ago" not in feed.content
    assert list(UserNotification.objects.filter(user=dana).values_list("notification", "read_at")) == [
        (recent.pk, None)
    ]
    actions = list(PeopleEvent.objects.filter(organisation=ashford).values_list("action", "subject_name"))
    assert actions == [("joined", "Dana Scully"), ("invited", "dana@example.com")]

    # The link is single-use.
    again = Client().get(link_in(message))
    assert again.status_code == 410 and b"accepted already" in again.content


def test_an_address_with_an_account_joins_on_accepting_without_a_new_account_and_only_that_practice(
    alice, ashford, bob, baxter
):
    invite(logged_in(alice), ashford, bob.email, role="admin")
    link = link_in(mail.outbox[0])

    asked = Client().get(link)
    assert asked.status_code == 200 and b"already has a Client Watch account" in asked.content
    as_bob = logged_in(bob)
    assert as_bob.get(link).status_code == 200
    joined = as_bob.post(link)

    assert joined.status_code == 302
    assert get_user_model().objects.filter(email__iexact=bob.email).count() == 1
    assert set(Membership.objects.filter(user=bob).values_list("organisation__name", "role")) == {
        ("Baxter Partners", "admin"),
        ("Ashford & Co Chartered Accountants", "admin"),
    }


def test_someone_logged_in_as_another_person_cannot_take_an_invitation(alice, ashford, bob):
    invite(logged_in(alice), ashford, "dana@example.com")
    link = link_in(mail.outbox[0])

    response = logged_in(bob).post(link, {"first_name": "X", "password1": STRONG, "password2": STRONG})

    assert response.status_code == 403
    assert not Membership.objects.filter(user=bob, organisation=ashford).exists()
    assert not get_user_model().objects.filter(email="dana@example.com").exists()


def test_a_withdrawn_an_expired_and_a_replaced_link_each_say_so_plainly(alice, ashford):
    admin = logged_in(alice)
    invite(admin, ashford, "dana@example.com")
    invite(admin, ashford, "eve@example.com")
    invite(admin, ashford, "fay@example.com")
    dana, eve, fay = (
        Invitation.objects.get(email=e) for e in ("dana@example.com", "eve@example.com", "fay@example.com")
    )
    dana_link, eve_link, fay_link = (link_in(m) for m in mail.outbox)

    admin.post(reverse("invitation_revoke", args=[ashford.pk, dana.pk]))
    Invitation.objects.filter(pk=eve.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    admin.post(reverse("invitation_resend", args=[ashford.pk, fay.pk]))

    withdrawn = Client().get(dana_link)
    assert withdrawn.status_code == 410 and b"withdrawn" in withdrawn.content
    expired = Client().get(eve_link)
    assert expired.status_code == 410 and b"expired" in expired.content
    assert Client().get(fay_link).status_code == 404  # the old link of a resent invitation
    assert Client().get(link_in(mail.outbox[-1])).status_code == 200
    assert Client().get("/invitations/not-a-token/").status_code == 404
    assert PeopleEvent.objects.filter(action="invitation_revoked", subject_name="dana@example.com").exists()


def test_inviting_a_member_again_is_refused_next_to_the_address(alice, carol, ashford):
    response = invite(logged_in(alice), ashford, carol.email.upper())

    assert response.status_code == 400
    assert b"already a member" in response.content
    assert not mail.outbox


def test_the_people_page_lists_roles_last_logins_and_stopped_email(alice, carol, ashford):
    EmailSuppression.objects.create(address=carol.email, reason="bounced")
    get_user_model().objects.filter(pk=alice.pk).update(last_login=timezone.now())

    page = logged_in(alice).get(reverse("people", args=[ashford.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "carol@example.com" in text and "Email stopped: bounced" in text
    assert "Admin" in text and "Member" in text and "never" in text
    assert "The only admin" in text  # alice cannot be demoted or removed from the page


def test_the_last_admin_cannot_be_removed_or_demoted_and_a_second_admin_can_then_step_down(
    alice, carol, ashford
):
    admin = logged_in(alice)
    mine = Membership.objects.get(user=alice, organisation=ashford)

    demote = admin.post(reverse("people_role", args=[ashford.pk, mine.pk]), {"role": "member"}, follow=True)
    assert b"only admin" in demote.content
    removal = admin.post(reverse("people_remove", args=[ashford.pk, mine.pk]), follow=True)
    assert b"only admin" in removal.content
    assert Membership.objects.get(pk=mine.pk).role == "admin"

    theirs = Membership.objects.get(user=carol, organisation=ashford)
    admin.post(reverse("people_role", args=[ashford.pk, theirs.pk]), {"role": "admin"})
    admin.post(reverse("people_role", args=[ashford.pk, mine.pk]), {"role": "member"})
    assert Membership.objects.get(pk=mine.pk).role == "member"
    alice.refresh_from_db()
    assert not alice.is_staff  # no longer an admin anywhere: the admin site is closed to her
    assert PeopleEvent.objects.filter(action="role_changed", detail="from admin to member").exists()


def test_a_removed_member_loses_their_sessions_and_the_trail_keeps_their_name(alice, carol, ashford):
    carol.first_name, carol.last_name = "Carol", "Danvers"
    carol.save()
    theirs = Client()
    assert (
        theirs.post(reverse("login"), {"username": "carol", "password": "correct-horse"}).status_code == 302
    )
    assert theirs.get(reverse("feed", args=[ashford.pk])).status_code == 200

    membership = Membership.objects.get(user=carol, organisation=ashford)
    response = logged_in(alice).post(reverse("people_remove", args=[ashford.pk, membership.pk]))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    after = theirs.get(reverse("feed", args=[ashford.pk]))
    assert after.status_code == 302 and reverse("login") in after.url  # logged out
    get_user_model().objects.filter(pk=carol.pk).delete()  # even once the account is gone
    event = PeopleEvent.objects.get(action="removed")
    assert (event.actor_name, event.subject_name) == ("alice", "Carol Danvers")


def test_another_practices_people_invitations_and_history_answer_404(alice, bob, baxter):
    as_alice = logged_in(alice)
    bobs = Membership.objects.get(user=bob)
    invitation = people.invite(baxter, "zed@example.com", "member", bob)

    for url in (
        reverse("people", args=[baxter.pk]),
        reverse("people_history", args=[baxter.pk]),
    ):
        assert as_alice.get(url).status_code == 404
    for url in (
        reverse("people_invite", args=[baxter.pk]),
        reverse("people_role", args=[baxter.pk, bobs.pk]),
        reverse("people_remove", args=[baxter.pk, bobs.pk]),
        reverse("invitation_resend", args=[baxter.pk, invitation.pk]),
        reverse("invitation_revoke", args=[baxter.pk, invitation.pk]),
    ):
        assert as_alice.post(url, {"email": "x@example.com", "role": "admin"}).status_code == 404
    assert Membership.objects.get(pk=bobs.pk).role == "admin"
    assert Invitation.objects.get(pk=invitation.pk).state == "pending"


def test_a_member_who_is_not_an_admin_cannot_invite_or_change_roles(alice, carol, ashford):
    as_carol = logged_in(carol)
    alices = Membership.objects.get(user=alice)

    assert as_carol.get(reverse("people", args=[ashford.pk])).status_code == 403
    assert invite(as_carol, ashford, "x@example.com").status_code == 403
    assert (
        as_carol.post(reverse("people_role", args=[ashford.pk, alices.pk]), {"role": "member"}).status_code
        == 403
    )
    assert not mail.outbox and Membership.objects.get(pk=alices.pk).role == "admin"


def test_a_membership_of_another_practice_cannot_be_reached_through_ones_own(alice, bob, ashford):
    bobs = Membership.objects.get(user=bob)

    response = logged_in(alice).post(reverse("people_remove", args=[ashford.pk, bobs.pk]))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=bobs.pk).exists()


def test_the_history_shows_who_changed_what_for_the_practices_admins(alice, carol, ashford):
    admin = logged_in(alice)
    invite(admin, ashford, "dana@example.com", role="admin")
    theirs = Membership.objects.get(user=carol)
    admin.post(reverse("people_role", args=[ashford.pk, theirs.pk]), {"role": "admin"})

    page = admin.get(reverse("people_history", args=[ashford.pk])).content.decode()

    assert 'alice</strong> invited <strong>dana@example.com</strong> <span class="muted">(as admin)' in page
    assert "alice</strong> changed the role of <strong>carol</strong>" in page


def test_the_invitation_email_escapes_the_inviters_name(alice, ashford):
    alice.first_name = "<b>Al</b>"
    alice.save()

    invite(logged_in(alice), ashford, "dana@example.com")

    html = mail.outbox[0].alternatives[0][0]
    assert "&lt;b&gt;Al&lt;/b&gt;" in html and "<b>Al</b>" not in html


def test_every_form_wants_the_csrf_token(alice, ashford):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert (
        client.post(reverse("people_invite", args=[ashford.pk]), {"email": "x@example.com"}).status_code
        == 403
    )
    assert not mail.outbox


def test_the_header_links_feed_deadlines_client_lists_people_account_and_log_out(alice, carol, ashford):
    admins_header = logged_in(alice).get(reverse("feed", args=[ashford.pk])).content.decode()
    members_header = logged_in(carol).get(reverse("feed", args=[ashford.pk])).content.decode()

    for href in (
        reverse("feed", args=[ashford.pk]),
        reverse("deadlines", args=[ashford.pk]),
        reverse("admin:notifications_clientlist_changelist"),
        reverse("people", args=[ashford.pk]),
        reverse("logout"),
    ):
        assert f'href="{href}"' in admins_header
    assert f'href="{reverse("people", args=[ashford.pk])}"' not in members_header


def test_someone_who_joined_by_invitation_logs_in_with_their_address_in_any_case(alice, ashford):
    invite(logged_in(alice), ashford, "dana@example.com")
    Client().post(link_in(mail.outbox[0]), {"first_name": "Dana", "password1": STRONG, "password2": STRONG})

    response = Client().post(reverse("login"), {"username": " Dana@Example.COM ", "password": STRONG})

    assert response.status_code == 302 and response.url == reverse("feed_home")


def test_a_big_practices_history_comes_first_pages_at_once_and_the_rest_by_jobs(
    alice, ashford, monkeypatch, redis_client, django_capture_on_commit_callbacks
):
    from tests.notifykit import run_jobs

    monkeypatch.setattr(people, "HISTORY_AT_ONCE", 2)
    monkeypatch.setattr(people, "HISTORY_CHUNK", 2)
    recent = [notification(ashford, 20 - day, f"Item {day}") for day in range(5)]
    notification(ashford, 45, "Too old")
    with django_capture_on_commit_callbacks(execute=True):
        invite(logged_in(alice), ashford, "dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            link_in(mail.outbox[0]), {"first_name": "Dana", "password1": STRONG, "password2": STRONG}
        )
    dana = get_user_model().objects.get(email="dana@example.com")

    now = set(UserNotification.objects.filter(user=dana).values_list("notification_id", flat=True))
    assert now == {recent[4].pk, recent[3].pk}  # the newest, there when the feed first opens
    run_jobs()  # two more chunks: two rows, then the last one
    later = set(
        UserNotification.objects.filter(user=dana, read_at=None).values_list("notification_id", flat=True)
    )
    assert later == {n.pk for n in recent}
