"""The festival clock as Celery tasks (thin: fetch ids, call one service)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="festival.sync_festival_clock", acks_late=True)
def sync_festival_clock():
    """Advance every festival and promotion whose boundary has passed."""
    from promotions import services as promotion_services

    from . import services

    festivals = services.advance_festivals()
    started = promotion_services.start_due_promotions()
    ended = promotion_services.end_due_promotions()
    logger.info("clock: %d festivals moved, %d promotions live, %d ended", len(festivals), len(started), len(ended))
    return {"festivals": len(festivals), "started": len(started), "ended": len(ended)}
