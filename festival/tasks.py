"""The festival clock as a Celery task (thin: take the lock, call the services)."""

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)

CLOCK_LOCK = "festival-clock"


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors worth a retry with back-off: the database or the broker briefly away."""
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerOperationalError

    errors = [OperationalError, InterfaceError, BrokerOperationalError, ConnectionError, TimeoutError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a requirement
        pass
    return tuple(errors)


TRANSIENT_ERRORS = transient_errors()
RETRY_OPTIONS = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def run_clock_tick(*, now=None) -> dict | None:
    """One tick: festivals first, then promotions going live, then ending, so a
    catch-up after downtime replays the boundaries in order. Returns None when
    another tick holds the lock (this one exits at once instead of queueing)."""
    from django.utils import timezone

    from promotions import services as promotion_services

    from . import locks, services

    # One moment for the whole tick, so a festival and its promotions that
    # share a boundary move in the same tick, festival first.
    now = now or timezone.now()
    with locks.exclusive(CLOCK_LOCK) as acquired:
        if not acquired:
            logger.info("clock: another tick is running; skipping this one")
            return None
        batch_size = settings.CLOCK_BATCH_SIZE
        festivals = services.advance_festivals(now=now)
        started = promotion_services.start_due_promotions(now=now, batch_size=batch_size)
        ended = promotion_services.end_due_promotions(now=now, batch_size=batch_size)
    if festivals or started or ended:
        logger.info("clock: %d festivals moved, %d promotions live, %d ended", len(festivals), started, ended)
    return {"festivals": len(festivals), "started": started, "ended": ended}


@shared_task(name="festival.sync_festival_clock", **RETRY_OPTIONS)
def sync_festival_clock():
    """Advance every festival and promotion whose boundary has passed (beat: every 30 s)."""
    return run_clock_tick() or {"skipped": True}
