"""Promotion-side tasks: the clock, mails, reminders, the reviewers' digest and the nightly results."""

import logging

from celery import shared_task

from core.tasks import MAIL_RETRY_OPTIONS, RETRY_OPTIONS

logger = logging.getLogger(__name__)

# Objects per notification task: a batch of promotions going live is mailed
# per merchant, and a task of 500 stays well inside the soft time limit.
NOTIFY_BATCH = 500


# Named for the beat schedule rows that run it (django-celery-beat stores the name).
@shared_task(name="festival.sync_festival_clock", **RETRY_OPTIONS)
def sync_festival_clock():
    """Advance every festival and promotion whose boundary has passed (beat: every 30 s)."""
    from .clock import run_clock_tick

    return run_clock_tick() or {"skipped": True}


@shared_task(name="promotions.notify", **MAIL_RETRY_OPTIONS)
def task_notify(*, event_type, object_ids):
    from . import notifications

    return notifications.notify_event(event_type, object_ids)


@shared_task(name="promotions.send_deadline_reminders", **MAIL_RETRY_OPTIONS)
def task_send_deadline_reminders():
    from . import notifications

    return notifications.send_deadline_reminders()


@shared_task(name="promotions.send_reviewer_digest", **MAIL_RETRY_OPTIONS)
def task_send_reviewer_digest():
    from . import notifications

    return notifications.send_reviewer_digest()


@shared_task(name="promotions.roll_up_daily_results", **RETRY_OPTIONS)
def task_roll_up_daily_results():
    from merchants.tallies import rebuild_participation_tallies

    from . import results, tallies

    days = results.roll_up_daily_results()
    # The dashboard's roll-ups are kept by the services; the nightly recount logs and fixes any drift.
    tallies.rebuild_tallies()
    rebuild_participation_tallies()
    return days
