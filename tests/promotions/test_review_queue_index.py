"""The review queue's first page is read from an index built on its very order
(promotions.models.review_queue_order), not sorted from every promotion (issue 17:
the admin promotion changelist grew 26× from 10,000 to 500,000 promotions)."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from promotions.models import Promotion, PromotionStatus, review_queue_order
from tests.factories import FestivalFactory, MerchantFactory, UserFactory
from tests.promotions.test_clock_due_index import plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_promotions():
    now = timezone.now()
    festival, merchant = FestivalFactory(), MerchantFactory()
    statuses = [PromotionStatus.LIVE, PromotionStatus.ENDED, PromotionStatus.DRAFT, PromotionStatus.SUBMITTED]
    Promotion.objects.bulk_create(
        Promotion(
            festival=festival,
            merchant=merchant,
            title=f"P{n}",
            kind="flash_sale",
            flash_quantity=10,
            starts_at=now + timedelta(days=1, minutes=n),
            ends_at=now + timedelta(days=2, minutes=n),
            status=statuses[n % 4],
            submitted_at=now - timedelta(minutes=n) if n % 4 == 3 else None,
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def test_the_changelists_first_page_is_read_in_index_order_without_sorting_every_row(many_promotions):
    model_admin = admin.site._registry[Promotion]
    request = RequestFactory().get("/admin/promotions/promotion/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    page = model_admin.get_queryset(request).order_by(*model_admin.get_ordering(request))[:50]

    plan = plan_of(page)
    first = list(page)

    assert all(p.status == PromotionStatus.SUBMITTED for p in first)
    assert [p.submitted_at for p in first] == sorted(p.submitted_at for p in first)
    in_order = plan_of(Promotion.objects.order_by(*review_queue_order()).values_list("pk", flat=True)[:50])
    # The plans on PostgreSQL only (CI's database): SQLite matches an indexed expression
    # only to literal SQL, never to a query's bound parameters, so it cannot use this index.
    if connection.vendor == "postgresql":
        assert "promotion_review_queue" in plan and "Sort" not in plan, plan
        assert "promotion_review_queue" in in_order and "Sort" not in in_order, in_order
