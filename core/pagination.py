"""Counting large lists without counting every row.

A changelist or API page that says "1,234,567 promotions" pays for a full
``COUNT(*)`` over the filtered rows on every request, which grows with the table.
Above ``EXACT_COUNT_LIMIT`` rows the planner's estimate is as useful to a reader
and costs one ``EXPLAIN``; up to it the count is exact. On databases without a
planner estimate we can read (SQLite), counts are always exact. Either way a list
costs the same queries whatever its length.
"""

import json

from django.core.exceptions import EmptyResultSet
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
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (an empty scope): no query to plan
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def fast_count(queryset, *, exact_limit=EXACT_COUNT_LIMIT) -> int:
    """The number of rows in ``queryset``: exact up to ``exact_limit``, estimated above.

    On PostgreSQL, one counting query that stops at ``exact_limit + 1`` rows, so its
    cost does not grow with the table, and the planner's estimate (an ``EXPLAIN``,
    which plans the query without running it), used when the list is longer. The
    estimate is asked for whatever the count, so a page costs the same two queries at
    any size. Where the database gives no estimate (SQLite), one plain count.
    """
    if not hasattr(queryset, "query"):  # a list
        return len(queryset)
    estimate = planner_estimate(queryset)
    if estimate is None:
        return queryset.count()
    bounded = queryset.order_by()[: exact_limit + 1].count()
    return bounded if bounded <= exact_limit else max(estimate, bounded)


class EstimatedCountPaginator(Paginator):
    """A Paginator whose ``count`` is exact for small lists and estimated for big ones."""

    exact_limit = EXACT_COUNT_LIMIT

    @cached_property
    def count(self):
        return fast_count(self.object_list, exact_limit=self.exact_limit)
