"""The public badge: "lowest price in the 7 days before: ¥X, now ¥Y, Z% off"."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import ngettext

from ..models import PromotionItem, ReferenceSource
from .checks import check_item
from .money import format_percent, to_fen
from .rules import real_discount_percent


@dataclass(frozen=True)
class HonestPriceBadge:
    reference_price: Decimal
    price: Decimal
    discount_percent: Decimal
    lookback_days: int
    source: str
    text: str


def honest_price_badge(item: PromotionItem) -> HonestPriceBadge | None:
    """The public pages' "lowest price in the 7 days before: ¥X, now ¥Y, Z% off".

    Uses the stored check when there is one, else computes it (without storing).
    Returns None when there is nothing honest to claim: no price history, or no
    real discount.
    """
    festival = item.promotion.festival
    if item.checked_at is not None:
        reference, source = item.reference_price, item.reference_source
    else:
        found = check_item(item).reference
        reference, source = found.price, found.source
    if reference is None or item.promo_price is None or item.promo_price <= 0 or item.promo_price >= reference:
        return None
    discount = real_discount_percent(reference, item.promo_price)
    days = festival.price_lookback_days
    values = {
        "days": days,
        "reference": to_fen(reference),
        "price": to_fen(item.promo_price),
        "discount": format_percent(discount),
    }
    if source == ReferenceSource.FALLBACK:
        text = ngettext(
            "Last price before the %(days)d day before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            "Last price before the %(days)d days before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            days,
        )
    else:
        text = ngettext(
            "Lowest price in the %(days)d day before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            "Lowest price in the %(days)d days before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            days,
        )
    return HonestPriceBadge(
        reference_price=to_fen(reference),
        price=to_fen(item.promo_price),
        discount_percent=discount,
        lookback_days=days,
        source=source,
        text=text % values,
    )
