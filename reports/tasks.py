"""Report mails and the association's daily digest."""

from celery import shared_task

from core.tasks import MAIL_RETRY_OPTIONS


@shared_task(name="reports.notify", **MAIL_RETRY_OPTIONS)
def task_notify_report(*, event_type, report_id):
    from . import notifications

    return notifications.notify_event(event_type, report_id)


@shared_task(name="reports.send_association_digest", **MAIL_RETRY_OPTIONS)
def task_send_association_digest():
    from . import notifications

    return notifications.send_association_digest()
