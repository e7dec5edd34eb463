"""The bulk check (iter_item_checks, set-based per chunk) gives exactly the one-item check."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from promotions import pricing
from promotions.models import PromotionItem, PromotionKind
from promotions.pricing import checks
from tests.factories import PromotionFactory, PromotionItemFactory
from tests.promotions.pricing_helpers import START, days_before, festival, price

pytestmark = pytest.mark.django_db


def _promotion(fest, merchant, *, day, status="submitted", **fields):
    return PromotionFactory(
        festival=fest,
        merchant=merchant,
        starts_at=START + timedelta(days=day),
        ends_at=START + timedelta(days=day + 2),
        status=status,
        **fields,
    )


def _shop(fest, merchant, products):
    """Three promotions of one merchant on the same products, a day apart, one approved."""
    promotions = [
        _promotion(fest, merchant, day=0),
        _promotion(fest, merchant, day=1, status="approved", title="Approved neighbour"),
        _promotion(
            fest,
            merchant,
            day=1,
            status="live",
            kind=PromotionKind.COUPON,
            percent_off=None,
            coupon_value=Decimal("5"),
            coupon_quantity=10,
        ),
    ]
    for n, product in enumerate(products):
        for promotion in promotions:
            PromotionItemFactory(promotion=promotion, product=product, promo_price=Decimal("80.00") + n)
        # Raised shortly before the window, a cut inside it, a gap for the last product.
        if n < len(products) - 1:
            price(product, "90.00", days_before(25))
            price(product, "120.00", days_before(12))
            price(product, "100.00", days_before(3))
    return promotions


def _summary(check):
    return (
        check.item.pk,
        check.status,
        check.reasons,
        check.reference,
        check.real_discount_percent,
        check.earlier_level,
        check.raised,
        [o.promotion_id for o in check.overlaps],
    )


def test_bulk_check_in_chunks_equals_the_check_of_each_item(monkeypatch):
    fest = festival()
    a = PromotionItemFactory(promo_price=Decimal("80.00"))
    b = PromotionItemFactory(promo_price=Decimal("80.00"))
    for it in (a, b):
        merchant = it.promotion.merchant
        it.promotion.delete()
        products = [it.product] + [PromotionItemFactory(promotion__merchant=merchant).product for _ in range(2)]
        _shop(fest, merchant, products)
    monkeypatch.setattr(checks, "CHECK_CHUNK_SIZE", 4)  # several chunks, promotions across them

    bulk = [
        check
        for chunk in pricing.iter_item_checks(PromotionItem.objects.filter(promotion__festival=fest))
        for check in chunk
    ]
    one_by_one = [
        pricing.check_item(item)
        for item in PromotionItem.objects.filter(promotion__festival=fest)
        .select_related("promotion__festival")
        .order_by("pk")
    ]

    assert [_summary(c) for c in bulk] == [_summary(c) for c in one_by_one]
    assert any(c.overlaps for c in bulk) and any(c.raised for c in bulk)
    assert all(not hasattr(c.item, "pricing_signed_reference") for c in bulk)


def test_bulk_check_queries_do_not_grow_with_the_items_of_a_chunk():
    fest = festival()

    def queries(count):
        base = PromotionItemFactory(promo_price=Decimal("80.00"))
        merchant = base.promotion.merchant
        base.promotion.delete()
        products = [base.product] + [
            PromotionItemFactory(promotion__merchant=merchant).product for _ in range(count - 1)
        ]
        promotions = _shop(fest, merchant, products)
        items = PromotionItem.objects.filter(promotion__in=promotions)
        with CaptureQueriesContext(connection) as captured:
            list(pricing.iter_item_checks(items, products=False))
        return len(captured)

    assert queries(2) == queries(12)
