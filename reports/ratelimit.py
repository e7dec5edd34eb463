"""Per-IP and per-item limits on filing reports, counted in the cache.

A fixed window per hour: ``cache.add`` starts a counter, ``cache.incr`` counts.
The cache is the project's shared one (Redis in production, the file cache
otherwise), so every web process sees the same counts; no extra library needed.
With the cache down the limits fail open, with a warning, like the API's
throttles: a consumer's report is never refused because Redis is away.
"""

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


def limits() -> dict[str, int]:
    return {
        "ip": getattr(settings, "REPORTS_PER_IP_PER_HOUR", 5),
        "item": getattr(settings, "REPORTS_PER_ITEM_PER_HOUR", 30),
    }


def _key(kind, value):
    return f"reports:rate:{kind}:{value}"


def is_limited(*, ip_hash: str, item_id) -> bool:
    """True when either limit is already reached (nothing is counted)."""
    allowed = limits()
    pairs = (("ip", ip_hash), ("item", item_id))
    try:
        return any(cache.get(_key(kind, value), 0) >= allowed[kind] for kind, value in pairs)
    except Exception as exc:
        logger.warning("report limits not checked, the cache is unavailable: %s", exc)
        return False


def count(*, ip_hash: str, item_id) -> None:
    try:
        for kind, value in (("ip", ip_hash), ("item", item_id)):
            key = _key(kind, value)
            cache.add(key, 0, WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, WINDOW_SECONDS)
    except Exception as exc:
        logger.warning("report not counted, the cache is unavailable: %s", exc)
