"""The clock's "due now" queries are served by their partial indexes, so an idle tick
reads a few index entries instead of walking every promotion (issue 17: 0.25 s per
idle tick at 500,000 promotions when the planner walked the primary key)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from promotions.models import Promotion, PromotionStatus
from tests.factories import FestivalFactory, MerchantFactory

pytestmark = pytest.mark.django_db


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.fixture
def many_promotions_none_due():
    """3,000 promotions that started and end later (live) or ended: nothing is due."""
    now = timezone.now()
    festival, merchant = FestivalFactory(), MerchantFactory()
    rows = []
    for n in range(3000):
        live = n % 3 == 0
        starts_at = now - timedelta(days=2, minutes=n)
        ends_at = now + timedelta(days=1, minutes=n) if live else now - timedelta(hours=1, minutes=n)
        rows.append(
            Promotion(
                festival=festival,
                merchant=merchant,
                title=f"P{n}",
                kind="flash_sale",
                flash_quantity=10,
                starts_at=starts_at,
                ends_at=ends_at,
                status=PromotionStatus.LIVE if live else PromotionStatus.ENDED,
            )
        )
    Promotion.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return now


@pytest.mark.parametrize("manager_method", ["due_to_start", "due_to_end"])
def test_due_queries_are_served_by_an_index_not_a_walk_over_every_promotion(many_promotions_none_due, manager_method):
    due = getattr(Promotion.objects, manager_method)(now=many_promotions_none_due)

    # The batch query of promotions.services._move_due (without its row lock).
    # A small batch makes walking the primary key look cheap to a planner that
    # expects many due rows: the case the index ordering must win.
    plan = plan_of(due.values_list("pk", "status")[:50])

    if connection.vendor == "postgresql":
        assert "Index" in plan and "Seq Scan" not in plan
        assert "promotions_promotion_pkey" not in plan
    else:
        assert "USING" in plan and "INDEX" in plan
        assert "SCAN promotions_promotion" not in plan
