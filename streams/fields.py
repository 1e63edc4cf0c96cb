from __future__ import annotations

from django.db import models

from streams.company_numbers import LENGTH, normalise_company_number, validate_company_number


class CompanyNumberField(models.CharField):
    """A company number, always stored in canonical form (see streams.company_numbers)."""

    default_validators = [validate_company_number]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", LENGTH)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == LENGTH:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        # Lookups and saves both pass here, so "sc123" finds "SC000123"; an invalid value is
        # left as typed and then simply matches nothing (form validation reports it).
        try:
            return normalise_company_number(value)
        except ValueError:
            return value
