from __future__ import annotations

from notifications.models.clients import ClientList, ClientListEntry
from notifications.models.deadlines import DeadlineReminder
from notifications.models.deliveries import Delivery
from notifications.models.notices import Notification, UserNotification
from notifications.models.operations import OperationsOverview
from notifications.models.organisations import Membership, Organisation
from notifications.models.people import EmailConfirmation, Invitation, PeopleEvent, UserSession
from notifications.models.preferences import EmailSuppression, UserPreferences
from notifications.models.work import NotificationChange, NotificationNote, NotificationWork

__all__ = [
    "ClientList",
    "ClientListEntry",
    "DeadlineReminder",
    "Delivery",
    "EmailConfirmation",
    "EmailSuppression",
    "Invitation",
    "Membership",
    "Notification",
    "NotificationChange",
    "NotificationNote",
    "NotificationWork",
    "OperationsOverview",
    "Organisation",
    "PeopleEvent",
    "UserNotification",
    "UserPreferences",
    "UserSession",
]
