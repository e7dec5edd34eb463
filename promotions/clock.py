"""The clock tick: every festival, then every promotion, whose boundary has passed.

Festivals move in ``festival.services.advance_festivals``; promotions here, above
them, where both are visible. The periodic task (``promotions.tasks``) and the
demo's catch-up both call ``run_clock_tick``.
"""

import logging

from django.conf import settings
from django.utils import timezone

from core import locks
from core.models import Heartbeat
from festival import services as festival_services

from . import services

logger = logging.getLogger(__name__)

CLOCK_LOCK = "festival-clock"
HEARTBEAT = "clock"  # /healthz reports the age of the last completed tick


def tick(*, now) -> dict:
    """Move everything whose boundary ``now`` has passed: festivals first, then
    promotions going live, then ending, so a catch-up after downtime replays the
    boundaries in order. Idempotent (compare-and-set), so a second tick at the same
    moment moves nothing; unlocked, for callers that own the moment (the demo's
    replay inside its transaction) — the periodic task goes through run_clock_tick."""
    batch_size = settings.CLOCK_BATCH_SIZE
    festivals = festival_services.advance_festivals(now=now)
    started = services.start_due_promotions(now=now, batch_size=batch_size)
    ended = services.end_due_promotions(now=now, batch_size=batch_size)
    return {"festivals": len(festivals), "started": started, "ended": ended}


def run_clock_tick(*, now=None) -> dict | None:
    """One tick under the clock lock, so two workers never tick at once. Returns
    None when another tick holds the lock (this one exits at once instead of queueing)."""
    # One moment for the whole tick, so a festival and its promotions that
    # share a boundary move in the same tick, festival first.
    now = now or timezone.now()
    with locks.exclusive(CLOCK_LOCK) as acquired:
        if not acquired:
            logger.info("clock: another tick is running; skipping this one")
            return None
        moved = tick(now=now)
        Heartbeat.record(HEARTBEAT)
    if any(moved.values()):
        logger.info("clock: %(festivals)d festivals moved, %(started)d promotions live, %(ended)d ended", moved)
    return moved
