"""Counts that do not grow with the table: exact while small, the planner's estimate above."""

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


def test_a_list_the_planner_expects_to_be_long_shows_the_estimate(merchants):
    with mock.patch.object(pagination, "planner_estimate", return_value=1_234_567):
        count = fast_count(Merchant.objects.all(), exact_limit=5)

    assert count == 1_234_567


def test_an_overestimated_filter_is_still_counted_exactly_when_short(merchants):
    """The planner may expect many rows where there are few: the bounded count catches it."""
    with mock.patch.object(pagination, "planner_estimate", return_value=90_000):
        count = fast_count(Merchant.objects.filter(pk__in=[m.pk for m in merchants[:3]]), exact_limit=5)

    assert count == 3


def test_the_count_never_runs_past_the_limit_on_a_long_list(merchants):
    """Above the limit, the count stops at limit + 1 rows (a bounded subquery), never a full COUNT(*)."""
    with (
        mock.patch.object(pagination, "planner_estimate", return_value=9_999),
        CaptureQueriesContext(connection) as queries,
    ):
        count = fast_count(Merchant.objects.all(), exact_limit=5)

    assert count == 9_999
    assert len(queries) == 1 and "LIMIT 6" in queries[0]["sql"]


def test_the_planner_estimate_is_read_on_postgresql_only(merchants):
    estimate = pagination.planner_estimate(Merchant.objects.all())

    if connection.vendor == "postgresql":
        assert isinstance(estimate, int) and estimate >= 1
    else:
        assert estimate is None
