"""Counts that do not grow with the table: exact while small, the planner's estimate above,
and the same queries at any length (issue 17)."""

from unittest import mock

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
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


@pytest.mark.parametrize("estimate", [2, 7, 40])  # short of the truth, right, and far above it
def test_following_next_reaches_every_row_whatever_the_estimate(merchants, monkeypatch, estimate):
    monkeypatch.setattr(pagination.EstimatedCountPaginator, "exact_limit", 3)
    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset: estimate)
    paginator = EstimatedCountPaginator(Merchant.objects.order_by("pk"), 2)

    seen, page = [], paginator.page(1)
    seen += page.object_list
    while page.has_next():
        page = paginator.page(page.next_page_number())
        seen += page.object_list

    assert paginator.count_is_estimate
    assert [m.pk for m in seen] == sorted(m.pk for m in merchants)
    assert page.number == 4 and not page.has_next()
    with pytest.raises(EmptyPage):
        paginator.page(5)  # past the rows, whatever the estimate said
    with pytest.raises(PageNotAnInteger):
        paginator.page("x")


def test_an_exact_count_pages_as_django_does(merchants):
    paginator = EstimatedCountPaginator(Merchant.objects.order_by("pk"), 2)

    assert not paginator.count_is_estimate and paginator.num_pages == 4
    assert not paginator.page(4).has_next() and paginator.page(3).has_next()
    with pytest.raises(EmptyPage):
        paginator.page(5)
