"""A practice's people beyond the membership itself: invitations, emailed confirmations (a new
practice's sign-up, a member's new address), the audit trail of changes to who belongs, and the
sessions each person holds (so that removing someone can end them).

Every link we email carries a random token; only its SHA-256 is stored (a database dump opens
nothing), each row is for one purpose (an invitation's token is refused as an email change's), is
used at most once and expires (notifications/practices/tokens.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from notifications.models.organisations import Membership, Organisation


class Invitation(models.Model):
    """A practice admin's invitation of a colleague, by email address, as admin or member."""

    PENDING, ACCEPTED, REVOKED, EXPIRED = "pending", "accepted", "revoked", "expired"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation} ({self.state})"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.ACCEPTED
        if self.revoked_at:
            return self.REVOKED
        if self.expires_at <= timezone.now():
            return self.EXPIRED
        return self.PENDING


class EmailConfirmation(models.Model):
    """A link sent to an address to prove it is the sender's: a new practice's sign-up (nothing
    exists until it is followed) or a member's change of email address."""

    SIGNUP, EMAIL_CHANGE = "signup", "email_change"
    PURPOSES = [(SIGNUP, "sign-up of a practice"), (EMAIL_CHANGE, "change of email address")]

    purpose = models.CharField(max_length=16, choices=PURPOSES)
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A sign-up's practice name, the person's name and their password's hash (never the password).
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.email}"


class PeopleEvent(models.Model):
    """One change to who belongs to a practice, for its admins to see: who did it, to whom, when.
    Names are copied in, so the trail still says who it was after an account is gone."""

    class Action(models.TextChoices):
        INVITED = "invited", "invited"
        INVITATION_RESENT = "invitation_resent", "sent the invitation again to"
        INVITATION_REVOKED = "invitation_revoked", "revoked the invitation of"
        JOINED = "joined", "joined"
        ROLE_CHANGED = "role_changed", "changed the role of"
        REMOVED = "removed", "removed"
        EMAIL_CHANGED = "email_changed", "changed the email address of"
        PRACTICE_CREATED = "practice_created", "created the practice"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="people_events")
    action = models.CharField(max_length=24, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=300, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_name = models.CharField(max_length=300, blank=True)  # a name, or the address invited
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "-at"], name="people_event_by_practice")]

    def __str__(self) -> str:
        return f"{self.actor_name or 'Someone'} {self.get_action_display()} {self.subject_name}".strip()


class UserSession(models.Model):
    """A session a user logged in with (recorded at login), so that removing a member from a
    practice can end their sessions without reading every session in the database."""

    session_key = models.CharField(max_length=40, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"session of {self.user}"
