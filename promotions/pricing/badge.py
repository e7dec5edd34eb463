"""The public badge: "近7天最低 ¥129.00 → 活动价 ¥105.70 · 约8.2折" /
"7-day low ¥129.00 → now ¥105.70 · 18% off".

One function for every page (``honest_price_badge``); the public site renders
it with one template include. The discount is written in the reader's
convention: Chinese readers count 折 (what share of the price they pay, one
decimal at most, "约" since it is rounded), English readers "% off" (whole
percent).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext, ngettext

from ..models import CheckStatus, PromotionItem, ReferenceSource
from .checks import check_item
from .money import format_percent, to_fen
from .rules import real_discount_percent

TENTH = Decimal("0.1")


def zhe(discount_percent: Decimal) -> str:
    """20 → "8", 18.06 → "8.2", 15 → "8.5": the 折 a Chinese shopper reads (one decimal at most)."""
    value = ((Decimal(100) - discount_percent) / 10).quantize(TENTH, rounding=ROUND_HALF_UP)
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_off(discount_percent: Decimal) -> str:
    """18.06 → "18": whole percent off (at least 1 when there is any discount)."""
    value = discount_percent.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return str(max(value, Decimal(1)) if discount_percent > 0 else value)


def discount_words(discount_percent: Decimal) -> str:
    """The discount in the active language's convention: "约8.2折" or "18% off"."""
    if (translation.get_language() or "").lower().startswith("zh"):
        return f"约{zhe(discount_percent)}折"
    return f"{percent_off(discount_percent)}% off"


@dataclass(frozen=True)
class HonestPriceBadge:
    reference_price: Decimal
    price: Decimal
    discount_percent: Decimal
    lookback_days: int
    source: str
    text: str
    ended: bool = False

    @property
    def is_fallback(self) -> bool:
        return self.source == ReferenceSource.FALLBACK

    @property
    def discount(self) -> str:
        return discount_words(self.discount_percent)


def honest_price_badge(item: PromotionItem, *, ended: bool | None = None) -> HonestPriceBadge | None:
    """The badge of one promotion item, or None when there is nothing honest to claim.

    Uses the stored check when there is one, else computes it (without storing).
    None when: the check failed (failed items are never public), there is no
    price history, or no real discount. Warnings are not the consumer's
    concern: the badge states the facts like any other. ``ended`` (default: the
    promotion's status is ended) writes the price as past.
    """
    if item.check_status == CheckStatus.FAIL:
        return None
    festival = item.promotion.festival
    if item.checked_at is not None:
        reference, source = item.reference_price, item.reference_source
    else:
        found = check_item(item).reference
        reference, source = found.price, found.source
    if reference is None or item.promo_price is None or item.promo_price <= 0 or item.promo_price >= reference:
        return None
    if ended is None:
        ended = item.promotion.status == "ended"
    discount = real_discount_percent(reference, item.promo_price)
    days = festival.price_lookback_days
    values = {
        "days": days,
        "reference": to_fen(reference),
        "price": to_fen(item.promo_price),
        "discount": discount_words(discount),
    }
    if source == ReferenceSource.FALLBACK:
        reference_words = ngettext(
            "No price in the last %(days)d day; last earlier price ¥%(reference)s",
            "No price in the last %(days)d days; last earlier price ¥%(reference)s",
            days,
        )
    else:
        reference_words = ngettext("%(days)d-day low ¥%(reference)s", "%(days)d-day low ¥%(reference)s", days)
    price_words = gettext("promotional price (ended) ¥%(price)s") if ended else gettext("now ¥%(price)s")
    text = gettext("%(reference_words)s → %(price_words)s · %(discount)s") % {
        "reference_words": reference_words % values,
        "price_words": price_words % values,
        "discount": values["discount"],
    }
    return HonestPriceBadge(
        reference_price=to_fen(reference),
        price=to_fen(item.promo_price),
        discount_percent=discount,
        lookback_days=days,
        source=source,
        text=text,
        ended=ended,
    )


__all__ = ["HonestPriceBadge", "discount_words", "format_percent", "honest_price_badge", "percent_off", "zhe"]
