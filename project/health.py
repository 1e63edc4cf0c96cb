"""Health endpoints for the operator's monitoring (and a load balancer).

/healthz: this process is alive and answers (no dependency is checked: a restart cannot fix one).
/readyz: PostgreSQL and Redis answer, and each stream the listener should run has a heartbeat
fresher than READY_HEARTBEAT_SECONDS (CH sends a blank line at least every 30 s; the listener
records it). 200 with every check when ready, 503 naming the failed checks when not. What went
wrong (an error's text may name internal hosts) is said only to those who may read /metrics:
everyone while METRICS_TOKEN is unset, else requests with its bearer token.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from project import redis_connection
from project.metrics import monitoring_allowed
from streams.models import StreamState


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _redis() -> dict:

    redis_connection.connection().ping()
    return {"ok": True}


def _streams() -> dict[str, dict]:

    threshold = timedelta(seconds=settings.READY_HEARTBEAT_SECONDS)
    now = timezone.now()
    states = {s.stream: s for s in StreamState.objects.filter(stream__in=settings.READY_STREAMS)}
    checks = {}
    for stream in settings.READY_STREAMS:
        state = states.get(stream)
        beat = state.heartbeat_at if state else None
        if beat is None:
            checks[f"stream:{stream}"] = {"ok": False, "detail": "the listener has never connected"}
        elif not state.connected:
            checks[f"stream:{stream}"] = {"ok": False, "detail": f"disconnected: {state.last_error[:200]}"}
        elif now - beat > threshold:
            age = int((now - beat).total_seconds())
            checks[f"stream:{stream}"] = {"ok": False, "detail": f"no heartbeat for {age} s"}
        else:
            checks[f"stream:{stream}"] = {
                "ok": True,
                "heartbeat_age_seconds": int((now - beat).total_seconds()),
            }
    return checks


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    request.readiness_probe = True  # its 503 is not logged as a server error (project.logs)
    checks: dict[str, dict] = {}
    for name, check in (("database", _database), ("redis", _redis)):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure of a dependency is "not ready", said in the body
            checks[name] = {"ok": False, "detail": f"{type(exc).__name__}: {str(exc)[:200]}"}
    if checks["database"]["ok"]:
        checks.update(_streams())
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    if not monitoring_allowed(request):
        for result in checks.values():
            if "detail" in result:
                result["detail"] = "failed (details with the METRICS_TOKEN bearer token)"
    body = {"status": "fail" if failed else "ok", "failed": failed, "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)
