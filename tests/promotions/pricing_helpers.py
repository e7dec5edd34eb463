"""Hand-made price histories for the honest-price tests."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from merchants.models import PricePoint
from tests.factories import FestivalFactory, PromotionFactory, PromotionItemFactory

BEIJING = ZoneInfo("Asia/Shanghai")
# A promotion that starts at midnight Beijing time (16:00 UTC the day before).
START = datetime(2030, 5, 1, 0, 0, tzinfo=BEIJING)


def festival(**overrides):
    values = {
        "registration_opens_at": START - timedelta(days=60),
        "registration_closes_at": START - timedelta(days=5),
        "submission_deadline": START - timedelta(days=3),
        "starts_at": START,
        "ends_at": START + timedelta(days=12),
    }
    values.update(overrides)
    return FestivalFactory(**values)


def item(promo_price="80.00", *, fest=None, starts_at=START, days=3, **promotion_fields):
    fest = fest or festival()
    promotion = PromotionFactory(
        festival=fest, starts_at=starts_at, ends_at=starts_at + timedelta(days=days), **promotion_fields
    )
    return PromotionItemFactory(promotion=promotion, promo_price=Decimal(promo_price))


def price(product, amount, at):
    return PricePoint.objects.create(product=product, price=Decimal(amount), recorded_at=at)


def days_before(n, *, hours=0, minutes=0, start=START):
    return start - timedelta(days=n, hours=hours, minutes=minutes)
