"""The transactional outbox: every Celery task we enqueue is first a row
(``core.OutboxMessage``) written in the transaction of the change that calls for
it, then relayed to the broker.

- ``enqueue(task, **kwargs)`` only writes the row, so the change and its task
  commit or roll back together, and nothing inside a transaction touches the
  broker. A broker outage delays the task; it never loses it.
- On commit the relay is *kicked* for the rows this transaction wrote, so delivery
  is prompt while the broker is up. The kick makes one connection attempt with no
  retries; when the broker is away it gives up at once and no kick of this
  process tries again for ``KICK_PAUSE_SECONDS``, so a request (a reviewer's
  decision) never waits on the broker.
- ``relay()`` — the kick, and the periodic task ``core.relay_outbox`` (beat, every
  few seconds) for whatever a kick could not send — locks unsent rows with
  ``SELECT … FOR UPDATE SKIP LOCKED``, publishes them and marks them sent in the
  same transaction: two relays never send the same row. A relay that dies after
  publishing and before committing leaves its rows to be sent again (at least
  once); every task of ours is idempotent, so a repeat changes nothing.
- Eager mode (tests, ``CELERY_TASK_ALWAYS_EAGER``): the relay marks the rows sent
  and runs the tasks in-process.

Why our own table rather than django-celery-outbox: see the README ("Libraries
we chose").
"""

import logging
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from . import logs
from .models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 200
KICK_PAUSE_SECONDS = 5.0
_PENDING = "_festival_outbox_pending"
_paused_until = 0.0


class BrokerUnavailable(Exception):
    """The broker did not take a message; the rows stay unsent for the next relay."""


def _app():
    from celery import current_app

    return current_app._get_current_object()


def enqueue(task, **kwargs) -> OutboxMessage:
    """Write ``task`` (a Celery task or its name) with keyword arguments to the outbox,
    in the current transaction, and kick the relay once it commits."""
    return enqueue_many(task, [kwargs])[0]


def enqueue_many(task, kwargs_list) -> list[OutboxMessage]:
    """``enqueue`` for many calls of one task, in one INSERT."""
    name = task if isinstance(task, str) else task.name
    request_id = logs.current_request_id()
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(task=name, kwargs=kwargs, request_id=request_id) for kwargs in kwargs_list
    )
    if messages:
        _kick_on_commit([message.pk for message in messages])
    return messages


def _kick_on_commit(ids) -> None:
    # One kick per atomic block, however many rows it writes: the kick and its ids
    # live on the connection until the block's transaction commits. A kick that a
    # rollback dropped is replaced (its rows are gone with it).
    kick = connection.__dict__.get(_PENDING)
    here = set(connection.savepoint_ids)
    if kick is not None and any(cb is kick and sids == here for sids, cb, _robust in connection.run_on_commit):
        kick.ids.extend(ids)
    else:
        kick = connection.__dict__[_PENDING] = _Kick(ids)
        transaction.on_commit(kick)  # outside a transaction: at once


class _Kick:
    """Relays the rows one transaction wrote, right after it commits."""

    def __init__(self, ids):
        self.ids = list(ids)

    def __call__(self):
        global _paused_until
        if connection.__dict__.get(_PENDING) is self:
            del connection.__dict__[_PENDING]
        if time.monotonic() < _paused_until and not _app().conf.task_always_eager:
            return  # the broker failed moments ago: leave the rows to the periodic relay
        try:
            relay(ids=self.ids)
        except BrokerUnavailable as exc:
            _paused_until = time.monotonic() + KICK_PAUSE_SECONDS
            logger.warning("broker unavailable (%s): %d task(s) wait in the outbox for the relay", exc, len(self.ids))
        except Exception:  # never turn a committed change into an error page
            logger.exception("outbox kick failed; the periodic relay will send the rows")


_connections = threading.local()


@contextmanager
def _broker(app, *, fresh=False):
    """This thread's connection to the broker, made with one attempt: a broker that
    is away fails at once. Kept between relays (the clock's batches kick one each);
    dropped when anything fails on it."""
    conn = None if fresh else getattr(_connections, "conn", None)
    if conn is None:
        conn = app.connection_for_write(transport_options={"max_retries": 0})
        try:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=settings.BROKER_CONNECT_TIMEOUT
            )
        except Exception as exc:
            conn.release()
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc
        _connections.conn = conn
    try:
        yield conn
    except BaseException:
        _connections.conn = None
        conn.release()
        raise


def forget_connection() -> None:
    """Drop this thread's kept broker connection (the broker's settings changed: tests)."""
    conn = getattr(_connections, "conn", None)
    _connections.conn = None
    if conn is not None:
        conn.release()


def _unsent(ids):
    rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return list(rows.order_by("pk")[:BATCH])


def relay(*, ids=None) -> int:
    """Send the unsent rows (those of ``ids``, else all, oldest first) to Celery and
    mark them sent; returns how many were sent. Raises BrokerUnavailable when the
    broker refuses (what was sent before stays marked)."""
    app = _app()
    if app.conf.task_always_eager:
        return _run_eagerly(app, ids)
    reused = getattr(_connections, "conn", None) is not None
    try:
        return _relay(app, ids, fresh=False)
    except BrokerUnavailable:
        if not reused:
            raise
        return _relay(app, ids, fresh=True)  # the kept connection had gone stale: one fresh try


def _relay(app, ids, *, fresh) -> int:
    sent = 0
    with _broker(app, fresh=fresh) as conn:
        while True:
            with transaction.atomic():
                batch = _unsent(ids)
                if not batch:
                    return sent
                done, failure = [], None
                for message in batch:
                    try:
                        with logs.bound(message.request_id):
                            app.send_task(
                                message.task, kwargs=message.kwargs, connection=conn, retry=False, ignore_result=True
                            )
                    except Exception as exc:
                        failure = (message, exc)
                        break
                    done.append(message.pk)
                OutboxMessage.objects.filter(pk__in=done).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
                if failure:
                    message, exc = failure
                    error = f"{type(exc).__name__}: {exc}"
                    OutboxMessage.objects.filter(pk=message.pk).update(
                        attempts=F("attempts") + 1, last_error=error[:500]
                    )
            sent += len(done)
            if failure:
                raise BrokerUnavailable(error)


def _run_eagerly(app, ids) -> int:
    with transaction.atomic():
        batch = _unsent(ids)
        OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1
        )
    for message in batch:
        try:
            with logs.bound(message.request_id):
                _task(app, message.task).apply(kwargs=message.kwargs, throw=True)
        except Exception:  # as a worker would: the task failed, the message was delivered
            logger.exception("task %s failed", message.task)
    return len(batch)


def _task(app, name):
    if name not in app.tasks:  # the apps' tasks modules are not all imported yet in this process
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        for config in apps.get_app_configs():
            if find_spec(f"{config.name}.tasks"):
                import_module(f"{config.name}.tasks")
    return app.tasks[name]


def relay_all(*, keep_days: int = 7) -> int:
    """The periodic relay: send every unsent row, then forget rows sent more than
    ``keep_days`` ago. A broker still away is logged, not raised: the next run tries again."""
    try:
        sent = relay()
    except BrokerUnavailable as exc:
        logger.warning("outbox relay: broker unavailable (%s)", exc)
        sent = 0
    if sent:
        logger.info("outbox relay sent %d task(s)", sent, extra={"sent": sent})
    old = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - timedelta(days=keep_days))
    OutboxMessage.objects.filter(pk__in=old.values("pk")[:5000]).delete()
    return sent
