"""Reported sales per festival day, rolled up in ``festival.DailyResult`` (issue 17).

The dashboard and the results read a festival's sales per day (gmv, orders, merchants
reporting) from DailyResult, never from the reports (1.26 million rows at a tenth of national
size). The figures are exact at every moment, today's included:

- ``report_sales`` (the only writer of SalesReport: the portal's API and every late correction
  go through it) adds the change of its one report to that report's (festival, day) row: the
  new figures minus the old ones, read under the report's row lock, and one more merchant when
  the report is new. One ``INSERT … ON CONFLICT DO UPDATE SET gmv = gmv + excluded.gmv, …``
  (PostgreSQL and SQLite alike) is atomic per row, so two reports of the same day, even both
  creating its row, never lose an update.

  Chosen over recounting the touched (festival, day) under a lock: as exact, but each report
  would sum every report of its day (one per merchant reporting: 85,000 rows at a tenth of
  national size, measured 250 ms) while holding the day's row lock, so every merchant reporting
  that day would queue behind ever longer recounts; the delta costs one row whatever the size.

- ``rebuild_daily_sales`` recounts the figures from the reports and fixes the rows that
  differ: after bulk loads (the demo, ``seed_scale``) and nightly, which logs drift. So that
  it never overwrites a delta it could not see, every report holds its festival's sales lock
  shared (a PostgreSQL advisory lock, to the end of its transaction) and the recount holds it
  exclusively: reports in flight commit before the recount reads, later ones wait and add
  their delta on top of it. SQLite runs one writer at a time.

A row the nightly job wrote for a day nobody reported on has ``merchants_reporting = 0``; the
readers treat it as "not reported", not as a day of zero sales.
"""

import logging
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connections, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from festival.models import DailyResult, Festival

from .models import SalesReport

logger = logging.getLogger(__name__)

FEN = Decimal("0.01")
# The first half of the advisory lock's key (the festival's id is the second): "sales" in
# hexspeak, apart from core.locks' one-key locks (PostgreSQL keeps the two key spaces apart).
SALES_LOCK = 0x5A1E5

# Rows per statement: ten parameters each, well inside PostgreSQL's 65,535.
WRITE_BATCH = 1_000

DayKey = tuple[int, date]  # festival id, day (festival time zone)
Figures = tuple[Decimal, int, int]  # gmv, orders, merchants reporting


def _lock(festival_ids: Iterable[int], *, shared: bool) -> None:
    connection = connections[DailyResult.objects.db]
    if connection.vendor != "postgresql":
        return  # SQLite runs one writer at a time
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        for festival_id in sorted(set(festival_ids)):  # one order for everybody: no deadlock
            cursor.execute(f"SELECT {function}(%s, %s)", [SALES_LOCK, festival_id])


def hold_festival_sales(festival_id: int) -> None:
    """Taken by every report before it writes: keeps a recount of the festival from running
    between the report's write and its delta (see the module's docstring)."""
    _lock([festival_id], shared=True)


# Every column without a database default: a day's first report creates its row.
_INSERTED = (
    "festival",
    "date",
    "gmv",
    "orders",
    "merchants_reporting",
    "promotions_live",
    "promotions_started",
    "promotions_ended",
    "carriers_reporting",
    "computed_at",
)
_SUMMED = ("gmv", "orders", "merchants_reporting")


def _upsert_sql(rows, *, update_with) -> tuple[str, list]:
    """The statement that inserts the rows, or on a day that has its row already sets each summed
    column to ``update_with(table, column)`` (SQL): one statement, atomic per row."""
    connection = connections[DailyResult.objects.db]
    quote = connection.ops.quote_name
    meta = DailyResult._meta
    table = quote(meta.db_table)
    fields = [meta.get_field(name) for name in _INSERTED]
    columns = [quote(field.column) for field in fields]
    summed = [quote(meta.get_field(name).column) for name in _SUMMED]
    assignments = [f"{column} = {update_with(table, column)}" for column in summed]
    computed_at = quote(meta.get_field("computed_at").column)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "
        f"ON CONFLICT ({columns[0]}, {columns[1]}) DO UPDATE SET {', '.join(assignments)}, "
        f"{computed_at} = excluded.{computed_at}"
    )
    now = timezone.now()
    params = []
    for (festival_id, day), (gmv, orders, merchants) in rows:
        values = (festival_id, day, gmv, orders, merchants, 0, 0, 0, 0, now)
        params += [field.get_db_prep_value(value, connection) for field, value in zip(fields, values, strict=True)]
    return sql, params


def _set(figures: dict[DayKey, Figures]) -> None:
    """Set the days' rows to ``figures``, creating rows as needed."""
    rows = sorted(figures.items())
    connection = connections[DailyResult.objects.db]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            cursor.execute(
                *_upsert_sql(rows[start : start + WRITE_BATCH], update_with=lambda _table, c: f"excluded.{c}")
            )


def add_daily_sales(festival_id: int, day: date, *, gmv: Decimal, orders: int, merchants: int) -> None:
    """One report changed: add its difference to its day's row (the caller holds the festival's
    sales lock shared and the report's row lock, so the difference is exactly its own).

    The difference goes into the ``SET`` clause, not the inserted row: a correction's is negative,
    which the columns' checks refuse in an inserted row even when it is never inserted (SQLite
    checks before it finds the conflict). A correction's day has its row: the first report made it."""
    gmv = Decimal(gmv)
    if not (gmv or orders or merchants):
        return
    delta = (gmv, orders, merchants)  # in _SUMMED's order, as the SET clause names them
    connection = connections[DailyResult.objects.db]
    inserted = tuple(max(value, 0) for value in delta)
    sql, params = _upsert_sql([((festival_id, day), inserted)], update_with=lambda table, c: f"{table}.{c} + %s")
    fields = [DailyResult._meta.get_field(name) for name in _SUMMED]
    params += [field.get_db_prep_value(value, connection) for field, value in zip(fields, delta, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def counted_daily_sales(festival_ids: Iterable[int]) -> dict[DayKey, Figures]:
    """The figures counted from the reports: the one count behind the rebuild and the tests."""
    rows = (
        SalesReport.objects.filter(festival_id__in=list(festival_ids))
        .values_list("festival_id", "date")
        .annotate(gmv=Sum("gmv"), orders=Sum("orders"), merchants=Count("pk"))
        .order_by()
    )
    return {(f, d): (Decimal(gmv).quantize(FEN), orders, merchants) for f, d, gmv, orders, merchants in rows}


def stored_daily_sales(festival_ids: Iterable[int]) -> dict[DayKey, Figures]:
    """The figures in DailyResult, days nobody reported on left out."""
    rows = DailyResult.objects.filter(festival_id__in=list(festival_ids), merchants_reporting__gt=0).values_list(
        "festival_id", "date", "gmv", "orders", "merchants_reporting"
    )
    return {(f, d): (Decimal(gmv).quantize(FEN), orders, merchants) for f, d, gmv, orders, merchants in rows}


@transaction.atomic
def rebuild_daily_sales(festivals=None) -> int:
    """Recount the sales figures of ``festivals`` (default: all) from the reports and fix every
    day that differs; returns how many days differed (0 when the deltas kept them true)."""
    ids = list((festivals if festivals is not None else Festival.objects.all()).values_list("pk", flat=True))
    _lock(ids, shared=False)
    counted = counted_daily_sales(ids)
    stored = {
        (f, d): (Decimal(gmv).quantize(FEN), orders, merchants)
        for f, d, gmv, orders, merchants in DailyResult.objects.filter(festival_id__in=ids).values_list(
            "festival_id", "date", "gmv", "orders", "merchants_reporting"
        )
    }
    zero = (Decimal("0.00"), 0, 0)
    drift = {key: counted.get(key, zero) for key in stored.keys() | counted.keys()}
    drift = {key: figures for key, figures in drift.items() if stored.get(key, zero) != figures}
    _set(drift)
    if drift:
        logger.warning("Rebuilt daily sales: %d days had drifted from the sales reports.", len(drift))
    return len(drift)
