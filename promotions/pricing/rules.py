"""The honest-price rules as pure functions: no queries, no ORM.

Everything here works on plain values (Decimals, datetimes, the results
dataclasses) and on what an item already holds (its promotion and festival
settings); the queries that gather those values live in ``history`` and
``checks``. The rules themselves are described in the package docstring and
docs/honest-pricing.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from ..models import CheckStatus, PromotionKind, PromotionStatus, ReferenceSource
from .money import FEN, HUNDRED, PricingError, format_percent, positive_fen, to_fen

if TYPE_CHECKING:  # annotations only: the rules never query
    from ..models import PromotionItem

ONE_DAY = timedelta(days=1)

# Promotions that bind the merchant: they count for overlaps and final prices.
BINDING_STATUSES = (PromotionStatus.APPROVED, PromotionStatus.LIVE)
LOWEST_STORED_DISCOUNT = Decimal("-99999.99")
# A declared promotional price may differ from what the promotion really gives by
# one fen (a merchant who rounded the other way); more is a wrong price.
DECLARED_PRICE_TOLERANCE = Decimal("0.01")


# Results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    price: Decimal | None
    source: str

    def __post_init__(self):
        # Aggregates come back from SQLite without their two places (Decimal("150")).
        if self.price is not None and self.price.as_tuple().exponent != -2:
            object.__setattr__(self, "price", to_fen(self.price))


@dataclass(frozen=True)
class PriceHistory:
    """What an item's checks need from its product's price history."""

    reference: Reference
    earlier_level: Decimal | None = None  # for raise-then-cut; None when not computed or no earlier price
    price_at_start: Decimal | None = None  # the last price recorded before the start


@dataclass(frozen=True)
class Overlap:
    promotion_id: int
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class ItemCheck:
    item: PromotionItem
    reference: Reference
    real_discount_percent: Decimal | None
    status: str
    reasons: list[str] = field(default_factory=list)  # failures, then warnings, then notes (a pass may have notes)
    earlier_level: Decimal | None = None
    raised: bool = False
    overlaps: list[Overlap] = field(default_factory=list)


# Windows (the reference-price rule) ---------------------------------------------------


def lookback_window(starts_at: datetime, lookback_days: int) -> tuple[datetime, datetime]:
    """``[start, end)`` of the lookback window: inclusive start, exclusive end (the promotion start)."""
    if not lookback_days or lookback_days < 1:
        raise PricingError(_("The lookback must be at least one day."), code="lookback")
    # In UTC, so a day is always 24 hours, as in the database (sessions run in UTC).
    starts_at = starts_at.astimezone(UTC)
    return starts_at - lookback_days * ONE_DAY, starts_at


def raise_window_start(starts_at: datetime, *, lookback_days: int, raise_days: int) -> datetime:
    return starts_at.astimezone(UTC) - max(raise_days or 0, lookback_days) * ONE_DAY


# The rules -------------------------------------------------------------------------------


def real_discount_percent(reference: Decimal, promo_price: Decimal) -> Decimal:
    """``(reference - promo) / reference`` in percent, rounded half-up to 0.01 (display value)."""
    reference = positive_fen(reference, what=gettext_lazy("The reference price"))
    promo_price = positive_fen(promo_price, what=gettext_lazy("The promotional price"))
    return ((reference - promo_price) / reference * HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)


def meets_min_discount(reference: Decimal, promo_price: Decimal, min_discount_percent: Decimal) -> bool:
    """Exact test (no rounding): strictly below the reference, and at least the minimum below it."""
    return promo_price < reference and promo_price * HUNDRED <= reference * (HUNDRED - Decimal(min_discount_percent))


def is_raised(reference: Decimal | None, earlier_level: Decimal | None, tolerance_percent) -> bool:
    if reference is None or earlier_level is None:
        return False
    return reference * HUNDRED > earlier_level * (HUNDRED + Decimal(tolerance_percent))


def evaluate_item(
    item: PromotionItem, history: PriceHistory, overlaps: Iterable[Overlap] = (), *, festival=None
) -> ItemCheck:
    """Apply every rule to one item; pure (no queries beyond what ``item`` already holds)."""
    festival = festival or item.promotion.festival
    reference = history.reference
    failures: list[str] = []
    warnings: list[str] = []
    discount = None
    try:
        promo_price = positive_fen(item.promo_price, what=gettext_lazy("The promotional price"))
    except PricingError:  # missing, zero, negative, or less than a fen once rounded
        promo_price = None
        failures.append(_("The promotional price must be greater than zero."))
    price_ok = promo_price is not None

    if reference.price is None:
        warnings.append(_("No price was recorded before the promotion starts, so the discount cannot be checked."))
    else:
        if reference.source == ReferenceSource.FALLBACK:
            warnings.append(
                ngettext(
                    "No price was recorded in the %(days)d day before the start; the last earlier price ¥%(price)s is used.",
                    "No price was recorded in the %(days)d days before the start; the last earlier price ¥%(price)s is used.",
                    festival.price_lookback_days,
                )
                % {"days": festival.price_lookback_days, "price": reference.price}
            )
        if price_ok:
            # Floored to what PromotionItem.real_discount_percent can hold (7 digits): a
            # price far above the reference fails either way, and its reason gives the prices.
            discount = max(real_discount_percent(reference.price, promo_price), LOWEST_STORED_DISCOUNT)
            if promo_price >= reference.price:
                failures.append(
                    _("¥%(promo)s is not below the reference price ¥%(reference)s, so it is not a discount.")
                    % {"promo": promo_price, "reference": reference.price}
                )
            elif not meets_min_discount(reference.price, promo_price, festival.min_discount_percent):
                failures.append(
                    _(
                        "¥%(promo)s is only %(discount)s%% below the reference price ¥%(reference)s; at least %(min)s%% is required."
                    )
                    % {
                        "promo": promo_price,
                        "discount": discount,
                        "reference": reference.price,
                        "min": format_percent(Decimal(festival.min_discount_percent)),
                    }
                )

    notes: list[str] = []  # explanations that do not change the status
    if price_ok and history.price_at_start is not None:
        declared = declared_price_reasons(item, promo_price, history.price_at_start)
        warnings += declared.warnings
        notes += declared.notes

    raised = is_raised(reference.price, history.earlier_level, festival.raise_tolerance_percent)
    if raised:
        rise = ((reference.price - history.earlier_level) / history.earlier_level * HUNDRED).quantize(
            FEN, rounding=ROUND_HALF_UP
        )
        warnings.append(
            _(
                "Possible raise-then-cut: the reference price ¥%(reference)s is %(rise)s%% above the earlier "
                "level ¥%(earlier)s in the %(days)d days before the start (tolerance %(tolerance)s%%)."
            )
            % {
                "reference": reference.price,
                "rise": rise,
                "earlier": history.earlier_level,
                "days": max(festival.raise_lookback_days, festival.price_lookback_days),
                "tolerance": format_percent(Decimal(festival.raise_tolerance_percent)),
            }
        )

    overlaps = list(overlaps)
    for other in overlaps:
        warnings.append(
            _("Overlaps “%(title)s” (%(kind)s, %(start)s to %(end)s), which covers the same product.")
            % {
                "title": other.title,
                "kind": PromotionKind(other.kind).label if other.kind in PromotionKind.values else other.kind,
                "start": festival.local_minute(other.starts_at),
                "end": festival.local_minute(other.ends_at),
            }
        )

    if failures:
        status = CheckStatus.FAIL
    elif warnings:
        status = CheckStatus.WARNING
    else:
        status = CheckStatus.PASS
    return ItemCheck(
        item=item,
        reference=reference,
        real_discount_percent=discount,
        status=status,
        reasons=failures + warnings + notes,
        earlier_level=history.earlier_level,
        raised=raised,
        overlaps=overlaps,
    )


def price_the_promotion_gives(item: PromotionItem, price_before_start) -> Decimal | None:
    """What a percent-off or amount-off promotion really makes of the price before it
    starts (the same step as the final price, rounded half-up to the fen); None for
    other kinds, without a price, or for an incomplete draft.

    The terms alone: the item's own promotional price, which the final price also
    applies when it is lower, is left out. The stored check compares the two (see
    ``declared_price_reasons``); ``PriceHistory.price_at_start`` carries the price
    it needs for every item."""
    # The step is the final price's own arithmetic (pure). Imported here because
    # final.py also holds final_price(), which reads the history, which applies
    # these rules: the rules load first, with nothing of the query layer.
    from .final import Offer, compute_final_price

    promotion = item.promotion
    if price_before_start is None or promotion.kind not in (PromotionKind.PERCENT_OFF, PromotionKind.AMOUNT_OFF):
        return None
    terms = replace(Offer.for_item(item), item_price=None)
    try:
        return compute_final_price(price_before_start, [terms], explain=False).final
    except PricingError:  # an incomplete draft (no percentage yet): nothing to compare
        return None


@dataclass(frozen=True)
class DeclaredPriceReasons:
    warnings: list[str] = field(default_factory=list)
    # Explanations that hold nothing up: the item's check stays a pass.
    notes: list[str] = field(default_factory=list)


def terms_in_words(promotion) -> str:
    """A percent-off or amount-off promotion's terms in words: "20% off", "¥10.00 off"."""
    if promotion.kind == PromotionKind.PERCENT_OFF:
        return pgettext("taken off a price", "%(percent)s%% off") % {
            "percent": format_percent(Decimal(promotion.percent_off))
        }
    return pgettext("taken off a price", "¥%(amount)s off") % {"amount": to_fen(promotion.amount_off)}


def declared_price_reasons(item: PromotionItem, promo_price: Decimal, price_before_start) -> DeclaredPriceReasons:
    """For percent-off and amount-off promotions: the declared promotional price (the
    one the check, the API and the public badge use) against what the terms give, the
    percentage or amount off the last price before the start.

    The declared price is the merchant's commitment for the item, and the final price
    applies it (``final.compute_final_price`` never leaves more than it), so nothing
    advertises a price consumers do not pay:

    - declared lower than the terms give (by more than DECLARED_PRICE_TOLERANCE): a
      deeper discount, allowed. A note says so (the check stays a pass, so neither
      the submission nor "approve all that pass" is held up): consumers pay the
      declared price, and the real discount is measured on it like any other.
    - declared higher: a warning. Consumers pay less than advertised, which deceives
      nobody and makes no rule easier to pass, but the published price is wrong and
      the reviewer should have it corrected."""
    given = price_the_promotion_gives(item, price_before_start)
    if given is None:
        return DeclaredPriceReasons()
    values = {
        "promo": promo_price,
        "offer": terms_in_words(item.promotion),
        "before": to_fen(price_before_start),
        "given": given,
    }
    if given - promo_price > DECLARED_PRICE_TOLERANCE:
        return DeclaredPriceReasons(
            notes=[
                _(
                    "A deeper discount than the terms give: %(offer)s the price before it starts (¥%(before)s) "
                    "is ¥%(given)s, and the item's own price is ¥%(promo)s. Allowed: the item sells for "
                    "¥%(promo)s, and its discount is measured on that price."
                )
                % values
            ]
        )
    if promo_price - given > DECLARED_PRICE_TOLERANCE:
        return DeclaredPriceReasons(
            warnings=[
                _(
                    "The promotion advertises ¥%(promo)s, but %(offer)s the price before it starts "
                    "(¥%(before)s) is ¥%(given)s: consumers pay less than advertised, so the advertised "
                    "discount understates the real one; declare ¥%(given)s."
                )
                % values
            ]
        )
    return DeclaredPriceReasons()
