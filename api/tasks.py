"""Webhook tasks (thin: ids in, one service call)."""

import logging

from celery import shared_task

from core.tasks import RETRY_OPTIONS

logger = logging.getLogger(__name__)


@shared_task(name="api.publish_webhook_event", **RETRY_OPTIONS)
def task_publish_webhook_event(*, event_type, object_ids):
    """Store the deliveries of one event for a batch of objects and enqueue them."""
    from . import webhooks

    return len(webhooks.publish_event(event_type, object_ids))


@shared_task(bind=True, name="api.deliver_webhook", **{**RETRY_OPTIONS, "max_retries": 100})
def task_deliver_webhook(self, *, delivery_id, attempt=1):
    """Make one HTTP attempt; schedule the next with exponential back-off when it failed.

    The number of attempts is counted on the delivery (WEBHOOK_MAX_ATTEMPTS), not
    by Celery, so an admin's "redeliver" starts a fresh round.
    """
    from . import webhooks

    outcome = webhooks.deliver(delivery_id=delivery_id, attempt=attempt)
    if outcome is not None and outcome.retry_in is not None:
        raise self.retry(kwargs={"delivery_id": delivery_id, "attempt": attempt + 1}, countdown=outcome.retry_in)
    return outcome.status if outcome else "skipped"


@shared_task(name="api.resend_stalled_webhooks", **RETRY_OPTIONS)
def task_resend_stalled_webhooks():
    """Periodic: re-send deliveries whose next attempt is long overdue (lost with a killed worker)."""
    from . import webhooks

    return webhooks.resend_stalled_deliveries()
