"""Counts that do not grow with the table: exact while small, the planner's estimate above,
and the same queries at any length (issue 17)."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import pagination
from core.pagination import EstimatedCountPaginator, fast_count
from merchants.models import Merchant
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchants():
    return MerchantFactory.create_batch(7)


def test_small_lists_are_counted_exactly(merchants):
    assert fast_count(Merchant.objects.all(), exact_limit=100) == 7
    assert EstimatedCountPaginator(Merchant.objects.order_by("pk"), 5).count == 7


def test_a_list_costs_the_same_queries_short_or_long(merchants):
    with CaptureQueriesContext(connection) as short:
        assert fast_count(Merchant.objects.all(), exact_limit=100) == 7
    with CaptureQueriesContext(connection) as long:
        fast_count(Merchant.objects.all(), exact_limit=5)

    assert len(short) == len(long)
    if connection.vendor == "postgresql":  # the planner's estimate and a bounded count
        assert "LIMIT 101" in short[1]["sql"] and "LIMIT 6" in long[1]["sql"]
        assert [q["sql"].startswith("EXPLAIN") for q in long] == [True, False]
    else:  # no estimate to read: one plain count
        assert len(long) == 1 and "LIMIT" not in long[0]["sql"]


def test_a_list_longer_than_the_limit_shows_the_planner_estimate(merchants):
    with mock.patch.object(pagination, "planner_estimate", return_value=1_234_567):
        count = fast_count(Merchant.objects.all(), exact_limit=5)

    assert count == 1_234_567


def test_an_underestimate_never_shows_fewer_rows_than_were_counted(merchants):
    with mock.patch.object(pagination, "planner_estimate", return_value=2):
        count = fast_count(Merchant.objects.all(), exact_limit=5)

    assert count == 6


def test_without_a_planner_estimate_a_long_list_is_counted_in_full(merchants):
    with mock.patch.object(pagination, "planner_estimate", return_value=None):
        count = fast_count(Merchant.objects.all(), exact_limit=5)

    assert count == 7


def test_the_planner_estimate_is_read_on_postgresql_only(merchants):
    estimate = pagination.planner_estimate(Merchant.objects.all())

    if connection.vendor == "postgresql":
        assert isinstance(estimate, int) and estimate >= 1
    else:
        assert estimate is None


def test_a_list_that_can_match_nothing_counts_zero_without_a_query(merchants):
    with CaptureQueriesContext(connection) as queries:
        assert fast_count(Merchant.objects.filter(pk__in=[])) == 0

    assert len(queries) == 0
