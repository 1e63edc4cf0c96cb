"""Small strict readers for settings taken from the environment.

Each helper accepts exactly the documented forms and raises ImproperlyConfigured naming the
variable otherwise: a typo such as DEBUG=ture must stop the process, not silently mean False.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (or 1/0), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}")
    return value


def env_int_list(name: str, default: list[int], *, minimum: int, maximum: int) -> list[int]:
    """Whole numbers separated by commas ("30,7,1"), each within [minimum, maximum]."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items or not all(item.isdigit() and minimum <= int(item) <= maximum for item in items):
        raise ImproperlyConfigured(
            f"{name} must be whole numbers from {minimum} to {maximum} separated by commas, not {raw!r}"
        )
    return [int(item) for item in items]


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_minute_pairs(name: str, allowed: Iterable[str]) -> dict[str, tuple[int, int] | None]:
    """Per-name pairs of minutes, "filings=20/240,charges=off" (off: never), names from `allowed`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return {}
    allowed = set(allowed)
    pairs: dict[str, tuple[int, int] | None] = {}
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        key, _, value = item.partition("=")
        key, value = key.strip(), value.strip()
        first, _, second = value.partition("/")
        if key not in allowed:
            raise ImproperlyConfigured(f"{name}: {key!r} is not one of {', '.join(sorted(allowed))}")
        if value == "off":
            pairs[key] = None
        elif first.isdigit() and second.isdigit() and int(first) > 0 and int(second) > 0:
            pairs[key] = (int(first), int(second))
        else:
            raise ImproperlyConfigured(
                f"{name} must be stream=minutes/minutes (working hours/otherwise) or stream=off, "
                f"separated by commas, not {item!r}"
            )
    return pairs


def env_secret(name: str, default: str) -> str:
    """A secret from NAME, or read from the file named by NAME_FILE (Docker/systemd secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        if os.environ.get(name):
            raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from None
    return env_str(name, default)


def database_from_url(url: str, *, base_dir: Path) -> dict:
    """Django DATABASES entry for a postgres:// or sqlite:/// URL; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as dj-database-url reads them.
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ImproperlyConfigured("DATABASE_URL sqlite:/// needs a file path")
        name = Path(path) if Path(path).is_absolute() else base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(name),
            # `make run` has five processes writing to one file: write-ahead logging lets readers and
            # a writer go on together, IMMEDIATE transactions take the write lock up front (a
            # read-then-write transaction cannot be refused halfway), and a writer waits its turn.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. postgres://user@host:5432/db")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported: use postgres://... or sqlite:///path"
    )
