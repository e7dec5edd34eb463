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
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.utils.functional import cached_property

# Exact up to here: a reviewer's queue of a few thousand is counted to the row, and counting
# the limit costs a few milliseconds whatever the table's size.
EXACT_COUNT_LIMIT = 10_000


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


def _bounded_and_estimate(queryset, exact_limit) -> tuple[int, bool]:
    """(the count, whether it is an estimate)."""
    if not hasattr(queryset, "query"):  # a list
        return len(queryset), False
    estimate = planner_estimate(queryset)
    if estimate is None:
        return queryset.count(), False
    bounded = queryset.order_by()[: exact_limit + 1].count()
    if bounded <= exact_limit:
        return bounded, False
    return max(estimate, bounded), True


def fast_count(queryset, *, exact_limit=EXACT_COUNT_LIMIT) -> int:
    """The number of rows in ``queryset``: exact up to ``exact_limit``, estimated above.

    On PostgreSQL, one counting query that stops at ``exact_limit + 1`` rows, so its
    cost does not grow with the table, and the planner's estimate (an ``EXPLAIN``,
    which plans the query without running it), used when the list is longer. The
    estimate is asked for whatever the count, so a page costs the same two queries at
    any size. Where the database gives no estimate (SQLite), one plain count.
    """
    return _bounded_and_estimate(queryset, exact_limit)[0]


class EstimatedCountPaginator(Paginator):
    """A Paginator whose ``count`` is exact for small lists and estimated for big ones.

    An estimate may be short of the truth (a filtered list's more than an unfiltered one's),
    so the pages never trust it: a page reads one row more than it shows, and has a next page
    exactly when that row exists, and a page past the estimated last one is still served while
    it has rows. Following ``next`` (the API, the admin's "next") reaches every row."""

    exact_limit = EXACT_COUNT_LIMIT

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        return _bounded_and_estimate(self.object_list, self.exact_limit)

    @cached_property
    def count(self):
        return self._counted[0]

    @property
    def count_is_estimate(self) -> bool:
        return self._counted[1]

    def validate_number(self, number):
        if not self.count_is_estimate:
            return super().validate_number(number)
        # Django's rules for what a page number is, without the upper bound an estimate would set.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        if not self.count_is_estimate:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return RowsReadPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)


class RowsReadPage(Page):
    """A page that knows from its own rows whether another follows (EstimatedCountPaginator)."""

    def __init__(self, object_list, number, paginator, *, more):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0
