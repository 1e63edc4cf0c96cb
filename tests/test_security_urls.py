"""The security audit of every URL: one table saying how each pattern is protected, a guard that
keeps the table complete, and walks over the resolver proving the table for all of them at once:
an anonymous visitor is turned away, a member of one practice finds nothing of another's, and no
POST is taken without the CSRF token except the two deliberate exemptions.

The other halves of the audit: tests/test_security_admin.py (the admin, per practice and for
operators), tests/test_security_auth.py (the signed unsubscribe link, provider webhooks, the
WebSocket), tests/test_security_content.py (CH text in pages and emails) and
tests/test_security_deploy.py (`check --deploy` with the production settings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from notifications.fan_out import fan_out_events
from notifications.models import ClientList, Invitation, Membership, UserNotification, UserPreferences
from notifications.practices.people import invite
from tests.notifykit import stored_officer_change

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# --- the audit table ------------------------------------------------------------------------
# How each kind of URL is protected, and the tests that prove it (this file's unless named).

PROBE = "public, GET only, no organisation data (test_health)"
METRICS = "bearer token when METRICS_TOKEN is set, aggregate numbers only (test_metrics)"
LOGIN = "public form, CSRF"
LOGOUT = "POST with CSRF; ends the caller's own session (test_preferences_pages)"
SITE_LOGOUT = "GET (a plain link) or POST with CSRF; ends the caller's own session only (test_logout)"
HOME = "redirect to the feed, which wants a login"
MEMBER = "login; the organisation must be one of the user's, else 404; rows start from the user's own"
OWN = "login; acts on request.user only, takes no ids (test_preferences_pages)"
UNSUBSCRIBE = "signed single-purpose token; CSRF-exempt for RFC 8058 one-click (test_security_auth)"
WEBHOOK = "anymail basic auth, refused when no secret is set; CSRF-exempt (test_security_auth)"
ADMIN_SITE = "staff login; shows only what the user's ModelAdmin permissions allow (test_security_admin)"
SCOPED = "staff + practice admin; rows, choices and autocomplete of their practices (test_security_admin)"
OPERATOR = "superusers only, 403 for everyone else (test_security_admin)"
DJANGO_PERMS = "Django model permissions, which practice admins do not have (test_security_admin)"
DEV_MAILBOX = "login; superusers only and only with DEBUG or DEV_MAILBOX on, else 404 (test_dev_mailbox)"
PRACTICE_ADMIN = (
    "login; the organisation must be one the user administers: another practice's 404, a member's 403; "
    "membership and invitation ids must be that practice's own, else 404 (test_people)"
)
PUBLIC_FORM = "public form, CSRF; rate-limited per address and per client address (test_password_reset)"
PUBLIC_PAGE = "public, static words, GET only"
RESET_LINK = "Django's one-use token bound to the password, expiring; then CSRF (test_password_reset)"
EMAIL_LINK = (
    "a random token (only its hash stored) of the link's own purpose, single-use, expiring; the change "
    "is a POST with CSRF (test_account_page, test_signup)"
)
SIGNUP_FORM = (
    "public form, CSRF, 404 unless SIGNUP=open; rate-limited per address and client address (test_signup)"
)
SIGNUP_PAGE = "public, static words, GET only, 404 unless SIGNUP=open (test_signup)"
INVITATION = (
    "a random token (only its hash stored), single-use, expiring, revocable; taken only by the invited "
    "address's own account or a new one for it (test_people)"
)

SITE = {
    "healthz": PROBE,
    "readyz": PROBE,
    "metrics": METRICS,
    "login": LOGIN,
    "logout": SITE_LOGOUT,
    "favicon": PROBE,
    "": HOME,  # the bare "/" (route "", unnamed)
    "feed_home": OWN,
    "feed": MEMBER,
    "feed_api": MEMBER,
    "feed_read_all": MEMBER,
    "feed_read": MEMBER,
    "feed_item": MEMBER,
    "feed_done": MEMBER,
    "feed_reopen": MEMBER,
    "feed_assign": MEMBER,
    "feed_note": MEMBER,
    "feed_unread": MEMBER,
    "feed_client": MEMBER,
    "feed_client_csv": MEMBER,
    "deadlines": MEMBER,
    "preferences": OWN,
    "resume_email": OWN,
    "unsubscribe": UNSUBSCRIBE,
    "dev_mailbox": DEV_MAILBOX,
    "dev_mailbox_message": DEV_MAILBOX,
    "dev_mailbox_raw": DEV_MAILBOX,
    "people": PRACTICE_ADMIN,
    "people_invite": PRACTICE_ADMIN,
    "people_history": PRACTICE_ADMIN,
    "people_role": PRACTICE_ADMIN,
    "people_remove": PRACTICE_ADMIN,
    "invitation_resend": PRACTICE_ADMIN,
    "invitation_revoke": PRACTICE_ADMIN,
    "invitation": INVITATION,
    "account": OWN,
    "email_change_confirm": EMAIL_LINK,
    "password_reset": PUBLIC_FORM,
    "admin_password_reset": PUBLIC_FORM,
    "password_reset_done": PUBLIC_PAGE,
    "password_reset_complete": PUBLIC_PAGE,
    "password_reset_confirm": RESET_LINK,
    "signup": SIGNUP_FORM,
    "signup_sent": SIGNUP_PAGE,
    "signup_confirm": EMAIL_LINK,
}
ADMIN_SITE_VIEWS = {
    "admin:index": ADMIN_SITE,
    "admin:login": LOGIN,
    "admin:logout": LOGOUT,
    "admin:password_change": ADMIN_SITE,  # the user's own password
    "admin:password_change_done": ADMIN_SITE,
    "admin:autocomplete": ADMIN_SITE,  # answers with the target ModelAdmin's queryset and permission
    "admin:jsi18n": ADMIN_SITE,
    "admin:view_on_site": ADMIN_SITE,  # no model of ours has get_absolute_url: always 404
    "admin:app_list": ADMIN_SITE,
    "admin/(?P<url>.*)$": ADMIN_SITE,  # the catch-all
}
# Every registered ModelAdmin: its changelist, add, history, delete, change and object redirect.
ADMIN_MODELS = {
    "auth.group": DJANGO_PERMS,
    "auth.user": DJANGO_PERMS,
    "notifications.organisation": SCOPED,
    "notifications.clientlist": SCOPED,
    "notifications.clientlistentry": SCOPED,
    "notifications.notification": SCOPED,
    "notifications.delivery": SCOPED,
    "streams.company": OPERATOR,  # every practice's companies
    "notifications.emailsuppression": OPERATOR,
    "notifications.userpreferences": OPERATOR,
    "django_rq.dashboard": OPERATOR,
    "notifications.operationsoverview": OPERATOR,
    "streams.streamstate": OPERATOR,
    "streams.streamgap": OPERATOR,
    "streams.event": OPERATOR,
}
ADMIN_EXTRA = {
    "admin:notifications_clientlist_import": SCOPED,
    "admin:notifications_clientlist_export": SCOPED,
    "admin:auth_user_password_change": DJANGO_PERMS,
}
# django-rq's dashboard views (jobs, queues, workers, stats, requeue, delete...): the library adds
# some in most releases, so they are one family; OperatorQueueAdmin wraps every one of them and
# test_security_admin walks each by name.
ADMIN_FAMILIES = {"admin:django_rq_": OPERATOR}
# anymail's webhooks, one per provider and kind (tracking, inbound).
WEBHOOK_NAMESPACE = "anymail:"


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern as the resolver spells it
    name: str  # namespaced ("admin:index"), "" when unnamed
    kwargs: tuple[str, ...]
    callback: Callable

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def routes() -> list[Route]:
    """Every URL pattern of the project, depth first, as the resolver holds them."""

    def names_in(pattern) -> tuple[str, ...]:
        return (
            tuple(pattern.converters)
            if isinstance(pattern, RoutePattern)
            else tuple(pattern.regex.groupindex)
        )

    def walk(patterns, prefix: str, namespace: str, kwargs: tuple[str, ...]) -> Iterator[Route]:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner, kwargs + names_in(p.pattern))
            elif isinstance(p, URLPattern):
                name = f"{namespace}{p.name}" if p.name else ""
                yield Route(prefix + str(p.pattern), name, kwargs + names_in(p.pattern), p.callback)

    return list(walk(get_resolver().url_patterns, "", "", ()))


# Admins that keep only their list page of Django's object views (django-rq's Dashboard has no
# table: notifications/admin/queues.py drops its add, change, history and delete pages).
LIST_ONLY = {"django_rq.dashboard"}


def admin_model_keys() -> dict[str, str]:
    keys = {}
    for label, protection in ADMIN_MODELS.items():
        app, model = label.split(".")
        keys[f"admin:{app}_{model}_changelist"] = protection
        if label in LIST_ONLY:
            continue
        for view in ("add", "history", "delete", "change"):
            keys[f"admin:{app}_{model}_{view}"] = protection
        keys[f"admin/{app}/{model}/<path:object_id>/"] = protection  # redirect to the change page
    return keys


def protection_of(route: Route) -> str | None:
    """What the audit table says protects this URL; None if the table does not know it."""
    table = {**SITE, **ADMIN_SITE_VIEWS, **admin_model_keys(), **ADMIN_EXTRA}
    if route.key in table:
        return table[route.key]
    if route.name.startswith(WEBHOOK_NAMESPACE):
        return WEBHOOK
    for prefix, protection in ADMIN_FAMILIES.items():
        if route.name.startswith(prefix):
            return protection
    return None


def example_url(route: Route, values: dict[str, object]) -> str:
    """A concrete address for the pattern, its parameters taken from `values`."""
    if route.route == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    kwargs = {name: values[name] for name in route.kwargs}
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), route.route)


def fill(**values) -> dict[str, object]:
    """Values for every URL parameter the project has; the caller names the ids that matter."""
    return {
        "token": "notatoken",  # \w only: django-rq's stats URL takes one too
        "uidb64": "notauid",
        "company_number": "NI654321",  # Baxter's client
        "object_id": 1,
        "pk": 1,
        "id": 1,
        "content_type_id": 1,
        "app_label": "notifications",
        "queue_index": 0,
        "scheduler_index": 0,
        "connection_index": 0,
        "job_id": "no-such-job",
        "result_id": "no-such-result",
        "key": "no-such-worker",
        "scheduler_name": "no-such-scheduler",
        "cron_job_name": "no-such-job",
        "name": "no-such-message.eml",  # the development mailbox's file names: no practice's data
        **values,
    }


# --- the guard --------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_audit_table():
    """A new URL fails here until someone decides, and writes down, how it is protected."""
    all_routes = routes()
    unknown = sorted({r.key for r in all_routes if protection_of(r) is None})
    assert unknown == [], f"add these to the audit table in {__name__}: {unknown}"
    listed = set(SITE) | set(ADMIN_SITE_VIEWS) | set(admin_model_keys()) | set(ADMIN_EXTRA)
    assert sorted(listed - {r.key for r in all_routes}) == [], "the table names URLs that are gone"
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert registered == set(ADMIN_MODELS), "a ModelAdmin was registered or removed: audit it"


def test_only_the_unsubscribe_link_and_the_provider_webhooks_skip_the_csrf_check():
    exempt = [r for r in routes() if getattr(r.callback, "csrf_exempt", False)]
    assert {protection_of(r) for r in exempt} == {UNSUBSCRIBE, WEBHOOK}


def test_every_url_naming_an_organisation_or_notification_is_a_member_url():
    """So the isolation walk below covers every URL that takes a practice's ids."""
    for route in routes():
        if route.is_admin:
            continue  # the admin takes object ids: test_security_admin walks those
        takes_ids = {"organisation_id", "notification_id"} & set(route.kwargs)
        assert bool(takes_ids) == (protection_of(route) in (MEMBER, PRACTICE_ADMIN)), route.key
        known = {
            "organisation_id",
            "notification_id",
            "membership_id",
            "invitation_id",
            "company_number",
            "token",
            "uidb64",
            "name",
        }
        assert set(route.kwargs) <= known, (
            f"{route.key} takes a new kind of id: add another practice's value to the isolation walk"
        )


# --- anonymous visitors -----------------------------------------------------------------------


def needs_login(response, login_path: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login_path)


# What an anonymous visitor gets from the URLs anyone may reach, by method.
ANONYMOUS_ALLOWED = {
    PROBE: {"GET": {200, 503}, "POST": {405}},
    METRICS: {"GET": {401}, "POST": {405}},
    LOGIN: {"GET": {200}, "POST": {200}},  # the form again, with its errors
    LOGOUT: {"GET": {302, 405}, "POST": {302}},
    SITE_LOGOUT: {"GET": {200}, "POST": {200}},
    INVITATION: {"GET": {404}, "POST": {404}},  # not a token we made
    EMAIL_LINK: {"GET": {404}, "POST": {404}},
    PUBLIC_FORM: {"GET": {200}, "POST": {200}},  # the form again, with its errors
    PUBLIC_PAGE: {"GET": {200}, "POST": {405}},
    RESET_LINK: {"GET": {200}, "POST": {200}},  # "this link does not work"
    SIGNUP_FORM: {"GET": {200}, "POST": {200}},
    SIGNUP_PAGE: {"GET": {200}, "POST": {405}},
    HOME: {"GET": {302}, "POST": {302}},
    UNSUBSCRIBE: {"GET": {400}, "POST": {400}},  # not a token we signed
    # No basic auth: refused. 500 from a provider this site is not set up for (no signing key, or its
    # package not installed), before anything is read.
    WEBHOOK: {"GET": {405, 500}, "POST": {400, 500}},
}


def test_an_anonymous_visitor_is_sent_to_log_in_everywhere_but_the_allow_list(ashford_list, settings):
    settings.METRICS_TOKEN = "scrape-secret"  # as production should run it
    client = Client(raise_request_exception=False)
    values = fill(
        organisation_id=ashford_list.organisation_id, notification_id=1, membership_id=1, invitation_id=1
    )
    for route in routes():
        url = example_url(route, values)
        protection = protection_of(route)
        for method in ("GET", "POST"):
            response = client.generic(method, url)
            if protection in ANONYMOUS_ALLOWED:
                assert response.status_code in ANONYMOUS_ALLOWED[protection][method], (method, url)
            else:
                login = "/admin/login/" if route.is_admin else "/accounts/login/"
                assert needs_login(response, login), (method, url, response.status_code)
    assert client.get("/").url == "/feed/" and needs_login(client.get("/feed/"), "/accounts/login/")


# --- organisations are isolated ---------------------------------------------------------------


@pytest.fixture
def two_practices(ashford_list, carol, baxter_list, bob):
    """Ashford (carol a member) and Baxter (bob), each with one unread notification."""
    fan_out_events([stored_officer_change("09876543").id, stored_officer_change("NI654321").id])
    return UserNotification.objects.get(user=bob)


def baxters_ids(bob, baxter) -> dict:
    """Baxter's membership and invitation ids, for walking URLs that take them."""
    invitation = invite(baxter, "zed@example.com", "member", bob)
    return {"membership_id": Membership.objects.get(user=bob).pk, "invitation_id": invitation.pk}


BAXTER_SECRETS = ("Baxter", "BAX-SECRET", "Byrne Engineering", "NI654321")


def test_a_member_gets_404_from_every_url_naming_another_practice_and_changes_nothing(
    client, two_practices, carol, baxter
):
    bobs = two_practices
    theirs = baxters_ids(Membership.objects.get(organisation=baxter).user, baxter)
    client.force_login(carol)
    for route in routes():
        if protection_of(route) not in (MEMBER, PRACTICE_ADMIN):
            continue
        url = example_url(
            route, fill(organisation_id=baxter.id, notification_id=bobs.notification_id, **theirs)
        )
        statuses = {client.get(url).status_code, client.post(url).status_code}
        # The method the view does not take is 405; the one it takes is 404, as for no practice.
        assert statuses in ({404}, {404, 405}), (url, statuses)
    bobs.refresh_from_db()
    assert bobs.read_at is None
    assert Membership.objects.filter(organisation=baxter).count() == 1
    assert Invitation.objects.get(pk=theirs["invitation_id"]).state == "pending"


def test_another_practices_ids_inside_a_members_own_urls_reach_nothing(
    client, two_practices, carol, ashford, baxter_list
):
    bobs = two_practices
    client.force_login(carol)
    # Baxter's notification under Ashford's address: marks nothing (rows start from carol's own).
    client.post(reverse("feed_read", args=[ashford.id, bobs.notification_id]))
    bobs.refresh_from_db()
    assert bobs.read_at is None
    # Baxter's client list as a filter of Ashford's feed, its API and its deadlines.
    for name in ("feed", "feed_api", "deadlines"):
        body = client.get(reverse(name, args=[ashford.id]), {"list": baxter_list.id}).content.decode()
        assert not [secret for secret in BAXTER_SECRETS if secret in body], name


def test_marking_read_never_sends_the_browser_off_the_site(client, two_practices, carol, ashford):
    client.force_login(carol)
    url = reverse("feed_read_all", args=[ashford.id])
    for target in ("https://evil.example/feed/", "//evil.example/", "javascript:alert(1)"):
        assert client.post(url, {"next": target})["Location"] == reverse("feed", args=[ashford.id])
    assert client.post(url, {"next": "/feed/?unread=1"})["Location"] == "/feed/?unread=1"


# --- CSRF -------------------------------------------------------------------------------------


def test_every_post_without_the_csrf_token_is_refused_except_the_two_exemptions(
    two_practices, operator, ashford, ashford_list, carol
):
    """As a superuser who is also a member, with real ids: each POST would act if it got through."""
    Membership.objects.create(organisation=ashford, user=operator)
    UserPreferences.objects.create(user=operator, email_enabled=True)
    carols = UserNotification.objects.get(user=carol)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(operator)
    client.get(reverse("preferences"))  # the victim's browser has the cookie; the forged form lacks the token
    assert client.cookies["csrftoken"].value
    values = fill(
        organisation_id=ashford.id,
        notification_id=carols.notification_id,
        object_id=ashford_list.pk,
        pk=ashford_list.pk,
        id=operator.pk,
        membership_id=Membership.objects.get(user=carol).pk,
        invitation_id=invite(ashford, "zed@example.com", "member", operator).pk,
    )
    checked = 0
    for route in routes():
        if protection_of(route) in (UNSUBSCRIBE, WEBHOOK):
            continue  # test_security_auth: the signature and basic auth instead
        url = example_url(route, values)
        response = client.post(url, {"post": "yes", "email_enabled": "", "name": "Changed"})
        assert response.status_code == 403, (url, response.status_code)
        assert b"CSRF verification failed" in response.content, url
        checked += 1
    assert checked > 100
    assert ClientList.objects.filter(pk=ashford_list.pk, name="Ashford clients").exists()
    assert UserPreferences.objects.get(user=operator).email_enabled is True
    assert client.session.get("_auth_user_id") == str(operator.pk)  # not logged out either


# Our templates' forms that post; the admin's own forms are Django's, and the walk above covers
# every URL they post to.
POST_FORMS = {
    "registration/login.html": "login",
    "notifications/feed.html": "feed_read_all, feed_read, feed_done",
    "notifications/item.html": "feed_done, feed_reopen, feed_assign, feed_note",
    "notifications/preferences.html": "resume_email, preferences",
    "notifications/unsubscribe_confirm.html": "unsubscribe (exempt: the signed token in its URL)",
    "admin/notifications/clientlist/import.html": "admin:notifications_clientlist_import (upload)",
    "admin/notifications/clientlist/import_preview.html": "admin:notifications_clientlist_import (confirm)",
    "notifications/people.html": (
        "people_invite, people_role, people_remove, invitation_resend, invitation_revoke"
    ),
    "notifications/invitation_join.html": "invitation",
    "notifications/invitation_new_account.html": "invitation",
    "notifications/account.html": "account (name, email, password)",
    "notifications/account_email_confirm.html": "email_change_confirm",
    "registration/password_reset_form.html": "password_reset, admin_password_reset",
    "registration/password_reset_confirm.html": "password_reset_confirm",
    "registration/signup.html": "signup",
    "registration/signup_confirm.html": "signup_confirm",
}


def test_every_post_form_in_our_templates_carries_the_csrf_token():
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", path.read_text(), re.S | re.I)
        if forms:
            found[str(path.relative_to(TEMPLATES))] = forms
    assert set(found) == set(POST_FORMS), "a form that posts was added or removed: audit it"
    for name, forms in found.items():
        if POST_FORMS[name].startswith("unsubscribe"):
            continue
        assert all("{% csrf_token %}" in form for form in forms), name


def test_the_feeds_script_marks_read_with_the_token_from_the_page(two_practices, carol, ashford):
    """The positive control: the header feed.js sends is what the check wants."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(carol)
    client.get(reverse("feed", args=[ashford.id]))
    url = reverse("feed_read_all", args=[ashford.id])
    assert client.post(url, HTTP_ACCEPT="application/json").status_code == 403
    upto = client.get(reverse("feed", args=[ashford.id])).context["upto"]
    answer = client.post(
        url,
        {"upto": upto},
        HTTP_ACCEPT="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert answer.json() == {"unread": 0}
