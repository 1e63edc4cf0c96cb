"""Logging out: by the header's plain link or by a form, and the page says so."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PREFERENCES = reverse("preferences")


def test_the_headers_plain_link_logs_out_and_says_so(client, alice):
    client.force_login(alice)
    feed = client.get(reverse("feed_home"), follow=True).content.decode()
    assert f'href="{reverse("logout")}"' in feed  # a link, not a form

    response = client.get(reverse("logout"))

    assert response.status_code == 200
    assert "You have been logged out" in response.content.decode()
    assert client.get(PREFERENCES).status_code == 302  # to the login page


def test_a_logout_form_with_its_token_logs_out_too(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("login"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert "You have been logged out" in response.content.decode()
    assert client.get(PREFERENCES).status_code == 302


def test_logging_out_when_not_logged_in_says_the_same_and_offers_a_login(client):
    response = client.get(reverse("logout"))

    assert response.status_code == 200
    assert "You have been logged out" in response.content.decode()
    assert f'href="{reverse("login")}"' in response.content.decode()


def test_the_favicon_is_served_as_an_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
