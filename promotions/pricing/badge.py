"""The public badge: "近7天最低 ¥129.00 → 活动价 ¥105.70 · 约8.2折" /
"7-day low ¥129.00 → now ¥105.70 · 18% off".

One function for every page (``honest_price_badge``); the public site renders
it with one template include. The discount is written in the reader's
convention: Chinese readers count 折 (what share of the price they pay, one
decimal at most, "约" since it is rounded), English readers "% off" (whole
percent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.core.signals import setting_changed
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


def _is_chinese(language: str | None) -> bool:
    return (language or "").lower().startswith("zh")


def discount_words(discount_percent: Decimal) -> str:
    """The discount in the active language's convention: "约8.2折" or "18% off"."""
    return _discount_words(discount_percent, _is_chinese(translation.get_language()))


def _discount_words(discount_percent: Decimal, chinese: bool) -> str:
    if chinese:
        return f"约{zhe(discount_percent)}折"
    return f"{percent_off(discount_percent)}% off"


@dataclass(frozen=True)
class BadgeWords:
    """Everything a badge says that depends only on the language and the lookback
    days: translated once per (language, days), not once per item, since a page
    shows many badges (see ``badge_words``)."""

    chinese: bool
    lookback: str
    fallback: str
    now: str
    ended: str
    sentence: str
    help_label: str
    help: str
    fallback_help: str


@lru_cache(maxsize=128)
def _badge_words(language: str | None, days: int) -> BadgeWords:
    # The language is part of the key: the words below are looked up in it (it is the active one).
    return BadgeWords(
        chinese=_is_chinese(language),
        lookback=ngettext("%(days)d-day low ¥%(reference)s", "%(days)d-day low ¥%(reference)s", days),
        fallback=ngettext(
            "No price in the last %(days)d day; last earlier price ¥%(reference)s",
            "No price in the last %(days)d days; last earlier price ¥%(reference)s",
            days,
        ),
        now=gettext("now ¥%(price)s"),
        ended=gettext("promotional price (ended) ¥%(price)s"),
        sentence=gettext("%(reference_words)s → %(price_words)s · %(discount)s"),
        # What the "?" of a badge explains (public/_badge.html).
        help_label=gettext("How is this discount checked?"),
        help=ngettext(
            "The discount is measured against the lowest price the merchant recorded in the %(days)s day "
            "before the promotion started, not against a list price, so a price raised just before the "
            "festival cannot fake a discount.",
            "The discount is measured against the lowest price the merchant recorded in the %(days)s days "
            "before the promotion started, not against a list price, so a price raised just before the "
            "festival cannot fake a discount.",
            days,
        )
        % {"days": days},
        fallback_help=ngettext(
            "No price was recorded in that day, so the last price recorded before it is used.",
            "No price was recorded in those %(days)s days, so the last price recorded before them is used.",
            days,
        )
        % {"days": days},
    )


def badge_words(days: int) -> BadgeWords:
    """The words of a badge in the active language for a lookback of ``days``."""
    return _badge_words(translation.get_language(), days)


def _forget_words(*, setting, **kwargs):
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _badge_words.cache_clear()


setting_changed.connect(_forget_words)


@dataclass(frozen=True)
class HonestPriceBadge:
    reference_price: Decimal
    price: Decimal
    discount_percent: Decimal
    lookback_days: int
    source: str
    text: str
    ended: bool = False
    # The words around the badge (its "?" explanation), in the language of ``text``.
    words: BadgeWords | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if self.words is None:
            object.__setattr__(self, "words", badge_words(self.lookback_days))

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
    words = badge_words(days)
    reference_fen, price_fen = to_fen(reference), to_fen(item.promo_price)
    values = {
        "days": days,
        "reference": reference_fen,
        "price": price_fen,
        "discount": _discount_words(discount, words.chinese),
    }
    reference_words = words.fallback if source == ReferenceSource.FALLBACK else words.lookback
    text = words.sentence % {
        "reference_words": reference_words % values,
        "price_words": (words.ended if ended else words.now) % values,
        "discount": values["discount"],
    }
    return HonestPriceBadge(
        reference_price=reference_fen,
        price=price_fen,
        discount_percent=discount,
        lookback_days=days,
        source=source,
        text=text,
        ended=ended,
        words=words,
    )


__all__ = [
    "BadgeWords",
    "HonestPriceBadge",
    "badge_words",
    "discount_words",
    "format_percent",
    "honest_price_badge",
    "percent_off",
    "zhe",
]
