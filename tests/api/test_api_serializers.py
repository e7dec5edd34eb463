from decimal import Decimal

import pytest

from api.serializers import FestivalSerializer, PromotionSerializer
from promotions.models import CheckStatus, ReferenceSource
from tests.factories import FestivalFactory, PromotionFactory, PromotionItemFactory

pytestmark = pytest.mark.django_db


def test_promotion_serializer_shows_items_with_their_check_and_only_its_kind_fields():
    item = PromotionItemFactory(
        promo_price=Decimal("80"),
        reference_price=Decimal("100"),
        reference_source=ReferenceSource.LOOKBACK,
        real_discount_percent=Decimal("20"),
        check_status=CheckStatus.PASS,
        check_reasons=[],
    )

    data = PromotionSerializer(item.promotion).data

    assert data["festival"] == item.promotion.festival.slug
    assert data["percent_off"] == "20.00"
    assert "amount_off" not in data and "stream_url" not in data
    assert data["items"] == [
        {
            "product": item.product_id,
            "sku": item.product.sku,
            "promo_price": "80.00",
            "reference_price": "100.00",
            "reference_source": "lookback",
            "real_discount_percent": "20.00",
            "check_status": "pass",
            "check_reasons": [],
        }
    ]
    assert data["starts_at"].endswith("+08:00")


def test_unchecked_item_shows_null_check():
    item = PromotionItemFactory()

    data = PromotionSerializer(item.promotion).data

    assert data["items"][0]["check_status"] is None
    assert data["items"][0]["reference_source"] is None


def test_festival_serializer_has_window_zone_status_and_rules():
    festival = FestivalFactory(min_discount_percent=Decimal("5"))

    data = FestivalSerializer(festival).data

    assert {"slug", "name", "time_zone", "starts_at", "ends_at", "status", "price_lookback_days"} <= set(data)
    assert data["min_discount_percent"] == "5.00"
    assert PromotionFactory(festival=festival).festival_id == festival.pk
