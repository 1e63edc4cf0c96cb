"""The production settings pass Django's deployment checks: `manage.py check --deploy` run as an
operator would, in a fresh process with a realistic production environment and nothing else.

test_settings proves production refuses the default or a short secret key, DEBUG on and a
wildcard host; here, what `check --deploy` adds (HTTPS cookies, HSTS, the redirect, nosniff...).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "project.settings.production",
    "SECRET_KEY": "q8Vd0Zr3-1mXk_T9yLw2sPj6bNc4hUe7aGf5RtYo0iKl3mZx8nBv2cQw9eRt6yUi",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "watch.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://watch.example.com",
    "SITE_URL": "https://watch.example.com",
    "BEHIND_TLS_PROXY": "true",
    "DATABASE_URL": "postgres://watch:db-password@db.internal:5432/watch?sslmode=require",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": "postmark-server-token",
    "ANYMAIL_WEBHOOK_SECRET": "postmark:webhook-password-long-and-random",
    "METRICS_TOKEN": "scrape-token-long-and-random",
    "LOG_FORMAT": "json",
}


def check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    # Only PATH from this environment: the suite's DATABASE_URL, DEBUG... must not leak in.
    # (check does not connect to the database or Redis.)
    env = {"PATH": "/usr/bin:/bin", **PRODUCTION, **overrides}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_finds_no_issues_with_the_production_settings():
    result = check_deploy()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_a_hardening_is_turned_off():
    """The gate can fail: an operator turning HSTS preload off is told (security.W021)."""
    result = check_deploy(SECURE_HSTS_PRELOAD="false")
    assert result.returncode != 0
    assert "security.W021" in result.stderr


def test_production_refuses_a_long_secret_key_that_is_not_random():
    result = check_deploy(SECRET_KEY="a" * 60)
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
