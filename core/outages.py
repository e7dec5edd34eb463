"""When the database is unreachable: a 503 that says "try again shortly", not a 500.

A lost or refused database connection (PostgreSQL restarting, a failover, the
network to it gone) is the service being unavailable for a moment, not a bug in
the request: the site, the admin and the portal answer their 503 page, the API
its JSON body, both with ``Retry-After``. Connections are opened per request, so
the first request after the database is back is served normally.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

logger = logging.getLogger("festival.outages")

RETRY_AFTER_SECONDS = 30
# Only these: a lost or refused connection. An IntegrityError or a programming error
# in a query is a bug (500, logged with its stack trace), not an outage.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def unavailable_body() -> dict:
    """The API's body for the outage (its usual ``detail`` and ``code``)."""
    return {"detail": str(_("The service is unavailable for a moment; try again shortly.")), "code": "unavailable"}


def database_unavailable(exc) -> bool:
    return isinstance(exc, DATABASE_UNAVAILABLE)


def mark_unavailable(response, exc):
    """Log the outage once per request (without a stack trace) and say when to retry."""
    logger.warning("database unavailable: %s", str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__)
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
