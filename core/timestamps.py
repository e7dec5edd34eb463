"""Timestamps read from PostgreSQL by psycopg's C parser, not its pure-Python one.

Django's psycopg backend registers on every connection its own loader for timestamptz
values (``psycopg_any.BaseTzLoader``), which sets Django's time zone on each value. It
subclasses psycopg's pure-Python loader, because the C loader psycopg-binary registers
cannot be subclassed (Django ticket #36960, psycopg issue #1273), so every timestamp the
site reads is parsed in Python: 2.6 µs a value here, against 1.0 µs through the C
parser. An API page of 20 merchants with their participations and festivals reads about
500 of them, an admin page of 100 promotions as many.

``FastTzLoader`` parses with the loader psycopg registered (the C one when psycopg-binary
is installed) and then does exactly what Django's does, ``replace(tzinfo=…)`` with the
same time zone, so every value is the same. It replaces Django's on each new connection
(``connection_created``, connected in CoreConfig.ready), keeping the time zone Django
registered its own with; Django's check in ``create_cursor`` compares that time zone, so
its cursors keep ours.
"""

from functools import lru_cache

import psycopg
from psycopg import adapt, postgres, pq

TIMESTAMPTZ_OID = postgres.types["timestamptz"].oid
# What psycopg itself registers for timestamptz: psycopg-binary's C loader when installed.
PARSER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, pq.Format.TEXT)


class FastTzLoader(adapt.Loader):
    timezone = None  # Django's, set by loader_for; None makes the values naive, as Django's does

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._parse = PARSER(oid, context).load

    def load(self, data):
        return self._parse(data).replace(tzinfo=self.timezone)


@lru_cache(maxsize=8)
def loader_for(timezone) -> type[FastTzLoader]:
    return type("FastTzLoader", (FastTzLoader,), {"timezone": timezone})


def use_fast_timestamps(sender, connection, **kwargs):
    """Put ``FastTzLoader`` in the place of the loader Django registered on ``connection``."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    registered = adapters.get_loader(TIMESTAMPTZ_OID, pq.Format.TEXT)
    if not hasattr(registered, "timezone"):  # not Django's: leave what someone else chose
        return
    adapters.register_loader("timestamptz", loader_for(registered.timezone))
