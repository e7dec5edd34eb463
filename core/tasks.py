"""Options every task of ours shares, and the one task core owns: thumbnails of
uploaded images (the apps register which image fields get one, core/thumbnails.py)."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import transaction

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
    """Enqueue ``task`` once the transaction commits. A broker that is down must not
    turn a change the user already saw succeed into an error: the failure is logged."""

    def enqueue():
        try:
            task.delay(**kwargs)
        except Exception:
            logger.exception("could not enqueue %s %s", task.name, kwargs)

    transaction.on_commit(enqueue)


@shared_task(name="core.make_upload_thumbnail")
def make_upload_thumbnail(*, target: str, object_id: int) -> str | None:
    """Make the thumbnail of one uploaded image (see core/thumbnails.py)."""
    from . import thumbnails

    return thumbnails.make_registered_thumbnail(target=target, object_id=object_id)
