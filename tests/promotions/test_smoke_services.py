from datetime import timedelta
from decimal import Decimal

import pytest

from promotions import services
from promotions.models import PromotionStatus
from tests.factories import PricePointFactory, PromotionItemFactory, ReviewerFactory

pytestmark = pytest.mark.django_db


def test_submit_then_approve_records_each_change():
    item = PromotionItemFactory(promo_price=Decimal("80.00"))
    promotion = item.promotion
    PricePointFactory(
        product=item.product, price=Decimal("100.00"), recorded_at=promotion.starts_at - timedelta(days=2)
    )

    promotion = services.submit_promotion(promotion)
    promotion = services.approve_promotion(promotion, by=ReviewerFactory())

    assert promotion.status == PromotionStatus.APPROVED
    assert list(promotion.events.values_list("to_status", flat=True)) == ["submitted", "approved"]
    item.refresh_from_db()
    assert (item.check_status, item.reference_price, item.real_discount_percent) == (
        "pass",
        Decimal("100.00"),
        Decimal("20.00"),
    )
