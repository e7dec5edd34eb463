"""Merchant-side tasks: the invitation mail (thin: fetch, call the service)."""

from celery import shared_task

from core.tasks import MAIL_RETRY_OPTIONS


@shared_task(name="merchants.send_invitation", **MAIL_RETRY_OPTIONS)
def task_send_invitation(*, user_id: int, merchant_id: int):
    from . import services

    services.send_invitation(user_id=user_id, merchant_id=merchant_id)
