"""Who belongs to a practice, changed by its own admins: invitations, roles, removals, and the audit
trail of each change (PeopleEvent). The views (people_views.py) only check who may and call these.

Rules kept here, whatever calls them: a practice always has an admin (the last cannot be removed
or demoted); accepting an invitation makes its one membership and nothing else; a member's Django
staff flag follows their roles (an admin of some practice manages its client lists in the admin;
nobody else needs the admin), superusers aside; removing someone ends their sessions and closes
their open feed sockets, while what they did keeps their name.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from notifications import queueing
from notifications.feed.live import close_member_sockets
from notifications.models import (
    EmailSuppression,
    Invitation,
    Membership,
    Notification,
    Organisation,
    PeopleEvent,
    UserNotification,
    UserSession,
)
from notifications.practices.mail import send_account_email
from notifications.practices.tokens import new_token, token_hash

log = logging.getLogger(__name__)

HISTORY_DAYS = 30  # what a new member finds in the feed on joining
HISTORY_AT_ONCE = 500  # of those, copied in the join itself: their first twenty pages
HISTORY_CHUNK = 5000  # and the rest, per job


class PeopleError(Exception):
    """A change the rules do not allow, in words for the person who asked."""


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def is_practice_admin(user, organisation_id: int) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        user.is_superuser
        or Membership.objects.filter(
            user=user, organisation_id=organisation_id, role=Membership.Role.ADMIN
        ).exists()
    )


def record(organisation, action: str, actor=None, subject=None, subject_name: str = "", detail: str = ""):
    return PeopleEvent.objects.create(
        organisation=organisation,
        action=action,
        actor=actor,
        actor_name=display_name(actor),
        subject=subject,
        subject_name=subject_name or display_name(subject),
        detail=detail[:300],
    )


# --- invitations ------------------------------------------------------------------------------


def normalise_email(address: str) -> str:
    return (address or "").strip().lower()


def invite(organisation: Organisation, email: str, role: str, by) -> Invitation:
    """Invite `email` as `role`; an address already invited and still pending gets a fresh link."""
    email = normalise_email(email)
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise PeopleError(f"{email} is already a member of {organisation}.")
    pending = [i for i in organisation.invitations.filter(email=email) if i.state == Invitation.PENDING]
    if pending:
        invitation = pending[0]
        invitation.role = role
        invitation.save(update_fields=["role"])
        return resend(invitation, by)
    token, hashed = new_token()
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            invited_by=by,
            token_hash=hashed,
            created_at=now,
            sent_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_DAYS),
        )
        record(organisation, PeopleEvent.Action.INVITED, by, subject_name=email, detail=f"as {role}")
    _send_invitation(invitation, token)
    return invitation


def resend(invitation: Invitation, by) -> Invitation:
    """A new link (the old one stops working) and a new expiry."""
    if invitation.state in (Invitation.ACCEPTED, Invitation.REVOKED):
        raise PeopleError(f"The invitation to {invitation.email} was {invitation.state}: invite them again.")
    token, hashed = new_token()
    now = timezone.now()
    invitation.token_hash, invitation.sent_at = hashed, now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_DAYS)
    with transaction.atomic():
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        record(
            invitation.organisation, PeopleEvent.Action.INVITATION_RESENT, by, subject_name=invitation.email
        )
    _send_invitation(invitation, token)
    return invitation


def revoke(invitation: Invitation, by) -> None:
    if invitation.state != Invitation.PENDING and invitation.state != Invitation.EXPIRED:
        raise PeopleError(f"The invitation to {invitation.email} was already {invitation.state}.")
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record(
            invitation.organisation, PeopleEvent.Action.INVITATION_REVOKED, by, subject_name=invitation.email
        )


def invitation_for(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def _send_invitation(invitation: Invitation, token: str) -> None:
    organisation = invitation.organisation
    send_account_email(
        invitation.email,
        f"Join {organisation} on Client Watch",
        "invitation",
        {
            "organisation": organisation,
            "inviter": display_name(invitation.invited_by) or "An admin",
            "role": invitation.get_role_display().lower(),
            "expires_at": invitation.expires_at,
            "action_url": settings.SITE_URL + reverse("invitation", args=[token]),
            "action_label": "Accept the invitation",
        },
    )


def accept(invitation: Invitation, user) -> Membership:
    """`user` joins the invitation's practice (and no other) in its role."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state != Invitation.PENDING:
            raise PeopleError(f"This invitation was {invitation.state}.")
        membership, created = Membership.objects.get_or_create(
            organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        if created:
            record(
                invitation.organisation,
                PeopleEvent.Action.JOINED,
                user,
                subject=user,
                detail=f"as {membership.role}, invited by {_inviter(invitation)}",
            )
            give_recent_history(invitation.organisation, user)
        sync_staff(user)
    return membership


def _inviter(invitation: Invitation) -> str:
    return display_name(invitation.invited_by) or "an admin"


def new_account(email: str, first_name: str, last_name: str, password: str):
    """The account an invitation made: its username is the address, as people log in with it."""
    users = get_user_model()
    user = users(username=normalise_email(email), email=normalise_email(email))
    user.first_name, user.last_name = first_name.strip()[:150], last_name.strip()[:150]
    user.set_password(password)
    user.save()
    return user


def account_for(email: str):
    return get_user_model().objects.filter(email__iexact=normalise_email(email)).order_by("id").first()


def give_recent_history(organisation: Organisation, user, days: int = HISTORY_DAYS) -> int:
    """The practice's notifications of the last `days`, unread for a member who just joined. The
    newest HISTORY_AT_ONCE (the first pages of their feed) now, in the join's transaction; the
    rest by a job after it commits, in chunks, so a join into a practice with 100,000 recent
    notifications is as quick as one with a hundred (BENCHMARKS.md). How many were made now."""
    since = timezone.now() - timedelta(days=days)
    made, oldest = copy_history(organisation.pk, user.pk, since, before_id=None, limit=HISTORY_AT_ONCE)
    if made == HISTORY_AT_ONCE:
        queueing.after_commit(queueing.enqueue_history, organisation.pk, user.pk, since.isoformat(), oldest)
    return made


def copy_history(organisation_id: int, user_id: int, since, *, before_id: int | None, limit: int):
    """(rows made, the lowest notification id looked at) for up to `limit` of the practice's
    notifications made since `since` and older than `before_id`, newest first: one INSERT ...
    SELECT inside the database. Idempotent: rows the member has already are skipped."""
    reads, notes = UserNotification._meta.db_table, Notification._meta.db_table
    below = "AND id < %s " if before_id is not None else ""
    params = [organisation_id, since, *([before_id] if before_id is not None else []), limit]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min(id), count(*) FROM (SELECT id FROM {notes} "  # noqa: S608 - the models' table names
            f"WHERE organisation_id = %s AND created_at >= %s {below}ORDER BY id DESC LIMIT %s) AS chunk",
            params,
        )
        oldest, found = cursor.fetchone()
        if not found:
            return 0, None
        cursor.execute(
            f"INSERT INTO {reads} (notification_id, user_id, organisation_id, read_at) "  # noqa: S608
            f"SELECT id, %s, organisation_id, NULL FROM {notes} "
            "WHERE organisation_id = %s AND id >= %s AND created_at >= %s "
            + ("AND id < %s " if before_id is not None else "")
            + "ON CONFLICT (notification_id, user_id) DO NOTHING",
            [user_id, organisation_id, oldest, since, *([before_id] if before_id is not None else [])],
        )
    return found, oldest


# --- members ----------------------------------------------------------------------------------


def _admins(organisation_id: int):
    return Membership.objects.filter(organisation_id=organisation_id, role=Membership.Role.ADMIN)


def change_role(membership: Membership, role: str, by) -> None:
    if role not in Membership.Role.values:
        raise PeopleError("Choose admin or member.")
    if role == membership.role:
        return
    with transaction.atomic():
        admins = list(_admins(membership.organisation_id).select_for_update().values_list("pk", flat=True))
        if membership.role == Membership.Role.ADMIN and admins == [membership.pk]:
            raise PeopleError(
                f"{display_name(membership.user)} is the practice's only admin: "
                "make someone else an admin first."
            )
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record(
            membership.organisation,
            PeopleEvent.Action.ROLE_CHANGED,
            by,
            subject=membership.user,
            detail=f"from {before} to {role}",
        )
        sync_staff(membership.user)


def remove(membership: Membership, by) -> None:
    """Out of the practice: their sessions end and their feed sockets close at once."""
    user, organisation = membership.user, membership.organisation
    with transaction.atomic():
        admins = list(_admins(organisation.pk).select_for_update().values_list("pk", flat=True))
        if membership.role == Membership.Role.ADMIN and admins == [membership.pk]:
            raise PeopleError(f"{display_name(user)} is the practice's only admin and cannot be removed.")
        membership.delete()
        UserNotification.objects.filter(user=user, organisation=organisation).delete()
        record(organisation, PeopleEvent.Action.REMOVED, by, subject=user)
        sync_staff(user)
        end_sessions(user)
    close_member_sockets(organisation.pk, user.pk)


def sync_staff(user) -> None:
    """Staff exactly while an admin of some practice (superusers keep theirs)."""
    if user.is_superuser:
        return
    staff = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).exists()
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def end_sessions(user) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def remember_session(sender, request, user, **kwargs) -> None:
    """On login (a signal receiver): note the session, so removal can end it."""
    key = request.session.session_key if hasattr(request, "session") else None
    if key:
        UserSession.objects.update_or_create(session_key=key, defaults={"user": user})


def people_of(organisation: Organisation) -> list[dict]:
    """The practice's members for its People page: role, last login, email status."""
    members = list(
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    addresses = {EmailSuppression.normalise(m.user.email) for m in members if m.user.email}
    suppressed = {s.address: s for s in EmailSuppression.objects.filter(address__in=addresses)}
    admins = sum(1 for m in members if m.role == Membership.Role.ADMIN)
    return [
        {
            "membership": m,
            "user": m.user,
            "name": display_name(m.user),
            "suppression": suppressed.get(EmailSuppression.normalise(m.user.email)) if m.user.email else None,
            "last_admin": m.role == Membership.Role.ADMIN and admins == 1,
        }
        for m in members
    ]
