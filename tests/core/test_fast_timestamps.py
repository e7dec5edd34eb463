"""Timestamps parsed by psycopg's C loader (core.timestamps) are the values Django's own
loader gives, and Django's PostgreSQL connections use it.

PostgreSQL only (marker ``postgres``): the server of DATABASE_URL when the suite runs on
PostgreSQL (CI), else 127.0.0.1:5432 as user postgres.
"""

import datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db.backends.postgresql.psycopg_any import register_tzloader

from core.timestamps import FastTzLoader, loader_for
from tests.postgres import maintenance_url, run_django

pytestmark = pytest.mark.postgres

# Every shape PostgreSQL writes a timestamptz in: whole seconds, each count of fraction
# digits, near the first and last days Python can hold in any zone, a leap day, both sides of a DST change.
VALUES = """
SELECT v, n FROM unnest(ARRAY[
    '2026-11-29 17:41:03+00', '2026-11-29 17:41:03.5+00', '2026-11-29 17:41:03.123456+00',
    '2020-04-28 00:00:00+08', '2020-05-10 23:59:59.999999+08', '2024-02-29 12:00:00+00',
    '0001-01-02 00:00:00+00', '9999-12-30 23:59:59.999999+00',
    '2026-03-29 00:59:59+00', '2026-03-29 01:00:00+00', '2026-10-25 00:30:00+00', '2026-10-25 01:30:00+00'
]::timestamptz[]) WITH ORDINALITY AS t(v, n)
UNION ALL SELECT TIMESTAMPTZ '2026-11-29 17:41:03.123456+00' - make_interval(secs => g * 3607.123457), 12 + g
FROM generate_series(1, 500) g
ORDER BY 2
"""


def read(conn, loader_class) -> list:
    conn.adapters.register_loader("timestamptz", loader_class)
    return [row[0] for row in conn.execute(VALUES).fetchall()]


def djangos_loader(conn, timezone):
    register_tzloader(timezone, conn)
    return conn.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT)


@pytest.mark.parametrize(
    "session_zone, timezone",
    [("UTC", datetime.UTC), ("Asia/Shanghai", ZoneInfo("Asia/Shanghai")), ("Europe/London", None)],
)
def test_the_values_are_djangos(session_zone, timezone):
    # USE_TZ: the session in UTC and values aware in UTC (the site's case); a database TIME_ZONE:
    # the session in it and values in it; no USE_TZ (timezone None): naive local times.
    with psycopg.connect(maintenance_url().replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"SET TIME ZONE '{session_zone}'")
        theirs = read(conn, djangos_loader(conn, timezone))
        ours = read(conn, loader_for(timezone))
    assert len(ours) == 512
    assert ours == theirs
    assert [value.tzinfo for value in ours] == [value.tzinfo for value in theirs]
    assert all(value.tzinfo is timezone for value in ours)
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in theirs]


READ_LOADER = """
import django
django.setup()
from django.db import connection
from psycopg import pq
from core.timestamps import TIMESTAMPTZ_OID
with connection.cursor() as cursor:
    loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, pq.Format.TEXT)
    cursor.execute("SELECT TIMESTAMPTZ '2026-11-29 17:41:03.123456+08'")
    value = cursor.fetchone()[0]
print(loader.__mro__[1].__module__, loader.__mro__[1].__name__, loader.timezone, repr(value))
"""


def test_djangos_connections_read_timestamps_with_it():
    printed = run_django(READ_LOADER, maintenance_url())
    assert printed.split() == [
        FastTzLoader.__module__,
        "FastTzLoader",
        "UTC",
        "datetime.datetime(2026,",
        "11,",
        "29,",
        "9,",
        "41,",
        "3,",
        "123456,",
        "tzinfo=datetime.timezone.utc)",
    ]
