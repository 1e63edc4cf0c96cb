"""Production settings: the base settings, plus HTTPS hardening and refusal of unsafe values.

Use with DJANGO_SETTINGS_MODULE=project.settings.production. Importing this module raises
ImproperlyConfigured (and so stops every process) when the secret key is the published default
or too short, when DEBUG is on, or when ALLOWED_HOSTS is empty or a bare wildcard.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DEBUG, INSECURE_SECRET_KEY, SECRET_KEY
from .env import env_bool, env_int, env_str

MIN_SECRET_KEY_LENGTH = 50


def refuse_insecure(*, secret_key: str, debug: bool, allowed_hosts: list[str]) -> None:
    problems = []
    if secret_key == INSECURE_SECRET_KEY:
        problems.append("SECRET_KEY is the published development default: set SECRET_KEY or SECRET_KEY_FILE")
    elif len(secret_key) < MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < 5:
        problems.append(
            f"SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    if debug:
        problems.append("DEBUG is on: set DEBUG=false")
    if not allowed_hosts or allowed_hosts == ["*"]:
        problems.append("ALLOWED_HOSTS must list the site's host names")
    if problems:
        raise ImproperlyConfigured("Refusing to start with production settings: " + "; ".join(problems))


refuse_insecure(secret_key=SECRET_KEY, debug=DEBUG, allowed_hosts=ALLOWED_HOSTS)

# Practices are created by the operator unless SIGNUP=open says anyone may sign one up.
SIGNUP = env_str("SIGNUP", "invite-only")
if SIGNUP not in ("open", "invite-only"):
    raise ImproperlyConfigured(f"SIGNUP must be open or invite-only, not {SIGNUP!r}")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (the usual deployment).
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# `preload` is consent, not enrolment: a domain joins the browsers' preload list only when it is
# submitted at hstspreload.org, which anyone may do for a domain whose header says preload, and
# which takes registrable domains only (example.com, not watch.example.com). Set false when the
# site is served on such a domain with subdomains not all on HTTPS (check --deploy warns, W021).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
