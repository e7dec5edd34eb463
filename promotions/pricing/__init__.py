"""The honest price engine: reference prices, real discounts, trick detection and final prices.

One package used by the admin, the merchant forms, the API and the public pages;
import it as a whole (``from promotions import pricing``; ``pricing.check_item(…)``).
Its modules, each importing only the ones listed before it (the one exception,
``rules.price_the_promotion_gives``, says why):

- ``money``: PricingError and Decimal money: ``to_fen``, ``positive_fen``, ``format_percent``.
- ``rules``: the rules as pure functions, no queries: windows, real and minimum
  discount, raise-then-cut, the declared price, ``evaluate_item``; the result types.
- ``history``: the price-point queries, one product at a time and many items at once.
- ``final``: the final price (到手价): ``compute_final_price`` and ``final_price``.
- ``checks``: ``check_item`` / ``iter_item_checks``: history and overlaps from the
  database, judged by the rules. Nothing is stored here: the services store checks
  (``promotions.services.refresh_item_checks`` and co.).
- ``badge``: the public pages' honest-price badge.

The rules, and the decisions behind them (see also docs/honest-pricing.md):

**Lookback window.** The reference price of an item is the lowest price
*recorded* in ``[starts_at - price_lookback_days × 24 h, starts_at)``: the
window includes a price recorded exactly at its first instant and excludes a
price recorded at the start itself (that is the promotion's own price, not a
price "before" it). Windows are measured in exact days back from the start
moment, on stored UTC instants, so a price recorded at 23:30 Beijing time the
evening before a midnight start is inside the window however the server's
clock is set; China has no daylight saving, so for the usual promotion that
starts at 00:00 festival time these are exactly the N calendar days before.

**Fallback and no history.** With no price recorded in the window, the last
price recorded before the window is used and marked ``fallback`` (the rule of
China's Provisional Provisions on Regulating Promotional Activities); with no
price at all before the start, the source is ``none`` and the discount cannot
be checked. Both are warnings for the reviewer, not refusals.

**Real discount and the minimum.** ``(reference - promo) / reference × 100``,
shown rounded half-up to 0.01 %. The minimum-discount rule is decided on exact
Decimal arithmetic (``promo × 100 ≤ reference × (100 - min)``), so rounding
for display can never turn a failing item into a passing one. A promotional
price equal to (or above) the reference is never a discount, even when the
festival's minimum is 0 %. Money is Decimal rounded half-up to the fen.

**Declared price against the terms.** For percent-off and amount-off
promotions, the declared promotional price (used by the rules above, the API and
the public badge) is the merchant's commitment for the item, and the final price
applies it: a percent-off or amount-off step never leaves more than the item's
own price. It is compared with what the terms give off the last price before
the start (``price_the_promotion_gives``, the terms alone): declared lower by
more than a fen is a deeper discount, allowed and explained in a note (the check
stays a pass; consumers pay the declared price and the real discount is measured
on it); declared higher is a warning (consumers pay less than advertised).
Without a price before the start there is nothing to compare.

**Raise-then-cut.** The *earlier level* of an item is the lowest price in
effect in the part of the raise window (``max(raise_lookback_days,
price_lookback_days)`` days before the start) that lies before the lookback
window: the last price recorded before the raise window (still in effect when
it opened) and every price recorded after it up to the lookback window. When
the reference price is more than ``raise_tolerance_percent`` above that level,
every price the discount is measured against was raised shortly before the
promotion: the classic "raise the list price, then announce a discount". A
raise entirely inside the lookback window does not inflate the reference (the
lower earlier price is in the window too) and is not flagged. A warning.

**Overlap.** Another approved or live promotion of the same merchant that
covers the same product in an overlapping time (half-open intervals: one
ending exactly when the other starts does not overlap) is flagged, unless
both kinds are in the festival's ``stackable_kinds``. A warning.

**Final price (到手价).** See :func:`final.compute_final_price`.
"""

from .badge import HonestPriceBadge, honest_price_badge
from .checks import check_item, check_items, iter_item_checks, overlaps_for_items
from .final import STEP_FOR_KIND, FinalPrice, Offer, PriceStep, applying_items, compute_final_price, final_price
from .history import (
    CHECK_CHUNK_SIZE,
    DaysBefore,
    annotate_earlier_levels,
    annotate_reference_prices,
    earlier_price_level,
    last_price_before,
    price_histories_for_items,
    price_in_effect,
    reference_price,
    reference_prices_for_items,
    without_jit,
)
from .money import FEN, HUNDRED, ONE_FEN, PricingError, format_percent, positive_fen, to_fen
from .rules import (
    BINDING_STATUSES,
    DECLARED_PRICE_TOLERANCE,
    LOWEST_STORED_DISCOUNT,
    ONE_DAY,
    DeclaredPriceReasons,
    ItemCheck,
    Overlap,
    PriceHistory,
    Reference,
    declared_price_reasons,
    evaluate_item,
    is_raised,
    lookback_window,
    meets_min_discount,
    price_the_promotion_gives,
    raise_window_start,
    real_discount_percent,
)

__all__ = [
    "BINDING_STATUSES",
    "CHECK_CHUNK_SIZE",
    "DECLARED_PRICE_TOLERANCE",
    "FEN",
    "HUNDRED",
    "LOWEST_STORED_DISCOUNT",
    "ONE_DAY",
    "ONE_FEN",
    "STEP_FOR_KIND",
    "DaysBefore",
    "DeclaredPriceReasons",
    "FinalPrice",
    "HonestPriceBadge",
    "ItemCheck",
    "Offer",
    "Overlap",
    "PriceHistory",
    "PriceStep",
    "PricingError",
    "Reference",
    "annotate_earlier_levels",
    "annotate_reference_prices",
    "applying_items",
    "check_item",
    "check_items",
    "compute_final_price",
    "declared_price_reasons",
    "earlier_price_level",
    "evaluate_item",
    "final_price",
    "format_percent",
    "honest_price_badge",
    "is_raised",
    "iter_item_checks",
    "last_price_before",
    "lookback_window",
    "meets_min_discount",
    "overlaps_for_items",
    "positive_fen",
    "price_histories_for_items",
    "price_in_effect",
    "price_the_promotion_gives",
    "raise_window_start",
    "real_discount_percent",
    "reference_price",
    "reference_prices_for_items",
    "to_fen",
    "without_jit",
]
