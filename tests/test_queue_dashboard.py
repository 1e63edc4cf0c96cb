from __future__ import annotations

import django_rq
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_operator_reaches_the_queue_dashboard_from_the_admin(
    client, operator, redis_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # django-rq enqueues on commit
        django_rq.get_queue("default").enqueue("notifications.practices.demo.create_demo")  # one job to show
    client.force_login(operator)
    index = client.get(reverse("admin:index")).content.decode()
    dashboard = reverse("admin:django_rq_dashboard_changelist")
    assert f'href="{dashboard}"' in index
    page = client.get(dashboard)
    assert page.status_code == 200
    assert "default" in page.content.decode()
    jobs = client.get(reverse("admin:django_rq_jobs", args=[0]))
    assert jobs.status_code == 200
    assert "notifications.practices.demo.create_demo" in jobs.content.decode()


def test_a_practice_admin_cannot_open_the_queue_dashboard(client, alice, redis_client):
    client.force_login(alice)
    assert "Django-RQ" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:django_rq_dashboard_changelist")).status_code == 403
    assert client.get(reverse("admin:django_rq_jobs", args=[0])).status_code == 403


def test_the_queue_stats_json_is_for_operators_only(client, alice, operator, redis_client):
    url = reverse("admin:django_rq_home_json")
    client.force_login(alice)
    assert client.get(url).status_code == 403
    client.force_login(operator)
    assert "queues" in client.get(url).json()


def test_the_dashboard_has_no_object_pages_that_could_only_fail():
    from django.urls import NoReverseMatch

    for page in ("add", "change", "history", "delete"):
        args = [] if page == "add" else ["1"]
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:django_rq_dashboard_{page}", args=args)
