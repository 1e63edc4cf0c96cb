from __future__ import annotations

from .clients import ClientList, ClientListEntry, Company
from .fields import CompanyNumberField
from .organisations import Membership, Organisation

__all__ = [
    "ClientList",
    "ClientListEntry",
    "Company",
    "CompanyNumberField",
    "Membership",
    "Organisation",
]
