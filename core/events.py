"""Domain events published by services after their transaction commits.

Services call ``publish_on_commit``; handlers registered here (notifications,
webhooks) run only once the change is committed, so a rolled-back change
never mails anyone or calls a partner.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

logger = logging.getLogger(__name__)

_handlers: list[Callable[..., None]] = []
_muted: ContextVar[bool] = ContextVar("festival_events_muted", default=False)


def subscribe(handler: Callable[..., None]) -> Callable[..., None]:
    """Register ``handler(event_type, **ids)``; used by the apps that react to events."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def publish_on_commit(event_type: str, **ids) -> None:
    if _muted.get():
        return
    transaction.on_commit(lambda: _dispatch(event_type, ids))


@contextmanager
def muted():
    """Publish nothing inside this block: the demo data replays years-old
    decisions, which must not mail merchants or call partners' webhooks."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _dispatch(event_type, ids):
    for handler in list(_handlers):
        try:
            handler(event_type, **ids)
        except Exception:  # one failing handler (e.g. broker down) must not stop the others
            logger.exception("event handler %r failed for %s %s", handler, event_type, ids)
