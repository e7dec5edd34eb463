"""Domain events published by services.

Services call ``publish_on_commit`` inside their transaction. Two kinds of handlers:

- ``subscribe_in_transaction`` (notifications, webhooks): called at once, inside
  the transaction, they only enqueue tasks through the outbox (core.outbox), so
  the tasks' rows commit with the change or not at all — a rolled-back change
  never mails anyone or calls a partner, and a broker outage loses nothing.
- ``subscribe`` (dropping cached pages, rechecking prices): in-process reactions
  called once the change has committed; one failing never stops the others.
"""

import enum
import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

logger = logging.getLogger(__name__)


class DomainEvent(enum.StrEnum):
    """Every event a service publishes: the one vocabulary of services, notifications,
    webhooks (api.models.WebhookEvent is the subset partners can subscribe to) and
    history. Values are the names partners see in webhook payloads."""

    FESTIVAL_OPENED = "festival.opened"
    FESTIVAL_CLOSED = "festival.closed"
    PARTICIPATION_APPROVED = "participation.approved"
    PARTICIPATION_REJECTED = "participation.rejected"
    PROMOTION_APPROVED = "promotion.approved"
    PROMOTION_CHANGES_REQUESTED = "promotion.changes_requested"
    PROMOTION_CANCELLED = "promotion.cancelled"
    PROMOTION_WITHDRAWN = "promotion.withdrawn"
    PROMOTION_LIVE = "promotion.live"
    PROMOTION_ENDED = "promotion.ended"
    PRICES_RECORDED = "prices.recorded"
    REPORT_RECEIVED = "report.received"
    REPORT_UPHELD = "report.upheld"
    REPORT_DISMISSED = "report.dismissed"

    @classmethod
    def of_status(cls, subject: str, status: str) -> "DomainEvent":
        """The event of ``subject`` reaching ``status`` (``promotion``, ``live``); a
        status with no event is an error, so no caller invents a name."""
        return cls(f"{subject}.{status}")


_handlers: list[Callable[..., None]] = []
_in_transaction: list[Callable[..., None]] = []
_muted: ContextVar[bool] = ContextVar("festival_events_muted", default=False)


def subscribe(handler: Callable[..., None]) -> Callable[..., None]:
    """Register ``handler(event_type, **ids)``; used by the apps that react to events."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def subscribe_in_transaction(handler: Callable[..., None]) -> Callable[..., None]:
    """Register ``handler(event_type, **ids)`` to run when the event is published,
    inside the publishing transaction; it may only enqueue tasks (core.tasks.enqueue_on_commit)."""
    if handler not in _in_transaction:
        _in_transaction.append(handler)
    return handler


def publish_on_commit(event: DomainEvent, **ids) -> None:
    """Tell the handlers ``event`` happened to the objects ``ids`` name: those that
    enqueue tasks now, in the current transaction, the others once it commits (at
    once outside one)."""
    event = DomainEvent(event)  # refuses a name that is not in the vocabulary
    if _muted.get():
        return
    for handler in list(_in_transaction):
        handler(event, **ids)  # an error here rolls the change back with its tasks
    transaction.on_commit(lambda: _dispatch(event, ids))


@contextmanager
def muted():
    """Publish nothing inside this block: the demo data replays years-old
    decisions, which must not mail merchants or call partners' webhooks."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    """Whether this code runs inside ``muted()`` (the demo's replay): what reacts to changes
    without an event (public.handlers) keeps quiet too."""
    return _muted.get()


def _dispatch(event_type, ids):
    for handler in list(_handlers):
        try:
            handler(event_type, **ids)
        except Exception:  # one failing handler (e.g. the cache down) must not stop the others
            logger.exception("event handler %r failed for %s %s", handler, event_type, ids)
