from __future__ import annotations

from .clients import ClientList, ClientListEntry, Company
from .deadlines import DeadlineReminder
from .deliveries import Delivery
from .fields import CompanyNumberField
from .notices import Notification, UserNotification
from .organisations import Membership, Organisation
from .preferences import EmailSuppression, UserPreferences

__all__ = [
    "ClientList",
    "ClientListEntry",
    "Company",
    "CompanyNumberField",
    "DeadlineReminder",
    "Delivery",
    "EmailSuppression",
    "Membership",
    "Notification",
    "Organisation",
    "UserNotification",
    "UserPreferences",
]
