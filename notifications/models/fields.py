"""Old migrations name the field by this path; it lives with the Company model in streams."""

from __future__ import annotations

from streams.fields import CompanyNumberField

__all__ = ["CompanyNumberField"]
