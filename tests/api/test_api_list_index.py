"""The API's promotion list is read in its order (start, then id) from an index, not
sorted from every public promotion nor filtered past years of old drafts (issue 17).
At these tests' 3,000 rows the planner rightly sorts for a deep page; the first page
shows the index serves the order."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from api.authentication import Actor
from api.filters import PromotionFilter
from api.selectors import visible_promotions
from promotions.models import Promotion, PromotionStatus
from tests.factories import FestivalFactory, MerchantFactory
from tests.promotions.test_clock_due_index import plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_drafts_first():
    """2,000 drafts that start before 1,000 public promotions, in two festivals."""
    now = timezone.now()
    festivals, merchant = (
        [FestivalFactory(slug="first-festival"), FestivalFactory(slug="second-festival")],
        MerchantFactory(),
    )
    public = [PromotionStatus.LIVE, PromotionStatus.ENDED, PromotionStatus.APPROVED]
    Promotion.objects.bulk_create(
        Promotion(
            festival=festivals[n % 2],
            merchant=merchant,
            title=f"P{n}",
            kind="flash_sale",
            flash_quantity=10,
            starts_at=now + timedelta(minutes=n),
            ends_at=now + timedelta(days=2, minutes=n),
            status=PromotionStatus.DRAFT if n < 2000 else public[n % 3],
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _is_sorted(plan):
    return "Sort" in plan or "TEMP B-TREE" in plan  # PostgreSQL's, SQLite's


def test_the_public_list_is_read_in_order_from_the_public_index(old_drafts_first):
    first_page = visible_promotions(Actor()).values_list("pk", flat=True)[:100]

    plan = plan_of(first_page)
    ids = list(first_page)

    assert len(ids) == 100 and not Promotion.objects.filter(pk__in=ids, status=PromotionStatus.DRAFT).exists()
    # SQLite cannot match a query with bound parameters to a partial index; PostgreSQL can,
    # and is the database of production (without it, the scan filters past every old draft).
    index = "promotion_public_start_order" if connection.vendor == "postgresql" else "promotion_start_order"
    assert index in plan and not _is_sorted(plan), plan


def test_a_festivals_promotions_of_a_status_are_read_in_order_from_its_index(old_drafts_first):
    query = QueryDict("festival=second-festival&status=live")
    first_page = PromotionFilter(query, queryset=visible_promotions(Actor())).qs.values_list("pk", flat=True)[:100]

    plan = plan_of(first_page)
    ids = list(first_page)

    assert ids and set(Promotion.objects.filter(pk__in=ids).values_list("festival__slug", "status")) == {
        ("second-festival", "live")
    }
    # The festival's id is known before the promotions are read (a subquery, not a join on
    # its slug), so its index gives exactly that festival's rows of that status; at this
    # size the planner then sorts the few rows, at real size it reads them in order.
    assert "promotion_festival_status" in plan, plan
    if connection.vendor == "postgresql":
        assert "Index Cond: ((festival_id = $0)" in plan, plan
