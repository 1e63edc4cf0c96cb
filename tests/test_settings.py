"""Settings come from the environment through strict helpers; production refuses unsafe values."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from project.settings.env import database_from_url, env_bool, env_int, env_list, env_minute_pairs, env_secret

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"


def run_with_settings(module: str, env: dict[str, str], code: str = "print('started')"):
    """Set Django up in a fresh interpreter, as a process starting up would, and run code."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings as s; {code}",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def start_production(**env: str) -> subprocess.CompletedProcess:
    return run_with_settings("project.settings.production", env)


def test_production_refuses_the_default_secret_key():
    result = start_production(DEBUG="false", ALLOWED_HOSTS="watch.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY is the published development default" in result.stderr


def test_production_refuses_debug_on():
    result = start_production(SECRET_KEY=STRONG_KEY, DEBUG="true", ALLOWED_HOSTS="watch.example.com")
    assert result.returncode != 0
    assert "DEBUG is on: set DEBUG=false" in result.stderr


def test_production_refuses_debug_left_at_its_development_default():
    result = start_production(SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="watch.example.com")
    assert "DEBUG is on" in result.stderr


def test_production_refuses_a_short_key_and_a_wildcard_host():
    result = start_production(SECRET_KEY="short", DEBUG="false", ALLOWED_HOSTS="*")
    assert "SECRET_KEY is too weak" in result.stderr
    assert "ALLOWED_HOSTS must list the site's host names" in result.stderr


def test_production_starts_with_safe_values_and_hardens_https(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(STRONG_KEY + "\n")
    result = run_with_settings(
        "project.settings.production",
        {"SECRET_KEY_FILE": str(key_file), "DEBUG": "false", "ALLOWED_HOSTS": "watch.example.com"},
        f"print(s.SECRET_KEY == {STRONG_KEY!r}, s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)",
    )
    assert result.stdout.split() == ["True", "False", "True", "True", "31536000", "True"], result.stderr


def test_a_typo_in_a_boolean_stops_the_process_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        env_bool("DEBUG", False)
    monkeypatch.setenv("DEBUG", "yes")
    with pytest.raises(ImproperlyConfigured):
        env_bool("DEBUG", False)
    for value, expected in [("true", True), ("FALSE", False), ("1", True), ("0", False), ("", True)]:
        monkeypatch.setenv("DEBUG", value)
        assert env_bool("DEBUG", True) is expected


def test_integers_and_lists_are_read_strictly(monkeypatch):
    monkeypatch.setenv("WORKERS", "4x")
    with pytest.raises(ImproperlyConfigured, match="WORKERS must be a whole number"):
        env_int("WORKERS", 1)
    monkeypatch.setenv("WORKERS", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("WORKERS", 1, minimum=1)
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_silence_minutes_per_stream_are_read_strictly_and_merge_with_the_defaults(monkeypatch):
    from streams.gaps import SILENCE_MINUTES, silence_minutes

    streams = ("filings", "charges", "officers")
    monkeypatch.setenv("CH_STREAM_SILENCE_MINUTES", "filings=30/300, charges=off")
    read = env_minute_pairs("CH_STREAM_SILENCE_MINUTES", streams)
    assert read == {"filings": (30, 300), "charges": None}
    merged = silence_minutes(read)
    assert merged["filings"] == (30, 300) and "charges" not in merged
    assert merged["officers"] == SILENCE_MINUTES["officers"]
    monkeypatch.setenv("CH_STREAM_SILENCE_MINUTES", "filing=30/300")
    with pytest.raises(ImproperlyConfigured, match="'filing' is not one of"):
        env_minute_pairs("CH_STREAM_SILENCE_MINUTES", streams)
    monkeypatch.setenv("CH_STREAM_SILENCE_MINUTES", "filings=30")
    with pytest.raises(ImproperlyConfigured, match="working hours/otherwise"):
        env_minute_pairs("CH_STREAM_SILENCE_MINUTES", streams)


def test_a_secret_comes_from_its_file_and_not_from_both(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-file\n")
    monkeypatch.setenv("CH_STREAM_KEY_FILE", str(secret))
    monkeypatch.delenv("CH_STREAM_KEY", raising=False)
    assert env_secret("CH_STREAM_KEY", "") == "from-file"
    monkeypatch.setenv("CH_STREAM_KEY", "from-env")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("CH_STREAM_KEY", "")
    monkeypatch.delenv("CH_STREAM_KEY")
    monkeypatch.setenv("CH_STREAM_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("CH_STREAM_KEY", "")


def test_database_url_gives_sqlite_or_postgresql_and_refuses_others(tmp_path):
    relative = database_from_url("sqlite:///var/db.sqlite3", base_dir=tmp_path)
    assert relative["NAME"] == str(tmp_path / "var/db.sqlite3")
    assert database_from_url("sqlite:////srv/db.sqlite3", base_dir=tmp_path)["NAME"] == "/srv/db.sqlite3"
    url = "postgres://watch:p%40ss@db.internal:6432/watch?sslmode=require"
    pg = database_from_url(url, base_dir=tmp_path)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql",
        "watch",
        "watch",
        "p@ss",
        "db.internal",
        "6432",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ImproperlyConfigured, match="scheme 'mysql' is not supported"):
        database_from_url("mysql://root@localhost/db", base_dir=tmp_path)
    with pytest.raises(ImproperlyConfigured, match="must name a database"):
        database_from_url("postgres://root@localhost", base_dir=tmp_path)


def test_anymail_settings_are_collected_from_their_prefix():
    result = run_with_settings(
        "project.settings",
        {"ANYMAIL_POSTMARK_SERVER_TOKEN": "tok", "ANYMAIL_WEBHOOK_SECRET": "user:pass"},
        "print(s.ANYMAIL)",
    )
    expected = "{'POSTMARK_SERVER_TOKEN': 'tok', 'WEBHOOK_SECRET': 'user:pass'}"
    assert result.stdout.strip() == expected, result.stderr


def test_env_example_lists_every_variable_the_settings_read():
    read = set()
    for path in (ROOT / "project" / "settings").glob("*.py"):
        read |= set(re.findall(r'env_(?:str|bool|int|list|secret)\(\s*"([A-Z_0-9]+)"', path.read_text()))
    listed = set(re.findall(r"^#? ?([A-Z][A-Z_0-9]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no settings found: the pattern is out of date"
    assert read - listed == set()
