"""Counting large lists without counting every row.

A changelist or API page that says "1,234,567 promotions" pays for a full
``COUNT(*)`` over the filtered rows on every request, which grows with the table.
Above ``EXACT_COUNT_LIMIT`` rows the planner's estimate is as useful to a reader
and costs one ``EXPLAIN``; up to it the count is exact. On databases without a
planner estimate we can read (SQLite), counts are always exact.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Exact up to here: a reviewer's queue of a few thousand is counted to the row.
EXACT_COUNT_LIMIT = 50_000


def planner_estimate(queryset) -> int | None:
    """The rows PostgreSQL's planner expects ``queryset`` to return, or None where unknown."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def fast_count(queryset, *, exact_limit=EXACT_COUNT_LIMIT) -> int:
    """The number of rows in ``queryset``: exact up to ``exact_limit``, estimated above.

    One counting query that stops at ``exact_limit + 1`` rows, so its cost does not
    grow with the table and a short list costs what a plain count did. Only a list
    longer than that asks the planner for its estimate (one ``EXPLAIN``); where the
    database gives none (SQLite), it is counted in full.
    """
    if not hasattr(queryset, "query"):  # a list
        return len(queryset)
    bounded = queryset.order_by()[: exact_limit + 1].count()
    if bounded <= exact_limit:
        return bounded
    estimate = planner_estimate(queryset)
    if estimate is None:
        return queryset.count()
    return max(estimate, bounded)


class EstimatedCountPaginator(Paginator):
    """A Paginator whose ``count`` is exact for small lists and estimated for big ones."""

    @cached_property
    def count(self):
        return fast_count(self.object_list)
