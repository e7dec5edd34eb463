"""Options every task of ours shares, how tasks are enqueued (through the outbox,
core/outbox.py), and core's own tasks: the outbox relay and thumbnails of uploaded
images (the apps register which image fields get one, core/thumbnails.py)."""

import logging
from smtplib import SMTPException

from celery import shared_task

logger = logging.getLogger(__name__)


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

# Mail goes out through the network: a refused or dropped SMTP connection is retried too.
MAIL_RETRY_OPTIONS = {**RETRY_OPTIONS, "autoretry_for": (*RETRY_OPTIONS["autoretry_for"], SMTPException, OSError)}


def enqueue_on_commit(task, **kwargs) -> None:
    """Enqueue ``task`` with the current transaction: the task is written to the
    outbox (core.outbox) now and sent to the broker once the transaction commits,
    or later by the relay when the broker is down — never lost, never blocking."""
    from . import outbox

    outbox.enqueue(task, **kwargs)


def enqueue_many_on_commit(task, kwargs_list) -> None:
    """``enqueue_on_commit`` for many calls of one task, written in one INSERT
    (a clock batch's notification chunks, its webhook chunks)."""
    from . import outbox

    outbox.enqueue_many(task, list(kwargs_list))


@shared_task(name="core.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox():
    """Periodic (beat, every few seconds): send to the broker what the outbox still holds."""
    from . import outbox

    return outbox.relay_all()


@shared_task(name="core.make_upload_thumbnail")
def make_upload_thumbnail(*, target: str, object_id: int) -> str | None:
    """Make the thumbnail of one uploaded image (see core/thumbnails.py)."""
    from . import thumbnails

    return thumbnails.make_registered_thumbnail(target=target, object_id=object_id)
