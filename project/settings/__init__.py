"""`project.settings` is the development configuration; see base.py for what each setting reads."""

from .base import *  # noqa: F403
