"""GET /healthz: is every part this site needs reachable, and is the clock ticking?

No login and no secrets: each part answers ``ok`` or the kind of error (the
details go to the log). 200 when all parts are fine, 503 naming the failed ones.
``?part=database&part=cache`` checks only those parts (a load balancer asking
whether this web machine can serve pages need not fail it for the clock).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .models import Heartbeat

logger = logging.getLogger(__name__)


class Unhealthy(Exception):
    """A part answered, but not well (the clock is late)."""


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def check_cache() -> dict:
    key, value = "healthz:probe", str(time.time())
    cache.set(key, value, 30)
    if cache.get(key) != value:
        raise Unhealthy("the cache did not keep a value")
    return {}


def check_broker() -> dict:
    from celery import current_app

    conn = current_app.connection_for_write(transport_options={"max_retries": 0})
    try:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=settings.BROKER_CONNECT_TIMEOUT
        )
    finally:
        conn.release()
    return {}


def check_clock() -> dict:
    beat = Heartbeat.objects.filter(name="clock").first()
    if beat is None:
        raise Unhealthy("no clock tick recorded yet")
    age = (timezone.now() - beat.at).total_seconds()
    found = {"last_tick": beat.at.isoformat(), "age_seconds": round(age, 1)}
    if age > settings.HEALTH_CLOCK_MAX_AGE_SECONDS:
        raise Unhealthy(f"the last tick is older than {settings.HEALTH_CLOCK_MAX_AGE_SECONDS} s", found)
    return found


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker, "clock": check_clock}


@never_cache
def healthz(request):
    asked = [part for part in request.GET.getlist("part") if part in CHECKS] or list(CHECKS)
    parts = {}
    for name in asked:
        started = time.monotonic()
        try:
            parts[name] = {"ok": True, **CHECKS[name]()}
        except Unhealthy as problem:
            parts[name] = {"ok": False, "error": problem.args[0], **(problem.args[1] if len(problem.args) > 1 else {})}
        except Exception as exc:
            logger.warning("healthz: %s failed: %s", name, exc, extra={"part": name})
            parts[name] = {"ok": False, "error": type(exc).__name__}
        parts[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    failed = [name for name, result in parts.items() if not result["ok"]]
    body = {"status": "fail" if failed else "ok", "failed": failed, "parts": parts}
    return JsonResponse(body, status=503 if failed else 200, json_dumps_params={"ensure_ascii": False})
